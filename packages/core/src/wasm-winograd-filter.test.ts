/**
 * The filter gradient by Winograd's F(4×4, 3×3) (wasm's Conv2DBackpropFilter where `winogradPlan`
 * applies) against the direct gradient: equal within float32 rounding for paddings, odd sizes,
 * batches and several chunks of tiles, and without leaks. Against float64 index arithmetic, the
 * paper's residual convolution (which takes this path) is checked in `wasm-conv-backprop.test.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import {
  WINOGRAD_CASES,
  type WinogradCase,
  type WinogradPad as Pad,
  winogradCaseArb,
  winogradOutShape,
} from '@tpfr/testing/winograd-cases';
import { WINOGRAD_MIN_CHANNELS, setWasmWinograd, winogradPlan } from './wasm-winograd.js';

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => {
  setWasmWinograd(true);
});

/** The filter gradient of `conv2d(x, ·, 1, pad)` at `dy`, as the kernel computes it. */
const filterGradient = (x: tf.Tensor4D, dy: tf.Tensor4D, co: number, pad: Pad) =>
  tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides: [1, 1],
    pad,
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
    filterShape: [3, 3, x.shape[3], co],
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;

/** The gradient with the Winograd path on and off, their largest difference and the largest magnitude. */
function both(x: tf.Tensor4D, dy: tf.Tensor4D, co: number, pad: Pad): { diff: number; scale: number } {
  return tf.tidy(() => {
    setWasmWinograd(false);
    const direct = filterGradient(x, dy, co, pad);
    setWasmWinograd(true);
    const fast = filterGradient(x, dy, co, pad);
    expect(fast.shape).toEqual(direct.shape);
    return {
      diff: tf.max(tf.abs(tf.sub(fast, direct))).dataSync()[0],
      scale: tf.max(tf.abs(direct)).dataSync()[0],
    };
  });
}

const takesWinograd = (x: number[], co: number, pad: Pad) =>
  winogradPlan(x, [3, 3, x[3], co], { strides: 1, pad: pad as 'same', dataFormat: 'NHWC', dilations: 1 }) !== null;

/** The gradient at a case, on and off the Winograd path, within float32 rounding of each other. */
function check(c: WinogradCase, seed: number): number {
  expect(takesWinograd(c.x, c.co, c.pad), JSON.stringify(c)).toBe(true);
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', seed) as tf.Tensor4D;
    const dy = tf.randomNormal(winogradOutShape(c), 0, 1, 'float32', seed + 1) as tf.Tensor4D;
    const { diff, scale } = both(x, dy, c.co, c.pad);
    expect(diff, JSON.stringify(c)).toBeLessThan(4e-5 * scale);
    return diff;
  });
}

it('equals the direct gradient within float32 rounding, for paddings, odd sizes, batches and several chunks', () => {
  for (const [i, c] of WINOGRAD_CASES.entries())
    expect(check(c, 5 + 10 * i), `${JSON.stringify(c)}: the Winograd path ran (its rounding differs)`).toBeGreaterThan(0);
});

it('equals the direct gradient for padding before and after on both axes, odd sizes and batches (seeded)', () => {
  fc.assert(
    fc.property(winogradCaseArb({ minChannels: WINOGRAD_MIN_CHANNELS, padBefore: 0 }), fc.nat(), (c, seed) => {
      check(c, seed);
    }),
    { seed: 29, numRuns: 12 },
  );
});

it('keeps no tensors, in the engine or in the wasm heap', async () => {
  const x = tf.randomNormal([1, 40, 40, 160], 0, 1, 'float32', 11) as tf.Tensor4D;
  const dy = tf.randomNormal([1, 40, 40, 160], 0, 1, 'float32', 12) as tf.Tensor4D;
  const backend = tf.engine().backend;
  const ids = backend.numDataIds();
  await expectNoLeaks(() => filterGradient(x, dy, 160, 'same'));
  expect(backend.numDataIds()).toBe(ids);
  tf.dispose([x, dy]);
});
