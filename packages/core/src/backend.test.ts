import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { BackendError, initBackend } from '@tpfr/core';
import { registerAllGradients } from './register-gradients.js';
import { registerWasmKernels } from './wasm-kernels.js';

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
  expect(choice.attempts.map((a) => a.backend)).toEqual(['tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'].slice(0, choice.attempts.length));
  expect(choice.attempts.at(-1)!.ok).toBe(true);
  expect(choice.attempts.slice(0, -1).every((a) => !a.ok && a.reason.length > 0)).toBe(true);
  expect(['tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu']).toContain(choice.backend);
  expect(choice.reason).toContain(choice.backend);
});

it('rejects an unknown backend with a typed error', async () => {
  await expect(initBackend('metal' as 'cpu')).rejects.toThrow(BackendError);
  await expect(initBackend('metal' as 'cpu')).rejects.toThrow(
    /initBackend: expected 'auto', 'tensorflow', 'webgpu', 'webgl', 'wasm' or 'cpu', received 'metal'/,
  );
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
      const x = tf.tensor2d([
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 8],
        [9, 10],
      ]);
      const out = tf.unsortedSegmentSum(x, tf.tensor1d([2, 0, 2, -1, 1], 'int32'), 4).arraySync();
      const g = tf
        .grad((v: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.gather(v, tf.tensor1d([0, 0, 2], 'int32')),
              tf.tensor2d([
                [1, 1],
                [2, 2],
                [3, 3],
              ]),
            ),
          ),
        )(x)
        .arraySync();
      return { out, g };
    });
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  expect(wasm).toEqual(cpu);
  expect(cpu.out).toEqual([
    [3, 4],
    [9, 10],
    [6, 8],
    [0, 0],
  ]);
  expect(cpu.g).toEqual([
    [3, 3],
    [0, 0],
    [3, 3],
    [0, 0],
    [0, 0],
  ]);
});

it('the wasm Conv2DBackpropFilter and Conv2DBackpropInput kernels equal the cpu ones for strides, paddings and sizes', async () => {
  const cases: { x: [number, number, number, number]; f: [number, number, number, number]; s: number; pad: 'same' | 'valid' }[] = [
    { x: [2, 7, 6, 3], f: [3, 3, 3, 4], s: 1, pad: 'same' },
    { x: [1, 8, 8, 2], f: [3, 3, 2, 5], s: 2, pad: 'same' },
    { x: [2, 9, 7, 3], f: [4, 4, 3, 2], s: 2, pad: 'valid' },
    { x: [1, 10, 10, 3], f: [7, 7, 3, 2], s: 1, pad: 'valid' },
    { x: [1, 5, 6, 4], f: [1, 1, 4, 3], s: 1, pad: 'same' },
    { x: [2, 9, 9, 2], f: [4, 4, 2, 3], s: 2, pad: 'same' },
    { x: [1, 8, 10, 3], f: [4, 4, 3, 2], s: 2, pad: 'same' },
    { x: [1, 7, 7, 2], f: [1, 1, 2, 3], s: 2, pad: 'same' },
    { x: [1, 9, 8, 2], f: [3, 3, 2, 2], s: 2, pad: 'valid' },
    // strides above 2, taps fewer than the stride, and kernels wider than two strides (phases of the transposed convolution)
    { x: [1, 10, 11, 2], f: [3, 3, 2, 3], s: 3, pad: 'same' },
    { x: [2, 7, 8, 3], f: [2, 2, 3, 2], s: 3, pad: 'valid' },
    { x: [1, 9, 9, 2], f: [5, 5, 2, 2], s: 2, pad: 'same' },
    { x: [1, 12, 13, 2], f: [7, 7, 2, 3], s: 2, pad: 'same' },
  ];
  for (const c of cases) {
    const run = async (backend: string) => {
      await initBackend(backend as 'cpu');
      return tf.tidy(() => {
        const x = tf.randomNormal(c.x, 0, 1, 'float32', 1);
        const w = tf.randomNormal(c.f, 0, 1, 'float32', 2);
        const proj = (y: tf.Tensor) => tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', 3)));
        const [dx, dw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => proj(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.s, c.pad)))([
          x,
          w,
        ]);
        // conv2dTranspose's filter gradient goes through Conv2DBackpropFilter too.
        const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad);
        const wt = tf.randomNormal(c.f, 0, 1, 'float32', 4) as tf.Tensor4D;
        const dwt = tf.grad((ww: tf.Tensor) => proj(tf.conv2dTranspose(y, ww as tf.Tensor4D, c.x, c.s, c.pad)))(wt);
        const up = tf.conv2dTranspose(y, wt, c.x, c.s, c.pad); // Conv2DBackpropInput forward
        return [dx.arraySync(), dw.arraySync(), dwt.arraySync(), up.arraySync()];
      });
    };
    const cpu = (await run('cpu')).map((a) => (a as number[]).flat(4) as number[]);
    const wasm = (await run('wasm')).map((a) => (a as number[]).flat(4) as number[]);
    cpu.forEach((arr, i) =>
      arr.forEach((v, j) => expect(Math.abs(wasm[i][j] - v), `${JSON.stringify(c)} grad ${i}`).toBeLessThan(1e-3 * (1 + Math.abs(v)))),
    );
  }
});
