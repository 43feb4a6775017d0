import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { setWasmWinograd } from './wasm-winograd.js';

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => {
  setWasmWinograd(true);
});

/** conv2d on wasm with the Winograd path on and off, and the largest output magnitude. */
function both(x: tf.Tensor4D, w: tf.Tensor4D, pad: Pad): { fast: tf.Tensor4D; direct: tf.Tensor4D; scale: number } {
  setWasmWinograd(false);
  const direct = tf.conv2d(x, w, 1, pad as 'same');
  setWasmWinograd(true);
  const fast = tf.conv2d(x, w, 1, pad as 'same');
  return { fast, direct, scale: tf.max(tf.abs(direct)).dataSync()[0] };
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

it('F(4×4, 3×3) equals the direct convolution within float32 rounding, for paddings, odd sizes, batches and several chunks', () => {
  const cases: { x: [number, number, number, number]; co: number; pad: Pad }[] = [
    { x: [1, 30, 34, 160], co: 160, pad: 'same' },
    { x: [2, 29, 31, 192], co: 160, pad: 'valid' },
    { x: [1, 33, 35, 160], co: 256, pad: [[0, 0], [2, 0], [1, 3], [0, 0]] },
    // 2048 tiles of 256 channels: three chunks, one boundary inside an image's row of tiles, one between images.
    { x: [2, 128, 128, 256], co: 256, pad: 'same' },
  ];
  for (const c of cases) {
    tf.tidy(() => {
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 5) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, c.x[3], c.co], 0, Math.sqrt(2 / (9 * c.x[3])), 'float32', 6) as tf.Tensor4D;
      const { fast, direct, scale } = both(x, w, c.pad);
      expect(fast.shape).toEqual(direct.shape);
      const d = maxDiff(fast, direct);
      expect(d, JSON.stringify(c)).toBeLessThan(4e-5 * scale);
      expect(d, `${JSON.stringify(c)}: the Winograd path ran (its rounding differs)`).toBeGreaterThan(0);
    });
  }
});

it('equals the cpu backend on a case small enough for it', async () => {
  const make = () => [tf.randomNormal([1, 32, 32, 160], 0, 1, 'float32', 7), tf.randomNormal([3, 3, 160, 160], 0, 0.04, 'float32', 8)] as [tf.Tensor4D, tf.Tensor4D];
  const wasm = tf.tidy(() => { const [x, w] = make(); return tf.conv2d(x, w, 1, 'same').dataSync(); });
  await initBackend('cpu');
  const cpu = tf.tidy(() => { const [x, w] = make(); return tf.conv2d(x, w, 1, 'same').dataSync(); });
  await initBackend('wasm');
  let diff = 0;
  let scale = 0;
  cpu.forEach((v, i) => { diff = Math.max(diff, Math.abs(v - wasm[i])); scale = Math.max(scale, Math.abs(v)); });
  expect(diff).toBeLessThan(4e-5 * scale);
});

it('leaves small or strided convolutions to XNNPACK, bit for bit', () => {
  tf.tidy(() => {
    for (const [shape, co, stride] of [[[1, 40, 40, 64], 64, 1], [[1, 12, 12, 256], 256, 1], [[1, 40, 40, 256], 256, 2]] as const) {
      const x = tf.randomNormal([...shape], 0, 1, 'float32', 9) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, shape[3], co], 0, 0.05, 'float32', 10) as tf.Tensor4D;
      setWasmWinograd(false);
      const direct = tf.conv2d(x, w, stride, 'same');
      setWasmWinograd(true);
      expect(maxDiff(tf.conv2d(x, w, stride, 'same'), direct)).toBe(0);
    }
  });
});

it('keeps no tensors, in the engine or in the wasm heap, and says what it was set to', async () => {
  const x = tf.randomNormal([1, 40, 40, 160], 0, 1, 'float32', 11) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 160, 160], 0, 0.04, 'float32', 12) as tf.Tensor4D;
  const backend = tf.engine().backend;
  const ids = backend.numDataIds();
  await expectNoLeaks(() => tf.conv2d(x, w, 1, 'same'));
  expect(backend.numDataIds()).toBe(ids);
  expect(setWasmWinograd(false)).toBe(true);
  expect(setWasmWinograd(true)).toBe(false);
  tf.dispose([x, w]);
});
