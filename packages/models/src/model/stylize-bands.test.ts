import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { TpfrModel } from './model.js';
import { latentWidths } from './config.js';
import { stylize } from './stylize.js';

// The band threshold (256 MiB) lowered, so that small images take the paths of very large ones:
// the codes kept in JS memory (transposed upsampling) or the recombination in bands (nearest).
const state = vi.hoisted(() => ({ threshold: 256 * 2 ** 20 }));
vi.mock('./banded.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('./banded.js')>();
  return {
    ...original,
    get BAND_THRESHOLD_BYTES() {
      return state.threshold;
    },
  };
});

let transposed: TpfrModel;
let nearest: TpfrModel;

beforeAll(async () => {
  await initBackend('wasm');
  transposed = TpfrModel.create({ preset: 'tiny', ngf: 4, residualBlocks: 1 });
  nearest = TpfrModel.create({ preset: 'tiny', ngf: 4, residualBlocks: 1, upsampling: 'nearest' });
});
afterAll(() => {
  transposed.dispose();
  nearest.dispose();
});
afterEach(() => {
  state.threshold = 256 * 2 ** 20;
  vi.restoreAllMocks();
});

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** Bytes of the content and style codes of `b` images `h × w` (sides multiples of 4): 4 bytes × latent pixels × channels. */
const codeBytes = (model: TpfrModel, b: number, h: number, w: number) => {
  const { content, style } = latentWidths(model.config);
  return 4 * ((b * h * w) / 16) * (content + style);
};

it('keeps the codes in JS memory exactly when they would take more than the threshold, with the same result', () => {
  const model = transposed;
  const content = tf.randomUniform([2, 32, 36, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const one = tf.slice(content, [0], [1]) as tf.Tensor4D;
  const style = tf.randomUniform([1, 32, 40, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  // References at the real threshold: far below it, everything stays in the backend.
  const wantOne = stylize(model, one, style, { range: '-1-1' });
  const wantTwo = stylize(model, content, style, { range: '-1-1' });
  const host = vi.spyOn(model, 'hostCodes');
  const recombine = vi.spyOn(model, 'recombine');
  expect(host).not.toHaveBeenCalled();
  // Codes of one 32×36 image exactly at the threshold: not kept on the host.
  state.threshold = codeBytes(model, 1, 32, 36);
  recombine.mockClear();
  const atOne = stylize(model, one, style, { range: '-1-1' });
  expect(host).not.toHaveBeenCalled();
  expect(recombine).toHaveBeenCalledTimes(1);
  expect(maxDiff(atOne, wantOne)).toBeLessThan(1e-4);
  // The batch of two has twice the bytes: host codes, one recombination (the rows fit one 32 MiB band), the same images.
  recombine.mockClear();
  const before = tf.memory().numTensors;
  const two = stylize(model, content, style, { range: '-1-1' });
  expect(tf.memory().numTensors).toBe(before + 1);
  expect(host).toHaveBeenCalledTimes(1);
  expect(recombine).toHaveBeenCalledTimes(1);
  expect(two.shape).toEqual([2, 32, 36, 3]);
  expect(maxDiff(two, wantTwo)).toBeLessThan(1e-4);
  // One byte under the single image's codes: host for it too.
  state.threshold = codeBytes(model, 1, 32, 36) - 1;
  host.mockClear();
  const below = stylize(model, one, style, { range: '-1-1' });
  expect(host).toHaveBeenCalledTimes(1);
  expect(maxDiff(below, wantOne)).toBeLessThan(1e-4);
  // The exemplars' size does not count: a larger exemplar with the content at the threshold stays in the backend.
  state.threshold = codeBytes(model, 1, 32, 36);
  host.mockClear();
  const bigStyle = tf.randomUniform([1, 48, 48, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
  stylize(model, one, bigStyle, { range: '-1-1' }).dispose();
  expect(host).not.toHaveBeenCalled();
  tf.dispose([content, one, style, bigStyle, wantOne, wantTwo, atOne, two, below]);
});

it('without band-wise inference (nearest upsampling) large codes are recombined through the band path, with the same result', () => {
  const model = nearest;
  expect(model.supportsBands).toBe(false);
  const content = tf.randomUniform([2, 36, 32, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
  const styles = [tf.randomUniform([32, 32, 3], -1, 1, 'float32', 5), tf.randomUniform([32, 32, 3], -1, 1, 'float32', 6)] as tf.Tensor3D[];
  const want = stylize(model, content, styles, { range: '-1-1', k: 3 });
  const host = vi.spyOn(model, 'hostCodes');
  const recombine = vi.spyOn(model, 'recombine');
  for (const threshold of [codeBytes(model, 2, 36, 32), codeBytes(model, 2, 36, 32) - 1, 1]) {
    state.threshold = threshold;
    recombine.mockClear();
    const before = tf.memory().numTensors;
    const got = stylize(model, content, styles, { range: '-1-1', k: 3 });
    expect(tf.memory().numTensors, `threshold ${threshold}`).toBe(before + 1);
    expect(host).not.toHaveBeenCalled();
    // The latent rows are far below 32 MiB: one call, with all 9 rows and the options.
    expect(recombine).toHaveBeenCalledTimes(1);
    const [z, , opts] = recombine.mock.calls[0];
    expect(z.content.shape).toEqual([2, 9, 8, 16]);
    expect(opts).toEqual({ k: 3, stages: undefined });
    expect(got.shape).toEqual([2, 36, 32, 3]);
    expect(maxDiff(got, want), `threshold ${threshold}`).toBeLessThan(1e-5);
    got.dispose();
  }
  tf.dispose([content, ...styles, want]);
});
