/**
 * holdWinogradFilters: the transformed filters kept between calls give the same convolutions bit
 * for bit, a filter whose data is freed loses its entry, and the last release frees them all (the
 * wasm backend's data count back to where it was).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { holdWinogradFilters } from './wasm-winograd.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Data held by the wasm backend (engine tensors and kernels' own, such as kept filters). */
const backendData = () => (tf.backend() as BackendWasm).numDataIds();

it('keeps the transformed filters while held: the same results bit for bit, all freed on the last release', () => {
  const x = tf.randomNormal([1, 50, 50, 160], 0, 1, 'float32', 1) as tf.Tensor4D;
  const filters = [2, 3].map((s) => tf.randomNormal([3, 3, 160, 160], 0, 1, 'float32', s) as tf.Tensor4D);
  const plain = filters.map((f) => tf.conv2d(x, f, 1, 'same').dataSync());
  const before = backendData();
  const release = holdWinogradFilters();
  const releaseToo = holdWinogradFilters();
  for (let round = 0; round < 2; round++)
    for (const [i, f] of filters.entries()) {
      const y = tf.conv2d(x, f, 1, 'same');
      expect(y.dataSync()).toEqual(plain[i]);
      y.dispose();
    }
  // Two filters' 36 transformed taps each are kept.
  expect(backendData()).toBe(before + 2 * 36);
  // A freed filter's entry goes at the next kept transform.
  filters[0].dispose();
  const third = tf.randomNormal([3, 3, 160, 160], 0, 1, 'float32', 4) as tf.Tensor4D;
  tf.conv2d(x, third, 1, 'same').dispose();
  // The first filter and its taps gone; the third and its taps in.
  expect(backendData()).toBe(before + 2 * 36);
  release();
  expect(backendData()).toBe(before + 2 * 36);
  releaseToo();
  releaseToo();
  expect(backendData()).toBe(before);
  tf.dispose([x, filters[1], third]);
});
