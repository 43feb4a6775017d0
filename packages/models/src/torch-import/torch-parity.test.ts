/**
 * Parity with the authors' own PyTorch generator (`test:torch`): every case of the
 * torch-generator fixtures (`$TPFR_TORCH_FIXTURES`, see `torchFixturesDir`),
 * imported with `importTorchGenerator` from the checkpoints `readTorchCheckpoint` reads.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { readTorchCheckpoint } from '@tpfr/core/torch';
import { readImage } from '../image-io/file-io.js';
import type { TpfrModel } from '../model/model.js';
import { centerCrop } from '../pipeline/geometry.js';
import { resizeShorterSide } from '../pipeline/resize.js';
import { minMaxStretch } from '../pipeline/stretch.js';
import { stylize } from '../model/stylize.js';
import { importTorchGenerator, type TorchImportReport } from './index.js';
import { readF32, readFixtureManifest, runNetCase, torchFixturesDir, type FixtureCase, type FixtureManifest } from '@tpfr/testing/torch-fixtures';
import { fixturesPresent } from '@tpfr/testing';

const DIR = torchFixturesDir();
const HAVE_FIXTURES = fixturesPresent(existsSync(join(DIR, 'manifest.json')), `torch-parity: no torch-generator fixtures at ${DIR} (set TPFR_TORCH_FIXTURES to the folder with manifest.json)`);


/**
 * Outputs where float32 rounding alone exceeds the manifest's 1e-4, with the bound used instead.
 * `net_g8zip_36x52_2styles`: the global-style half of the 44×28 exemplars' style code ends in a
 * 2×1 map whose instance norm divides by the difference of two nearly equal values (~6e-4 before
 * the norm, against √ε = 3e-3), which amplifies rounding ~30×. Against a float64 run of the same
 * weights, the fixture itself is 1.27e-4 off there and we are 1.06e-4 off; the local half agrees
 * to 4e-6. Every other output of every case is held to the manifest's tolerance.
 */
const ILL_CONDITIONED: Record<string, Record<string, number>> = {
  net_g8zip_36x52_2styles: { styles_style_code: 2.5e-4 },
};

const fmt = (d: Record<string, number>) => Object.entries(d).map(([k, v]) => `${k} ${v >= 0.01 ? v.toFixed(5) : v.toExponential(2)}`).join(', ');

describe.skipIf(!HAVE_FIXTURES)('importTorchGenerator: parity with the authors\' PyTorch generator', () => {
  const manifest: FixtureManifest = HAVE_FIXTURES ? readFixtureManifest(DIR) : { checkpoints: {}, cases: [] };
  const models = new Map<string, { model: TpfrModel; report: TorchImportReport }>();
  const load = (file: string) => {
    let m = models.get(file);
    if (!m) {
      m = importTorchGenerator(readTorchCheckpoint(new Uint8Array(readFileSync(join(DIR, file)))));
      models.set(file, m);
    }
    return m;
  };
  beforeAll(async () => {
    await initBackend('cpu');
  });
  afterAll(() => {
    for (const m of models.values()) m.model.dispose();
  });

  it('reads every checkpoint of the manifest: format, ngf, 156 keys, 4 ignored', () => {
    for (const [file, info] of Object.entries(manifest.checkpoints)) {
      const { report, model } = load(file);
      expect(report).toMatchObject({ format: info.format, ngf: info.ngf, residualBlocks: 6, keys: 156, mapped: 152 });
      expect(report.ignored).toHaveLength(4);
      expect(model.config).toMatchObject({ downsamplePadding: 'symmetric', ties: 'include', k: 5 });
    }
  });

  for (const c of manifest.cases.filter((x) => x.kind === 'net')) {
    const loose = Object.entries(ILL_CONDITIONED[c.name] ?? {}).map(([k, v]) => `${k} ${v}`).join(', ');
    it(`${c.name}: every output within ${c.tolerance_max_abs}${loose ? ` (ill-conditioned: ${loose})` : ''}`, () => {
      const { model } = load(c.checkpoint);
      const before = tf.memory().numTensors;
      const diffs = runNetCase(model, join(DIR, c.name), c);
      expect(tf.memory().numTensors).toBe(before);
      console.log(`${c.name}: max |ours − torch|: ${fmt(diffs)}`);
      expect(Object.keys(diffs).sort()).toEqual(Object.keys(c.outputs).sort());
      const tol = c.tolerance_max_abs ?? 1e-4;
      for (const [name, d] of Object.entries(diffs)) {
        const bound = ILL_CONDITIONED[c.name]?.[name] ?? tol;
        if (bound !== tol) console.log(`${c.name}/${name}: held to ${bound} instead of ${tol} (ill-conditioned, see ILL_CONDITIONED)`);
        expect(d, `${c.name}/${name}`).toBeLessThanOrEqual(bound);
      }
    });
  }

  for (const c of manifest.cases.filter((x) => x.kind === 'pipeline')) {
    it(`${c.name}: the authors' test.py path (resize, crop, pad, stylize, stretch)`, () => {
      const { model } = load(c.checkpoint);
      const p = c as FixtureCase & {
        size: number; images: Record<string, string>;
        tolerance_png_levels: number; tolerance_png_fraction_within: number; tolerance_resize_levels: number; tolerance_resize_fraction_within: number;
      };
      const caseDir = join(DIR, c.name);
      const img = (name: string) => tf.tidy(() => tf.cast(readImage(join(caseDir, p.images[name])), 'float32') as tf.Tensor3D);
      const within = (a: tf.Tensor, b: tf.Tensor, levels: number) => tf.tidy(() => tf.mean(tf.cast(tf.lessEqual(tf.abs(tf.sub(tf.cast(a, 'float32'), tf.cast(b, 'float32'))), levels + 1e-3), 'float32')).dataSync()[0]);
      const content = img('content_source');
      const style = img('style_source');
      const results: Record<string, number> = {}; // fractions of values within the tolerance
      try {
        for (const [src, ref] of [[content, 'content_resized'], [style, 'style_resized']] as const) {
          const ours = tf.tidy(() => centerCrop(resizeShorterSide(src, p.size), p.size));
          const theirs = img(ref);
          results[`${ref} within ${p.tolerance_resize_levels}`] = within(ours, theirs, p.tolerance_resize_levels);
          tf.dispose([ours, theirs]);
          expect(results[`${ref} within ${p.tolerance_resize_levels}`], ref).toBeGreaterThanOrEqual(p.tolerance_resize_fraction_within);
        }
        // One network run (15 s on the cpu backend): the pipeline without its last step, in −1…1,
        // then that step (imageio's min–max stretch) as stylize's default `stretch: true` does it.
        const unit = tf.tidy(() => [tf.sub(tf.div(content, 127.5), 1), tf.sub(tf.div(style, 127.5), 1)] as tf.Tensor3D[]);
        const float = stylize(model, unit[0], unit[1], { range: '-1-1', pipeline: { size: p.size, stretch: false } }) as tf.Tensor3D;
        tf.dispose(unit);
        const png = minMaxStretch(float);
        const theirsPng = img('stylized');
        results[`stylized.png within ${p.tolerance_png_levels}`] = within(png, theirsPng, p.tolerance_png_levels);
        const levelsOff = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.cast(png, 'float32'), theirsPng))).dataSync()[0]);
        tf.dispose([png, theirsPng]);
        const f = p.outputs.stylized_float;
        const theirsFloat = readF32(join(caseDir, f.file), f.shape);
        // Read outside the tidy: tidy walks a returned typed array value by value.
        const nchw = tf.tidy(() => tf.transpose(tf.expandDims(float, 0), [0, 3, 1, 2]));
        const oursFloat = nchw.dataSync();
        nchw.dispose();
        float.dispose();
        let m = 0;
        for (let i = 0; i < theirsFloat.length; i++) m = Math.max(m, Math.abs(oursFloat[i] - theirsFloat[i]));
        console.log(`${c.name}: ${fmt(results)}; stylized.png max level difference ${levelsOff}; stylized_float max |ours − torch| ${m.toExponential(2)}`);
        expect(results[`stylized.png within ${p.tolerance_png_levels}`]).toBeGreaterThanOrEqual(p.tolerance_png_fraction_within);
        expect(m).toBeLessThanOrEqual(1e-4);
      } finally {
        tf.dispose([content, style]);
      }
    });
  }
});

describe.skipIf(HAVE_FIXTURES)('importTorchGenerator: parity with the authors\' PyTorch generator (skipped)', () => {
  it.skip(`no torch-generator fixtures at ${DIR} (set TPFR_TORCH_FIXTURES to the folder with manifest.json)`, () => {});
});
