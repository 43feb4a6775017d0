/**
 * holdWinogradFilters: the transformed filters kept between calls give the same convolutions bit
 * for bit, a filter whose data is freed loses its entry, and the last release frees them all (the
 * wasm backend's data count back to where it was).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { WINOGRAD_MIN_TILES, WINOGRAD_MIN_TILES_HELD, convolutionMinTiles, holdWinogradFilters, setWasmWinograd } from './wasm-winograd.js';

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

it('keeps no more than the smallest cap of those holding: none under a cap of 0, the newest under one filter', () => {
  const x = tf.randomNormal([1, 50, 50, 160], 0, 1, 'float32', 5) as tf.Tensor4D;
  const filters = [6, 7].map((s) => tf.randomNormal([3, 3, 160, 160], 0, 1, 'float32', s) as tf.Tensor4D);
  const plain = filters.map((f) => tf.conv2d(x, f, 1, 'same').dataSync());
  const before = backendData();
  const run = () =>
    filters.forEach((f, i) => {
      const y = tf.conv2d(x, f, 1, 'same');
      expect(y.dataSync()).toEqual(plain[i]);
      y.dispose();
    });
  const release = holdWinogradFilters();
  run();
  expect(backendData()).toBe(before + 2 * 36);
  // One filter's transform: 36 taps of 160 × 160 floats. Holding with that cap drops the older one.
  const releaseOne = holdWinogradFilters({ maxBytes: 36 * 160 * 160 * 4 });
  expect(backendData()).toBe(before + 36);
  run();
  expect(backendData()).toBe(before + 36);
  const releaseNone = holdWinogradFilters({ maxBytes: 0 });
  expect(backendData()).toBe(before);
  run();
  expect(backendData()).toBe(before);
  releaseNone();
  releaseOne();
  release();
  expect(backendData()).toBe(before);
  tf.dispose([x, ...filters]);
});

it('takes the Winograd path from WINOGRAD_MIN_TILES_HELD tiles while held, from WINOGRAD_MIN_TILES otherwise', () => {
  // 2 × 32² outputs: 128 tiles, between the two thresholds.
  const x = tf.randomNormal([2, 34, 34, 160], 0, 1, 'float32', 8) as tf.Tensor4D;
  const f = tf.randomNormal([3, 3, 160, 160], 0, 0.04, 'float32', 9) as tf.Tensor4D;
  expect(128).toBeGreaterThanOrEqual(WINOGRAD_MIN_TILES_HELD);
  expect(128).toBeLessThan(WINOGRAD_MIN_TILES);
  expect(convolutionMinTiles()).toBe(WINOGRAD_MIN_TILES);
  setWasmWinograd(false);
  const direct = tf.conv2d(x, f, 1, 'valid');
  setWasmWinograd(true);
  const unheld = tf.conv2d(x, f, 1, 'valid');
  expect(unheld.dataSync()).toEqual(direct.dataSync());
  const release = holdWinogradFilters();
  expect(convolutionMinTiles()).toBe(WINOGRAD_MIN_TILES_HELD);
  const held = tf.conv2d(x, f, 1, 'valid');
  release();
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(held, direct))).dataSync()[0]);
  const scale = tf.tidy(() => tf.max(tf.abs(direct)).dataSync()[0]);
  expect(d).toBeGreaterThan(0);
  expect(d).toBeLessThan(4e-5 * scale);
  // A holder that may keep nothing does not lower the threshold.
  const releaseNone = holdWinogradFilters({ maxBytes: 0 });
  expect(convolutionMinTiles()).toBe(WINOGRAD_MIN_TILES);
  releaseNone();
  tf.dispose([x, f, direct, unheld, held]);
});
