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
import { WINOGRAD_MIN_CHANNELS, setWasmWinograd, winogradPlan } from './wasm-winograd.js';

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];

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

/** The output shape of the 3×3 stride-1 convolution of `x` with this padding. */
function outShape([b, h, w]: number[], co: number, pad: Pad): [number, number, number, number] {
  const [t, bt, l, r] = pad === 'same' ? [1, 1, 1, 1] : pad === 'valid' ? [0, 0, 0, 0] : [pad[1][0], pad[1][1], pad[2][0], pad[2][1]];
  return [b, h + t + bt - 2, w + l + r - 2, co];
}

it('equals the direct gradient within float32 rounding, for paddings, odd sizes, batches and several chunks', () => {
  const cases: { x: [number, number, number, number]; co: number; pad: Pad }[] = [
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
    // 2048 tiles of 256 channels: three chunks, their gradients summed.
    { x: [2, 128, 128, 256], co: 256, pad: 'same' },
  ];
  for (const c of cases) {
    expect(takesWinograd(c.x, c.co, c.pad), JSON.stringify(c)).toBe(true);
    tf.tidy(() => {
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 5) as tf.Tensor4D;
      const dy = tf.randomNormal(outShape(c.x, c.co, c.pad), 0, 1, 'float32', 6) as tf.Tensor4D;
      const { diff, scale } = both(x, dy, c.co, c.pad);
      expect(diff, JSON.stringify(c)).toBeLessThan(4e-5 * scale);
      expect(diff, `${JSON.stringify(c)}: the Winograd path ran (its rounding differs)`).toBeGreaterThan(0);
    });
  }
});

it('equals the direct gradient for padding before every first row and column, odd sizes and batches (seeded)', () => {
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
      const xShape: [number, number, number, number] = [c.b, c.h, c.w, c.ci];
      expect(takesWinograd(xShape, c.co, pad), JSON.stringify(c)).toBe(true);
      tf.tidy(() => {
        const x = tf.randomNormal(xShape, 0, 1, 'float32', c.h * 7 + c.w) as tf.Tensor4D;
        const dy = tf.randomNormal(outShape(xShape, c.co, pad), 0, 1, 'float32', c.h + c.w * 5) as tf.Tensor4D;
        const { diff, scale } = both(x, dy, c.co, pad);
        expect(diff, JSON.stringify(c)).toBeLessThan(4e-5 * scale);
      });
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
