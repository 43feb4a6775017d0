import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend, neighbourhoodAttention, tiedNeighbourhoodAttention } from '@tpfr/core';

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

function problem(n: number, m: number, d: number, c: number, seed: number) {
  return {
    q: tf.randomNormal([n, d], 0, 1, 'float32', seed) as tf.Tensor2D,
    p: tf.randomNormal([m, d], 0, 1, 'float32', seed + 1) as tf.Tensor2D,
    u: tf.randomNormal([n], 0, 1, 'float32', seed + 2) as tf.Tensor1D,
    v: tf.randomNormal([m], 0, 1, 'float32', seed + 3) as tf.Tensor1D,
    values: tf.randomNormal([m, c], 0, 1, 'float32', seed + 4) as tf.Tensor2D,
  };
}

it('tied attention is stable for logits far apart (the online softmax shifts by the running maximum)', async () => {
  await initBackend('cpu');
  // Linear activation, logits 0 … 300: exp(300) overflows float32; the shifted sums do not.
  const q = tf.zeros([1, 2]) as tf.Tensor2D;
  const p = tf.tensor2d([
    [0, 0],
    [0.1, 0],
    [0.2, 0],
    [5, 5],
  ]);
  const u = tf.zeros([1]) as tf.Tensor1D;
  const v = tf.tensor1d([0, 150, 300, 0]);
  const values = tf.tensor2d([[1], [2], [3], [4]]);
  const r = tiedNeighbourhoodAttention(q, p, 3, u, v, values, { activation: 'linear', poolTileSize: 1 });
  expect(r.output.dataSync()[0]).toBeCloseTo(3, 5);
  expect(Array.from(r.weights.dataSync()).every(Number.isFinite)).toBe(true);
  tf.dispose([q, p, u, v, values, r.output, r.indices, r.weights, r.counts]);
});

it('tied attention: activations, cosine, dropout (rate and seed) and tiles equal the dense attention over the same sets', async () => {
  await initBackend('cpu');
  const { q, p, u, v, values } = problem(20, 30, 4, 3, 11);
  for (const activation of ['relu', 'elu', 'linear', 'softplus'] as const) {
    const tied = tiedNeighbourhoodAttention(q, p, 4, u, v, values, { activation, queryTileSize: 7, poolTileSize: 8 });
    const dense = neighbourhoodAttention(u, v, tied.indices, values, { activation });
    expect(maxDiff(tied.output, dense.output), activation).toBeLessThan(1e-5);
    expect(maxDiff(tied.weights, dense.weights), activation).toBeLessThan(1e-5);
    tf.dispose([tied.output, tied.indices, tied.weights, tied.counts, dense.weights, dense.output]);
  }
  const cos = tiedNeighbourhoodAttention(q, p, 4, u, v, values, { metric: 'cosine' });
  const euc = tiedNeighbourhoodAttention(q, p, 4, u, v, values);
  expect(maxDiff(cos.indices, euc.indices)).toBeGreaterThan(0); // another metric, other neighbours
  const drop = (seed: number, rate = 0.5) => tiedNeighbourhoodAttention(q, p, 4, u, v, values, { dropoutRate: rate, seed });
  const [a, b, c, none] = [drop(1), drop(1), drop(2), drop(1, 0)];
  expect(maxDiff(a.output, b.output)).toBe(0);
  expect(maxDiff(a.output, c.output)).toBeGreaterThan(1e-3);
  expect(maxDiff(a.output, euc.output)).toBeGreaterThan(1e-3);
  expect(maxDiff(none.output, euc.output)).toBe(0);
  tf.dispose([cos, euc, a, b, c, none].flatMap((r) => [r.output, r.indices, r.weights, r.counts]));
  tf.dispose([q, p, u, v, values]);
});

it('tied attention names the function, the expected and the received in errors', async () => {
  await initBackend('cpu');
  const { q, p, u, v, values } = problem(5, 6, 3, 2, 1);
  const call =
    (o: Partial<{ q: tf.Tensor2D; p: tf.Tensor2D; k: number; u: tf.Tensor1D; v: tf.Tensor1D; values: tf.Tensor2D; rate: number }>) => () =>
      tiedNeighbourhoodAttention(o.q ?? q, o.p ?? p, o.k ?? 2, o.u ?? u, o.v ?? v, o.values ?? values, { dropoutRate: o.rate });
  const wrong = { u: tf.zeros([4]) as tf.Tensor1D, v: tf.zeros([5]) as tf.Tensor1D, values: tf.zeros([5, 2]) as tf.Tensor2D };
  expect(call({ u: wrong.u })).toThrow('tiedNeighbourhoodAttention: expected u [N] with N = 5 (rows of queries), received shape [4]');
  expect(call({ v: wrong.v })).toThrow(
    'tiedNeighbourhoodAttention: expected v [M] and values [M, c] with M = 6 (rows of pool), received [5] and [6,2]',
  );
  expect(call({ values: wrong.values })).toThrow(
    'tiedNeighbourhoodAttention: expected v [M] and values [M, c] with M = 6 (rows of pool), received [6] and [5,2]',
  );
  for (const k of [0, 7, 1.5])
    expect(call({ k })).toThrow(`tiedNeighbourhoodAttention: expected k to be an integer in [1, M = 6], received ${k}`);
  for (const rate of [-0.1, 1])
    expect(call({ rate })).toThrow(`tiedNeighbourhoodAttention: expected dropoutRate in [0, 1), received ${rate}`);
  expect(() => neighbourhoodAttention(u, v, tf.zeros([5, 2], 'int32') as tf.Tensor2D, values, { dropoutRate: 1 })).toThrow(
    'neighbourhoodAttention: expected dropoutRate in [0, 1), received 1',
  );
  expect(() => neighbourhoodAttention(u, v, tf.zeros([5, 2], 'int32') as tf.Tensor2D, values, { activation: 'tanh' as never })).toThrow(
    "neighbourhoodAttention: expected activation 'softplus', 'relu', 'elu', 'linear' or a function, received tanh",
  );
  tf.dispose([q, p, u, v, values, wrong.u, wrong.v, wrong.values]);
});
