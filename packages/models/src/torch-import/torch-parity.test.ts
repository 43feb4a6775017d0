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
import { readTorchCheckpoint, type TorchCheckpoint } from '@tpfr/core/torch';
import { readImage } from '../image-io/file-io.js';
import type { TpfrModel } from '../model/model.js';
import { centerCrop } from '../pipeline/geometry.js';
import { resizeShorterSide } from '../pipeline/resize.js';
import { minMaxStretch } from '../pipeline/stretch.js';
import { stylize } from '../stylize/stylize.js';
import { importTorchGenerator, type TorchImportReport } from './index.js';
import {
  float32Bound,
  maxAbsDiff,
  netCaseOutputs,
  perturbCheckpoint,
  perturbUlp,
  readF32,
  readFixtureManifest,
  torchFixturesDir,
  type FixtureCase,
  type FixtureManifest,
} from '@tpfr/testing/torch-fixtures';
import { fixturesPresent } from '@tpfr/testing';

const DIR = torchFixturesDir();
const HAVE_FIXTURES = fixturesPresent(
  existsSync(join(DIR, 'manifest.json')),
  `torch-parity: no torch-generator fixtures at ${DIR} (set TPFR_TORCH_FIXTURES to the folder with manifest.json)`,
);

/**
 * How far our outputs may be from the authors', derived for every output of every case from the
 * computation itself (no case or output is named; the manifest's one `tolerance_max_abs` for
 * every output is not used).
 *
 * Both sides evaluate the same network in float32, in different orders. An evaluation returns
 * `f(x, θ) + e`, and rounding error analysis writes e, to first order, as the network's response
 * to relative perturbations of at most u = 2⁻²⁴ at every operation. So we measure that response:
 * two more runs with every input and weight one ulp away (relative u…2u, directions from a hash
 * of each value: {@link perturbUlp}, {@link perturbCheckpoint}), on the wasm backend (XNNPACK
 * sums in another order than the cpu backend's loops: the rounding changes too). `S` = the
 * largest |perturbed run − our run| over the output's values and the two runs (one run can be
 * small by chance). S follows what the computation amplifies: the global half of a style code ends in a 2×1 map when the code is 9×8 to 11×7
 * pixels, and the instance norm of two nearly equal values (their difference near √ε of the
 * norm) multiplies rounding tens of times; S there is 1e-4–3e-4, against ~6e-6 elsewhere.
 *
 * Against float64 re-runs of the authors' generator (their models/*.py, torch 1.13, `.double()`)
 * on 8 cases, 64 outputs (the three shared ones, and five made with
 * `examples/torch-fixtures/authors-net-case.py`: zip checkpoints of ngf 8, 16 and 32, contents of
 * 28×44 to 40×36, one to four exemplars, among them ngf 16 with a 36×32 content and three 40×28
 * exemplars, where the former 1e-4 failed), each float32 evaluation, ours and the fixture's, was
 * within 0.95·S of float64, and |ours − torch| within 1.18·S (with one perturbed run instead of
 * two: within 4.2·S). We allow 2·S per evaluation:
 * `|ours − torch| ≤ 4·S + 2u·max|torch|` (the last term: each side's final rounding). That is
 * 1e-5–4e-5 for the well-conditioned outputs and up to ~1e-3 for the amplified ones. A wrong
 * weight, channel or tap moves outputs by far more than a few ulps and still fails: swapped
 * latent channels, two swapped taps, a PReLU slope off by 0.01, a BatchNorm variance or the last
 * bias off by 1 % or 1e-4 each fail in at least two of the three shared cases, and a 1 % error in
 * one weight of the global-style branch (3.5e-5 at most, which the former 1e-4 let pass) fails
 * in one.
 */
const SENSITIVITY_FACTOR = 4;
const PERTURBATION_SEEDS = [1, 2];
/**
 * S must stay a first-order response: at most 2⁻¹⁰ of the output's scale (the most amplified
 * output above reached 1.2e-4 of it). Larger means a perturbed run crossed a discontinuity (a
 * neighbour choice within rounding of a tie, as in the pipeline case below) or the wasm backend
 * computes something else; float32 then promises nothing and the case cannot be checked so.
 */
const FIRST_ORDER = 2 ** -10;

const fmt = (d: Record<string, number>) =>
  Object.entries(d)
    .map(([k, v]) => `${k} ${v >= 0.01 ? v.toFixed(5) : v.toExponential(2)}`)
    .join(', ');

describe.skipIf(!HAVE_FIXTURES)("importTorchGenerator: parity with the authors' PyTorch generator", () => {
  const manifest: FixtureManifest = HAVE_FIXTURES ? readFixtureManifest(DIR) : { checkpoints: {}, cases: [] };
  const checkpoints = new Map<string, TorchCheckpoint>();
  const checkpoint = (file: string) => {
    let ck = checkpoints.get(file);
    if (!ck) {
      ck = readTorchCheckpoint(new Uint8Array(readFileSync(join(DIR, file))));
      checkpoints.set(file, ck);
    }
    return ck;
  };
  const models = new Map<string, { model: TpfrModel; report: TorchImportReport }>();
  const load = (file: string) => {
    let m = models.get(file);
    if (!m) {
      m = importTorchGenerator(checkpoint(file));
      models.set(file, m);
    }
    return m;
  };
  /**
   * `run` on the model of `file` with every weight one ulp away, once per seed, on the wasm
   * backend (the cpu backend is set again after); `run` perturbs its inputs with the same seed.
   */
  const perturbedRuns = async <T>(file: string, run: (model: TpfrModel, seed: number) => T): Promise<T[]> => {
    const out: T[] = [];
    await initBackend('wasm');
    try {
      for (const seed of PERTURBATION_SEEDS) {
        const { model } = importTorchGenerator(perturbCheckpoint(checkpoint(file), seed));
        try {
          out.push(run(model, seed));
        } finally {
          model.dispose();
        }
      }
    } finally {
      await initBackend('cpu');
    }
    return out;
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
    it(`${c.name}: every output within ${SENSITIVITY_FACTOR}× its float32 sensitivity`, async () => {
      const { model } = load(c.checkpoint);
      const caseDir = join(DIR, c.name);
      const before = tf.memory().numTensors;
      const ours = netCaseOutputs(model, caseDir, c);
      const perturbed = await perturbedRuns(c.checkpoint, (m, seed) => netCaseOutputs(m, caseDir, c, (v) => perturbUlp(v, seed)));
      expect(tf.memory().numTensors).toBe(before);
      expect(Object.keys(ours).sort()).toEqual(Object.keys(c.outputs).sort());
      const diffs: Record<string, number> = {};
      const bounds: Record<string, number> = {};
      for (const [name, t] of Object.entries(c.outputs)) {
        const theirs = readF32(join(caseDir, t.file), t.shape);
        const b = float32Bound(
          ours[name],
          perturbed.map((p) => p[name]),
          theirs,
          SENSITIVITY_FACTOR,
        );
        diffs[name] = maxAbsDiff(ours[name], theirs);
        bounds[name] = b.bound;
        expect(
          b.sensitivity,
          `${c.name}/${name}: the perturbed runs moved it by ${b.sensitivity}, not a first-order rounding response (scale ${b.scale})`,
        ).toBeLessThanOrEqual(FIRST_ORDER * b.scale);
        expect(b.sensitivity, `${c.name}/${name}: the perturbation reached it`).toBeGreaterThan(0);
      }
      console.log(`${c.name}: max |ours − torch|: ${fmt(diffs)}\n${c.name}: bounds: ${fmt(bounds)}`);
      for (const name of Object.keys(c.outputs))
        expect(diffs[name], `${c.name}/${name} (bound ${bounds[name]})`).toBeLessThanOrEqual(bounds[name]);
    });
  }

  for (const c of manifest.cases.filter((x) => x.kind === 'pipeline')) {
    it(`${c.name}: the authors' test.py path (resize, crop, pad, stylize, stretch)`, () => {
      const { model } = load(c.checkpoint);
      const p = c as FixtureCase & {
        size: number;
        images: Record<string, string>;
        tolerance_png_levels: number;
        tolerance_png_fraction_within: number;
        tolerance_resize_levels: number;
        tolerance_resize_fraction_within: number;
      };
      const caseDir = join(DIR, c.name);
      const img = (name: string) => tf.tidy(() => tf.cast(readImage(join(caseDir, p.images[name])), 'float32') as tf.Tensor3D);
      const within = (a: tf.Tensor, b: tf.Tensor, levels: number) =>
        tf.tidy(
          () =>
            tf
              .mean(tf.cast(tf.lessEqual(tf.abs(tf.sub(tf.cast(a, 'float32'), tf.cast(b, 'float32'))), levels + 1e-3), 'float32'))
              .dataSync()[0],
        );
      const content = img('content_source');
      const style = img('style_source');
      const results: Record<string, number> = {}; // fractions of values within the tolerance
      try {
        for (const [src, ref] of [
          [content, 'content_resized'],
          [style, 'style_resized'],
        ] as const) {
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
        console.log(
          `${c.name}: ${fmt(results)}; stylized.png max level difference ${levelsOff}; stylized_float max |ours − torch| ${m.toExponential(2)}`,
        );
        expect(results[`stylized.png within ${p.tolerance_png_levels}`]).toBeGreaterThanOrEqual(p.tolerance_png_fraction_within);
        // Not a rounding bound (see FIRST_ORDER): at 256² with photographs a few neighbour choices are
        // within float32 rounding of a tie. Runs in another summation order (the wasm backend) choose
        // otherwise at one latent pixel (5th and 6th nearest 4.004482 and 4.004505 apart, on codes
        // that agree to 3e-5), which moves 6,000 output values by up to 0.1: float32 promises nothing
        // there. Ours and theirs happen to choose alike, and the fixed 1e-4 checks that they still do.
        expect(m).toBeLessThanOrEqual(1e-4);
      } finally {
        tf.dispose([content, style]);
      }
      // One cpu run of the network at 272² (15 s alone, over a minute on a loaded machine).
    }, 180_000);
  }
});

describe.skipIf(HAVE_FIXTURES)("importTorchGenerator: parity with the authors' PyTorch generator (skipped)", () => {
  it.skip(`no torch-generator fixtures at ${DIR} (set TPFR_TORCH_FIXTURES to the folder with manifest.json)`, () => {});
});
