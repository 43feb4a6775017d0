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
import type { TorchCheckpoint, TorchTensor } from '@tpfr/core/torch';
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
  if (buf.byteLength !== 4 * n)
    throw new ShapeError('readF32', `${4 * n} bytes for ${formatShape(shape)} in ${path}`, `${buf.byteLength} bytes`);
  const out = new Float32Array(n);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

/** An NCHW fixture tensor as NHWC (its values through `map` first, when given). */
export function readNhwc(dir: string, t: FixtureTensor, map?: (values: Float32Array) => Float32Array): tf.Tensor4D {
  const [b, c, h, w] = t.shape;
  const raw = readF32(join(dir, t.file), t.shape);
  const data = map ? map(raw) : raw;
  return tf.tidy(() => tf.transpose(tf.tensor4d(data, [b, c, h, w]), [0, 2, 3, 1]));
}

/** The outputs a `kind: 'net'` case may list. */
export const NET_OUTPUTS = [
  'content_code',
  'content_style_code',
  'styles_code',
  'styles_style_code',
  'recombined',
  'stylized',
  'recombined_style_only',
  'stylized_style_only',
] as const;

/**
 * Runs a `kind: 'net'` case (the authors' `stylize_image([content, styles])`) on `model`:
 * encode both, recombine two-stage and style-only (content code kept), decode with the main
 * decoder; returns every output the case lists, in NCHW as the fixtures hold them. `inputs`,
 * when given, maps the input images' values first.
 */
export function netCaseOutputs(
  model: TpfrModel,
  caseDir: string,
  c: FixtureCase,
  inputs?: (values: Float32Array) => Float32Array,
): Record<string, Float32Array> {
  if (c.kind !== 'net' || !c.inputs) throw new ShapeError('netCaseOutputs', `a 'net' case with inputs`, `kind '${c.kind}'`);
  const content = readNhwc(caseDir, c.inputs.content, inputs);
  const styles = readNhwc(caseDir, c.inputs.styles, inputs);
  const ours = tf.tidy(() => {
    const zc = model.encode(content);
    const zs = model.encode(styles);
    // The authors' exemplars form one pool for the (single-sample) batch.
    const b = zc.content.shape[0];
    const peers = { content: stackPeers(zs.content, b), style: stackPeers(zs.style, b) };
    const two = model.recombine(zc, peers, { stages: 'two-stage' });
    const one = model.recombine(zc, peers, { stages: 'style-only' });
    const m: Record<(typeof NET_OUTPUTS)[number], tf.Tensor4D> = {
      content_code: zc.content,
      content_style_code: zc.style,
      styles_code: zs.content,
      styles_style_code: zs.style,
      recombined: tf.concat([two.content, two.style], -1),
      stylized: model.decode(two),
      recombined_style_only: tf.concat([one.content, one.style], -1),
      stylized_style_only: model.decode(one),
    };
    return m;
  });
  const out: Record<string, Float32Array> = {};
  try {
    for (const [name, t] of Object.entries(c.outputs)) {
      const mine = (ours as Record<string, tf.Tensor4D>)[name];
      if (!mine) throw new ShapeError('netCaseOutputs', `an output named ${NET_OUTPUTS.join(', ')}`, `'${name}'`);
      const nchw = tf.tidy(() => tf.transpose(mine, [0, 3, 1, 2]));
      try {
        if (nchw.shape.join() !== t.shape.join())
          throw new ShapeError('netCaseOutputs', `${c.name}/${name} of shape ${formatShape(t.shape)}`, `ours ${formatShape(nchw.shape)}`);
        out[name] = nchw.dataSync() as Float32Array;
      } finally {
        nchw.dispose();
      }
    }
  } finally {
    tf.dispose([content, styles, ...Object.values(ours)]);
  }
  return out;
}

/** max |a − b| over two arrays of one length (Infinity where a value is NaN). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/**
 * `values` with every finite non-zero value moved one unit in the last place (one float32 step:
 * a relative change of 2⁻²⁴…2⁻²³), up or down in magnitude as a hash of the value's bits and
 * `seed` says. Equal values move alike, so inputs that are bitwise twins (a pool holding one
 * exemplar twice) stay twins. Zeros, infinities and NaN are kept.
 */
export function perturbUlp(values: Float32Array, seed: number): Float32Array {
  const out = new Float32Array(values);
  const bits = new Int32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    if ((b & 0x7fffffff) === 0 || (b & 0x7f800000) === 0x7f800000) continue;
    let h = Math.imul(b ^ seed, 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca77);
    h ^= h >>> 13;
    // ±1 on the bit pattern of a finite non-zero float is one step in magnitude, same sign.
    bits[i] = b + ((h & 1) === 1 ? 1 : -1);
  }
  return out;
}

/** `ck` with every float32 tensor through {@link perturbUlp} (the int64 counters kept). */
export function perturbCheckpoint(ck: TorchCheckpoint, seed: number): TorchCheckpoint {
  const tensors = new Map<string, TorchTensor>();
  for (const [k, t] of ck.tensors) tensors.set(k, t.dtype === 'float32' ? { ...t, data: perturbUlp(t.data, seed) } : t);
  return { format: ck.format, tensors, ignored: ck.ignored };
}

/** float32's unit roundoff, 2⁻²⁴. */
export const FLOAT32_UNIT_ROUNDOFF = 2 ** -24;

/**
 * How far apart two float32 evaluations of one output may be, from that output's float32
 * sensitivity (see the parity test for the derivation):
 * - `sensitivity`: max |perturbed − ours| over the runs with inputs and weights one ulp away
 *   ({@link perturbUlp}, {@link perturbCheckpoint});
 * - `scale`: max |theirs|;
 * - `bound`: `factor`·sensitivity + 2u·scale (each side's final rounding, u = 2⁻²⁴).
 */
export function float32Bound(
  ours: Float32Array,
  perturbed: readonly Float32Array[],
  theirs: ArrayLike<number>,
  factor: number,
): { sensitivity: number; scale: number; bound: number } {
  const sensitivity = Math.max(...perturbed.map((p) => maxAbsDiff(p, ours)));
  let scale = 0;
  for (let i = 0; i < theirs.length; i++) scale = Math.max(scale, Math.abs(theirs[i]));
  return { sensitivity, scale, bound: factor * sensitivity + 2 * FLOAT32_UNIT_ROUNDOFF * scale };
}
