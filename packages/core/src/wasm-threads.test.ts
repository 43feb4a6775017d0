import * as tf from '@tensorflow/tfjs-core';
import { afterAll, expect, it } from 'vitest';
import { initBackend, knn } from '@tpfr/core';

afterAll(async () => {
  await initBackend('wasm', { threads: 1 });
});

async function compute(threads: number) {
  const choice = await initBackend('wasm', { threads });
  const x = tf.randomUniform([1, 32, 32, 16], -1, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomUniform([3, 3, 16, 16], -1, 1, 'float32', 2) as tf.Tensor4D;
  const a = tf.randomUniform([64, 48], -1, 1, 'float32', 3) as tf.Tensor2D;
  const conv = await tf.conv2d(x, w, 1, 'same').data();
  const mm = await tf.matMul(a, a, false, true).data();
  const found = knn(a, tf.randomUniform([200, 48], -1, 1, 'float32', 4) as tf.Tensor2D, 5);
  const idx = await found.indices.data();
  return { choice, conv, mm, idx };
}

it('wasm in Node runs on a pool of threads (tfjs threaded build started from files) with the single thread results', async () => {
  const two = await compute(2);
  expect(two.choice.reason).toMatch(/WebAssembly \(XNNPACK\) is available on 2 threads/);
  expect(tf.getBackend()).toBe('wasm');
  const one = await compute(1);
  expect(one.choice.reason).toMatch(/on 1 thread$/);
  expect(Array.from(two.conv)).toEqual(Array.from(one.conv));
  expect(Array.from(two.mm)).toEqual(Array.from(one.mm));
  expect(Array.from(two.idx)).toEqual(Array.from(one.idx));
  await expect(initBackend('wasm', { threads: 0 })).rejects.toThrow(/initBackend: could not set up 'wasm': wasm: initBackend: expected threads an integer >= 1, received 0/);
}, 120_000);
