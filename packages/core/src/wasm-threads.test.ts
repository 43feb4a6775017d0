import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { initBackend, knn } from '@tpfr/core';

afterAll(async () => {
  await initBackend('wasm', { threads: 1 });
});

async function compute(threads: number) {
  const choice = await initBackend('wasm', { threads });
  // Large enough for XNNPACK to split the work over its threads.
  const x = tf.randomUniform([1, 96, 96, 32], -1, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomUniform([3, 3, 32, 32], -1, 1, 'float32', 2) as tf.Tensor4D;
  const a = tf.randomUniform([256, 192], -1, 1, 'float32', 3) as tf.Tensor2D;
  const conv = await tf.conv2d(x, w, 1, 'same').data();
  const mm = await tf.matMul(a, a, false, true).data();
  const found = knn(a, tf.randomUniform([200, 192], -1, 1, 'float32', 4) as tf.Tensor2D, 5);
  const idx = await found.indices.data();
  const threadCount = (tf.backend() as unknown as { wasm: { tfjs: { getThreadsCount(): number } } }).wasm.tfjs.getThreadsCount();
  return { choice, conv, mm, idx, threadCount };
}

it('wasm in Node runs on several threads (tfjs threaded build started from files) with the single thread results', async () => {
  const two = await compute(2);
  expect(two.choice.reason).toMatch(/WebAssembly \(XNNPACK\) is available on 2 threads/);
  expect(tf.getBackend()).toBe('wasm');
  // XNNPACK has them (tfjs' build caps its threads at half the cores it is told of: 1 on 2 cores).
  expect(two.threadCount).toBe(2);
  const one = await compute(1);
  expect(one.threadCount).toBe(1);
  expect(one.choice.reason).toMatch(/on 1 thread$/);
  expect(Array.from(two.conv)).toEqual(Array.from(one.conv));
  expect(Array.from(two.mm)).toEqual(Array.from(one.mm));
  expect(Array.from(two.idx)).toEqual(Array.from(one.idx));
  await expect(initBackend('wasm', { threads: 0 })).rejects.toThrow(
    /initBackend: could not set up 'wasm': wasm: initBackend: expected threads an integer >= 1, received 0/,
  );
}, 120_000);

it('a Node script on several wasm threads exits by itself when it is done (its threads do not hold the process)', () => {
  const script = `import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from ${JSON.stringify(fileURLToPath(new URL('./index.ts', import.meta.url)))};
await initBackend('wasm', { threads: 2 });
tf.conv2d(tf.ones([1, 64, 64, 8]), tf.ones([3, 3, 8, 8]), 1, 'same').dataSync();
console.log('done');`;
  // Beside this file, so that its imports resolve as the package's do.
  const file = fileURLToPath(new URL(`./.threads-exit-${process.pid}.mts`, import.meta.url));
  try {
    writeFileSync(file, script);
    const out = execFileSync(process.execPath, ['--import', 'tsx', file], {
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out.trim()).toBe('done');
  } finally {
    rmSync(file, { force: true });
  }
}, 90_000);
