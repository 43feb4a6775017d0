/**
 * The torch-generator fixtures (a folder with `manifest.json`, made with the authors' code; not
 * shipped with the project): reading their tensors and running a `kind: 'net'` case on an
 * imported model (`@tpfr/testing/torch-fixtures`).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShapeError } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';
import { stackPeers } from '@tpfr/layers';
import type { TpfrModel } from '@tpfr/models';

/**
 * The fixtures folder: `$TPFR_TORCH_FIXTURES`, else `shared/fixtures/torch-generator` in the
 * folder that holds the checkout (where the project's machines keep them).
 */
export function torchFixturesDir(): string {
  const repo = fileURLToPath(new URL('../../../', import.meta.url));
  return resolve(process.env.TPFR_TORCH_FIXTURES ?? join(repo, '..', 'shared', 'fixtures', 'torch-generator'));
}

/** A tensor file of a case: float32 little-endian, C order, NCHW. */
export interface FixtureTensor {
  file: string;
  shape: number[];
}

/** One case of the manifest. */
export interface FixtureCase {
  name: string;
  kind: 'net' | 'pipeline';
  checkpoint: string;
  inputs?: { content: FixtureTensor; styles: FixtureTensor };
  outputs: Record<string, FixtureTensor>;
  tolerance_max_abs?: number;
  max_weighted_peers_per_stage?: number[];
  [extra: string]: unknown;
}

/** The manifest. */
export interface FixtureManifest {
  checkpoints: Record<string, { format: 'legacy' | 'zip'; ngf: number; bytes: number }>;
  cases: FixtureCase[];
}

/** Reads `manifest.json` of a fixture folder. */
export function readFixtureManifest(dir: string): FixtureManifest {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as FixtureManifest;
}

/** Reads a float32 little-endian file of `shape`, checking its size. */
export function readF32(path: string, shape: readonly number[]): Float32Array {
  const buf = readFileSync(path);
  const n = shape.reduce((a, b) => a * b, 1);
  if (buf.byteLength !== 4 * n) throw new ShapeError('readF32', `${4 * n} bytes for ${formatShape(shape)} in ${path}`, `${buf.byteLength} bytes`);
  const out = new Float32Array(n);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

/** An NCHW fixture tensor as NHWC. */
export function readNhwc(dir: string, t: FixtureTensor): tf.Tensor4D {
  const [b, c, h, w] = t.shape;
  const data = readF32(join(dir, t.file), t.shape);
  return tf.tidy(() => tf.transpose(tf.tensor4d(data, [b, c, h, w]), [0, 2, 3, 1]));
}

/**
 * Runs a `kind: 'net'` case (the authors' `stylize_image([content, styles])`) on `model`:
 * encode both, recombine two-stage and style-only (content code kept), decode with the main
 * decoder; returns the max |ours − theirs| of every output the case lists (compared in NCHW).
 */
export function runNetCase(model: TpfrModel, caseDir: string, c: FixtureCase): Record<string, number> {
  if (c.kind !== 'net' || !c.inputs) throw new ShapeError('runNetCase', `a 'net' case with inputs`, `kind '${c.kind}'`);
  const content = readNhwc(caseDir, c.inputs.content);
  const styles = readNhwc(caseDir, c.inputs.styles);
  const ours = tf.tidy(() => {
    const zc = model.encode(content);
    const zs = model.encode(styles);
    // The authors' exemplars form one pool for the (single-sample) batch.
    const b = zc.content.shape[0];
    const peers = { content: stackPeers(zs.content, b), style: stackPeers(zs.style, b) };
    const two = model.recombine(zc, peers, { stages: 'two-stage' });
    const one = model.recombine(zc, peers, { stages: 'style-only' });
    const m: Record<string, tf.Tensor4D> = {
      content_code: zc.content, content_style_code: zc.style, styles_code: zs.content, styles_style_code: zs.style,
      recombined: tf.concat([two.content, two.style], -1), stylized: model.decode(two),
      recombined_style_only: tf.concat([one.content, one.style], -1), stylized_style_only: model.decode(one),
    };
    return m;
  });
  const diffs: Record<string, number> = {};
  try {
    for (const [name, t] of Object.entries(c.outputs)) {
      const mine = ours[name];
      if (!mine) throw new ShapeError('runNetCase', `an output named content_code, …, stylized_style_only`, `'${name}'`);
      const nchw = tf.tidy(() => tf.transpose(mine, [0, 3, 1, 2]));
      try {
        if (nchw.shape.join() !== t.shape.join()) throw new ShapeError('runNetCase', `${c.name}/${name} of shape ${formatShape(t.shape)}`, `ours ${formatShape(nchw.shape)}`);
        const a = nchw.dataSync();
        const b = readF32(join(caseDir, t.file), t.shape);
        let m = 0;
        for (let i = 0; i < b.length; i++) {
          const d = Math.abs(a[i] - b[i]);
          if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
        }
        diffs[name] = m;
      } finally {
        nchw.dispose();
      }
    }
  } finally {
    tf.dispose([content, styles, ...Object.values(ours)]);
  }
  return diffs;
}
