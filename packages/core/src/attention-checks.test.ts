import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend, neighbourhoodAttention } from '@tpfr/core';

it('neighbourhoodAttention names the argument, its rank and layout, and rejects dropout rates outside [0, 1)', async () => {
  await initBackend('wasm');
  const u = tf.zeros([3]) as tf.Tensor1D;
  const v = tf.zeros([4]) as tf.Tensor1D;
  const indices = tf.zeros([3, 2], 'int32') as tf.Tensor2D;
  const values = tf.zeros([4, 2]) as tf.Tensor2D;
  const bad = tf.zeros([3, 1]);
  const flat = tf.zeros([6], 'int32');
  const call = (uu: tf.Tensor, vv: tf.Tensor, ii: tf.Tensor, rate?: number) => () =>
    neighbourhoodAttention(uu as tf.Tensor1D, vv as tf.Tensor1D, ii as tf.Tensor2D, values, { dropoutRate: rate });
  expect(call(bad, v, indices)).toThrow(/^neighbourhoodAttention: expected u of rank 1 \[N\], received shape \[3,1\]$/);
  expect(call(u, bad, indices)).toThrow(/^neighbourhoodAttention: expected v of rank 1 \[M\], received shape \[3,1\]$/);
  expect(call(u, v, flat)).toThrow(/^neighbourhoodAttention: expected indices of rank 2 \[N, k\], received shape \[6\]$/);
  for (const rate of [-0.1, 1, 1.5, NaN]) {
    expect(call(u, v, indices, rate)).toThrow(`neighbourhoodAttention: expected dropoutRate in [0, 1), received ${rate}`);
  }
  const ok = neighbourhoodAttention(u, v, indices, values, { dropoutRate: 0.999 });
  expect(ok.weights.shape).toEqual([3, 2]);
  tf.dispose([u, v, indices, values, bad, flat, ok.weights, ok.output]);
});
