import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { MICRO_MODEL } from '@tpfr/testing';
import { TpfrModel } from '../model/model.js';
import { latentWidths } from '../model/config.js';
import { stylize } from './stylize.js';
import { planInference } from '../inference/plan.js';

let transposed: TpfrModel;
let nearest: TpfrModel;

beforeAll(async () => {
  await initBackend('wasm');
  transposed = TpfrModel.create(MICRO_MODEL);
  nearest = TpfrModel.create({ ...MICRO_MODEL, upsampling: 'nearest' });
});
afterAll(() => {
  transposed.dispose();
  nearest.dispose();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** Bytes of the content and style codes of `b` images `h × w` (sides multiples of 4): 4 bytes × latent pixels × channels. */
const codeBytes = (model: TpfrModel, b: number, h: number, w: number) => {
  const { content, style } = latentWidths(model.config);
  return 4 * ((b * h * w) / 16) * (content + style);
};
/** Bytes of one full-resolution map (`ngf` channels) of `b` images `h × w`. */
const fullBytes = (model: TpfrModel, b: number, h: number, w: number) => 4 * b * h * w * model.config.ngf;

describe('planInference: one budget decides every stage', () => {
  it('runs the networks whole while the full-resolution map fits the map budget, in bands of an eighth of it beyond', () => {
    const cfg = transposed.config;
    const at = fullBytes(transposed, 1, 32, 36);
    expect(planInference('t', cfg, [1, 32, 36], { mapBudgetBytes: at })).toMatchObject({
      encode: 'whole',
      decode: 'whole',
      codes: 'backend',
      recombineRows: 8,
    });
    const over = planInference('t', cfg, [1, 32, 36], { mapBudgetBytes: at - 1 });
    expect(over).toMatchObject({ encode: 'bands', decode: 'bands' });
    expect(over.bands).toEqual({ bandBytes: (at - 1) / 8, bandRows: undefined, wholeBlockBytes: (at - 1) / 2 });
    // The default: 256 MiB, the paper model whole up to 1024² and in bands above.
    const paper = { ...cfg, ngf: 64 };
    expect(planInference('t', paper, [1, 1024, 1024]).encode).toBe('whole');
    expect(planInference('t', paper, [1, 1032, 1024]).encode).toBe('bands');
    expect(planInference('t', paper, [1, 2048, 2048])).toMatchObject({ encode: 'bands', codes: 'host', decode: 'bands' });
  });

  it('keeps the codes in JS memory exactly when they take more than the map budget, recombined in bands of an eighth of it', () => {
    const cfg = transposed.config;
    const at = codeBytes(transposed, 1, 32, 36);
    expect(planInference('t', cfg, [1, 32, 36], { mapBudgetBytes: at }).codes).toBe('backend');
    const over = planInference('t', cfg, [1, 32, 36], { mapBudgetBytes: at - 1 });
    expect(over.codes).toBe('host');
    // A latent row is 9 pixels × 48 channels: 1,728 bytes; an eighth of the budget holds at least one row.
    expect(over.recombineRows).toBe(Math.max(1, Math.floor((at - 1) / 8 / (4 * 9 * 48))));
    expect(planInference('t', cfg, [1, 32, 36], { mapBudgetBytes: at - 1, bands: 'never' })).toMatchObject({
      encode: 'whole',
      codes: 'backend',
      decode: 'whole',
    });
    expect(planInference('t', cfg, [1, 32, 36], { bands: 'always', bandRows: 3 })).toMatchObject({
      encode: 'bands',
      codes: 'backend',
      decode: 'bands',
      bands: { bandRows: 3 },
    });
  });

  it('refuses options it cannot follow, naming the caller', () => {
    const cfg = transposed.config;
    expect(() => planInference('stylize', cfg, [1, 32, 32], { mapBudgetBytes: 0 })).toThrow(/stylize.*mapBudgetBytes > 0/);
    expect(() => planInference('stylize', cfg, [1, 32, 32], { mapBudgetBytes: Number.NaN })).toThrow(/mapBudgetBytes > 0/);
    expect(() => planInference('stylize', cfg, [1, 32, 32], { bands: 'yes' as 'auto' })).toThrow(/bands 'auto', 'always' or 'never'/);
    expect(() => planInference('stylize', cfg, [1, 32, 32], { bandRows: 1.5 })).toThrow(/bandRows a positive integer/);
  });
});

for (const [label, get] of [
  ['transposed', () => transposed],
  ['nearest', () => nearest],
] as const) {
  it(`stylize follows the plan of its map budget with the same result: whole, bands, codes in JS memory (${label} upsampling)`, () => {
    const model = get();
    const content = tf.randomUniform([2, 32, 36, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const styles = [
      tf.randomUniform([32, 40, 3], -1, 1, 'float32', 2),
      tf.randomUniform([32, 40, 3], -1, 1, 'float32', 3),
    ] as tf.Tensor3D[];
    const want = stylize(model, content, styles, { range: '-1-1', k: 3 });
    const recombine = vi.spyOn(model, 'recombine');
    for (const mapBudgetBytes of [codeBytes(model, 2, 32, 36), codeBytes(model, 2, 32, 36) - 1, 8 * 4 * 2 * 9 * 48]) {
      recombine.mockClear();
      const before = tf.memory().numTensors;
      let plan: unknown;
      const got = stylize(model, content, styles, { range: '-1-1', k: 3, mapBudgetBytes, onMemoryEstimate: (e) => (plan = e.plan) });
      expect(tf.memory().numTensors, `budget ${mapBudgetBytes}`).toBe(before + 1);
      const expected = planInference('t', model.config, [2, 32, 36], { mapBudgetBytes });
      expect(plan).toEqual(expected);
      // One recombination per band of latent rows, each with the call's options.
      expect(recombine).toHaveBeenCalledTimes(Math.ceil(8 / expected.recombineRows));
      expect(recombine.mock.calls[0][2]).toMatchObject({ k: 3, stages: undefined });
      expect(got.shape).toEqual([2, 32, 36, 3]);
      expect(maxDiff(got, want), `budget ${mapBudgetBytes}`).toBeLessThan(1e-4);
      got.dispose();
    }
    tf.dispose([content, ...styles, want]);
  });
}

it('a memory budget too small for whole maps plans bands instead of refusing, with the same result', () => {
  const model = transposed;
  const content = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
  const style = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
  const estimates: { peakBytes: number; plan: { encode: string } }[] = [];
  const want = stylize(model, content, style, { range: '-1-1', onMemoryEstimate: (e) => estimates.push(e) });
  expect(estimates[0].plan.encode).toBe('whole');
  const budget = estimates[0].peakBytes - 1;
  const got = stylize(model, content, style, { range: '-1-1', memoryBudgetBytes: budget, onMemoryEstimate: (e) => estimates.push(e) });
  expect(estimates[1].plan.encode).toBe('bands');
  expect(estimates[1].peakBytes).toBeLessThanOrEqual(budget);
  expect(maxDiff(got, want)).toBeLessThan(1e-4);
  tf.dispose([content, style, want, got]);
});
