/**
 * The input gradient by Winograd's F(4×4, 3×3) (wasm's Conv2DBackpropInput where `winogradPlan`
 * applies) against the direct gradient (the flipped filter's convolution, Winograd off): equal
 * within float32 rounding for paddings, odd sizes, batches and several chunks of tiles; the same
 * bit for bit with the transposed filters held; and without leaks. Against float64 index arithmetic, the paper's residual convolution (which takes
 * this path) is checked in `wasm-conv-backprop.test.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { WINOGRAD_CASES, type WinogradCase, type WinogradPad as Pad, winogradCaseArb } from '@tpfr/testing/winograd-cases';
import { WINOGRAD_MIN_CHANNELS, WINOGRAD_MIN_TILES, holdWinogradFilters, setWasmWinograd, winogradPlan } from './wasm-winograd.js';

type Shape4 = [number, number, number, number];

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => {
  setWasmWinograd(true);
});

/** The input gradient of `conv2d(·, w, 1, pad)` into `xShape` at `dy`, as the kernel computes it. */
const inputGradient = (dy: tf.Tensor4D, w: tf.Tensor4D, xShape: Shape4, pad: Pad) =>
  tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, {
    strides: [1, 1],
    pad,
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
    inputShape: xShape,
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;

/** The gradient with the Winograd path on and off: their largest difference and the largest magnitude. */
function both(dy: tf.Tensor4D, w: tf.Tensor4D, xShape: Shape4, pad: Pad): { diff: number; scale: number } {
  return tf.tidy(() => {
    setWasmWinograd(false);
    const direct = inputGradient(dy, w, xShape, pad);
    setWasmWinograd(true);
    const fast = inputGradient(dy, w, xShape, pad);
    expect(fast.shape).toEqual(direct.shape);
    return { diff: tf.max(tf.abs(tf.sub(fast, direct))).dataSync()[0], scale: tf.max(tf.abs(direct)).dataSync()[0] };
  });
}

const plan = (x: Shape4, co: number, pad: Pad, minTiles = WINOGRAD_MIN_TILES) =>
  winogradPlan(x, [3, 3, x[3], co], { strides: 1, pad: pad as 'same', dataFormat: 'NHWC', dilations: 1 }, minTiles);

/** Seeded dy and filter for the convolution of `xShape` to `co` channels. */
function operands(xShape: Shape4, co: number, pad: Pad, seed: number): { dy: tf.Tensor4D; w: tf.Tensor4D } {
  const info = plan(xShape, co, pad, 1)!;
  return {
    dy: tf.randomNormal([xShape[0], info.outHeight, info.outWidth, co], 0, 1, 'float32', seed) as tf.Tensor4D,
    w: tf.randomNormal([3, 3, xShape[3], co], 0, Math.sqrt(2 / (9 * co)), 'float32', seed + 1) as tf.Tensor4D,
  };
}

/** The gradient at a case, on and off the Winograd path, within float32 rounding of each other. */
function check(c: WinogradCase, seed: number): number {
  expect(plan(c.x, c.co, c.pad), JSON.stringify(c)).not.toBeNull();
  return tf.tidy(() => {
    const { dy, w } = operands(c.x, c.co, c.pad, seed);
    const { diff, scale } = both(dy, w, c.x, c.pad);
    expect(diff, JSON.stringify(c)).toBeLessThan(4e-5 * scale);
    return diff;
  });
}

it('equals the direct gradient within float32 rounding, for paddings, odd sizes, batches and several chunks', () => {
  for (const [i, c] of WINOGRAD_CASES.entries())
    expect(check(c, 10 * i), `${JSON.stringify(c)}: the Winograd path ran (its rounding differs)`).toBeGreaterThan(0);
});

it('equals the direct gradient for padding before and after on both axes, odd sizes and batches (seeded)', () => {
  fc.assert(
    fc.property(winogradCaseArb({ minChannels: WINOGRAD_MIN_CHANNELS, padBefore: 0 }), fc.nat(), (c, seed) => {
      check(c, seed);
    }),
    { seed: 30, numRuns: 12 },
  );
});

it('gives the same gradient bit for bit with the transposed filters held, and keeps them until the last release', () => {
  const backend = tf.backend() as BackendWasm;
  const x: Shape4 = [1, 50, 50, 160]; // 144 tiles
  expect(plan(x, 160, 'valid')).not.toBeNull();
  const { dy, w } = operands(x, 160, 'valid', 40);
  const plain = inputGradient(dy, w, x, 'valid');
  const before = backend.numDataIds();
  const release = holdWinogradFilters();
  const held = [0, 1].map(() => inputGradient(dy, w, x, 'valid'));
  // Its 36 transposed matrices kept.
  expect(backend.numDataIds()).toBe(before + 2 + 36);
  for (const h of held) expect(h.dataSync()).toEqual(plain.dataSync());
  release();
  expect(backend.numDataIds()).toBe(before + 2);
  tf.dispose([dy, w, plain, ...held]);
});

it('keeps no tensors, in the engine or in the wasm heap', async () => {
  const x: Shape4 = [1, 40, 40, 160];
  const { dy, w } = operands(x, 160, 'same', 50);
  const backend = tf.engine().backend;
  const ids = backend.numDataIds();
  await expectNoLeaks(() => inputGradient(dy, w, x, 'same'));
  expect(backend.numDataIds()).toBe(ids);
  tf.dispose([dy, w]);
});
