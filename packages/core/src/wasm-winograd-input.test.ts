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
import { WINOGRAD_MIN_CHANNELS, WINOGRAD_MIN_TILES, holdWinogradFilters, setWasmWinograd, winogradPlan } from './wasm-winograd.js';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];

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

it('equals the direct gradient within float32 rounding, for paddings, odd sizes, batches and several chunks', () => {
  const cases: { x: Shape4; co: number; pad: Pad }[] = [
    { x: [1, 46, 50, 160], co: 160, pad: 'same' },
    { x: [2, 37, 39, 192], co: 160, pad: 'valid' },
    {
      x: [1, 49, 51, 160],
      co: 256,
      pad: [
        [0, 0],
        [2, 0],
        [1, 3],
        [0, 0],
      ],
    },
    // The paper's residual convolution at a 32² latent, four images: 256 tiles.
    { x: [4, 34, 34, 256], co: 256, pad: 'valid' },
    // 2048 tiles of 256 channels: three chunks.
    { x: [2, 128, 128, 256], co: 256, pad: 'same' },
  ];
  for (const [i, c] of cases.entries()) {
    expect(plan(c.x, c.co, c.pad), JSON.stringify(c)).not.toBeNull();
    tf.tidy(() => {
      const { dy, w } = operands(c.x, c.co, c.pad, 10 * i);
      const { diff, scale } = both(dy, w, c.x, c.pad);
      expect(diff, JSON.stringify(c)).toBeLessThan(4e-5 * scale);
      expect(diff, `${JSON.stringify(c)}: the Winograd path ran (its rounding differs)`).toBeGreaterThan(0);
    });
  }
});

it('equals the direct gradient for padding before and after on both axes, odd sizes and batches (seeded)', () => {
  const arb = fc.record({
    b: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 46, max: 53 }),
    w: fc.integer({ min: 46, max: 53 }),
    ci: fc.constantFrom(WINOGRAD_MIN_CHANNELS, 176),
    co: fc.constantFrom(WINOGRAD_MIN_CHANNELS, 168),
    top: fc.integer({ min: 0, max: 2 }),
    bottom: fc.integer({ min: 0, max: 2 }),
    left: fc.integer({ min: 0, max: 2 }),
    right: fc.integer({ min: 0, max: 2 }),
  });
  fc.assert(
    fc.property(arb, (c) => {
      const pad: Pad = [
        [0, 0],
        [c.top, c.bottom],
        [c.left, c.right],
        [0, 0],
      ];
      const xShape: Shape4 = [c.b, c.h, c.w, c.ci];
      expect(plan(xShape, c.co, pad), JSON.stringify(c)).not.toBeNull();
      tf.tidy(() => {
        const { dy, w } = operands(xShape, c.co, pad, c.h * 7 + c.w);
        const { diff, scale } = both(dy, w, xShape, pad);
        expect(diff, JSON.stringify(c)).toBeLessThan(4e-5 * scale);
      });
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
