import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { BackendError, initBackend, registerAllGradients, registerWasmKernels } from '@tpfr/core';

it('sets up a named backend and says why', async () => {
  for (const name of ['cpu', 'wasm'] as const) {
    const choice = await initBackend(name);
    expect(choice.backend).toBe(name);
    expect(tf.getBackend()).toBe(name);
    expect(choice.reason).toMatch(new RegExp(`^${name} was requested`));
  }
});

it("'auto' walks tfjs-node, WebGPU, wasm, cpu and reports every attempt", async () => {
  const choice = await initBackend('auto');
  expect(choice.attempts.map((a) => a.backend)).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu'].slice(0, choice.attempts.length));
  expect(choice.attempts.at(-1)!.ok).toBe(true);
  expect(choice.attempts.slice(0, -1).every((a) => !a.ok && a.reason.length > 0)).toBe(true);
  expect(['tensorflow', 'webgpu', 'wasm', 'cpu']).toContain(choice.backend);
  expect(choice.reason).toContain(choice.backend);
});

it('rejects an unknown backend with a typed error', async () => {
  await expect(initBackend('metal' as 'cpu')).rejects.toThrow(BackendError);
  await expect(initBackend('metal' as 'cpu')).rejects.toThrow(/initBackend: expected 'auto', 'tensorflow', 'webgpu', 'wasm' or 'cpu', received 'metal'/);
});

it('registers every tfjs-core gradient once, with only tfjs-core installed', async () => {
  expect(registerAllGradients()).toBe(0); // importing @tpfr/core already did it
  for (const kernel of ['Sum', 'Conv2D', 'GatherV2', 'Softplus', 'BatchMatMul', 'MaxPool', 'Conv2DBackpropInput', 'Prelu', 'MirrorPad']) {
    expect(tf.getGradient(kernel), kernel).toBeDefined();
  }
  await initBackend('cpu');
  const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2, 3]));
  expect(Array.from(g.dataSync())).toEqual([2, 4, 6]);
  g.dispose();
  expect(registerWasmKernels()).toEqual([]);
});

it("the wasm UnsortedSegmentSum kernel equals the cpu one (gather's gradient)", async () => {
  const run = async (backend: string) => {
    await initBackend(backend as 'cpu');
    return tf.tidy(() => {
      const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]);
      const out = tf.unsortedSegmentSum(x, tf.tensor1d([2, 0, 2, -1, 1], 'int32'), 4).arraySync();
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.gather(v, tf.tensor1d([0, 0, 2], 'int32')), tf.tensor2d([[1, 1], [2, 2], [3, 3]]))))(x).arraySync();
      return { out, g };
    });
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  expect(wasm).toEqual(cpu);
  expect(cpu.out).toEqual([[3, 4], [9, 10], [6, 8], [0, 0]]);
  expect(cpu.g).toEqual([[3, 3], [0, 0], [3, 3], [0, 0], [0, 0]]);
});
