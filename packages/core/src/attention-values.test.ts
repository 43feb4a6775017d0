import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend, neighbourhoodAttention } from '@tpfr/core';

const softplus = (x: number) => Math.log1p(Math.exp(x));

it('neighbourhoodAttention equals a hand-worked example (softplus, then softmax over the k, then the weighted values)', async () => {
  await initBackend('cpu');
  // Two queries, a pool of three rows; query 0 attends to rows 0 and 2, query 1 to rows 2 and 1.
  const u = tf.tensor1d([0, 1]);
  const v = tf.tensor1d([0, -1, 2]);
  const indices = tf.tensor2d(
    [
      [0, 2],
      [2, 1],
    ],
    undefined,
    'int32',
  );
  const values = tf.tensor2d([
    [1, 0],
    [0, 1],
    [2, 2],
  ]);
  const { weights, output } = neighbourhoodAttention(u, v, indices, values);
  // Query 0: logits 0 + 0 = 0 and 0 + 2 = 2; query 1: 1 + 2 = 3 and 1 − 1 = 0.
  const row = (a: number, b: number) => {
    const [ea, eb] = [Math.exp(softplus(a)), Math.exp(softplus(b))];
    return [ea / (ea + eb), eb / (ea + eb)];
  };
  const [w0, w1] = [row(0, 2), row(3, 0)];
  const expectedOut = [
    [w0[0] * 1 + w0[1] * 2, w0[1] * 2],
    [w1[0] * 2 + w1[1] * 0, w1[0] * 2 + w1[1] * 1],
  ];
  const got = { w: weights.arraySync(), o: output.arraySync() };
  [w0, w1].forEach((r, i) => r.forEach((x, j) => expect(got.w[i][j]).toBeCloseTo(x, 6)));
  expectedOut.forEach((r, i) => r.forEach((x, j) => expect(got.o[i][j]).toBeCloseTo(x, 6)));
  // By hand: query 0's weights are 2 / (2 + e^softplus(2)) and the rest.
  expect(got.w[0][0]).toBeCloseTo(2 / (2 + Math.exp(softplus(2))), 6);
  tf.dispose([u, v, indices, values, weights, output]);
});

it('attention dropout drops the logits at its rate, scales the kept ones by 1/(1 − rate), and follows its seed', async () => {
  await initBackend('cpu');
  const n = 4000;
  const k = 5;
  const u = tf.ones([n]) as tf.Tensor1D; // every logit is 1 + 0
  const v = tf.zeros([3]) as tf.Tensor1D;
  const indices = tf.tidy(() => tf.cast(tf.randomUniform([n, k], 0, 3, 'float32', 1), 'int32')) as tf.Tensor2D;
  const values = tf.randomNormal([3, 2], 0, 1, 'float32', 2) as tf.Tensor2D;
  const logitsOf = (rate: number, seed?: number): number[] => {
    let seen: number[] = [];
    const r = neighbourhoodAttention(u, v, indices, values, {
      dropoutRate: rate,
      seed,
      activation: (x) => {
        seen = Array.from(x.dataSync());
        return x;
      },
    });
    tf.dispose([r.weights, r.output]);
    return seen;
  };
  for (const rate of [0.2, 0.5]) {
    const l = logitsOf(rate, 7);
    const dropped = l.filter((x) => x === 0).length / l.length;
    expect(Math.abs(dropped - rate)).toBeLessThan(0.02); // 20,000 logits: σ ≈ 0.004
    l.filter((x) => x !== 0).forEach((x) => expect(x).toBeCloseTo(1 / (1 - rate), 5));
    expect(logitsOf(rate, 7)).toEqual(l); // the same seed, the same mask
    const other = logitsOf(rate, 8);
    expect(other.filter((x, i) => (x === 0) !== (l[i] === 0)).length).toBeGreaterThan(0.1 * l.length);
  }
  expect(logitsOf(0, 7).every((x) => x === 1)).toBe(true); // rate 0: nothing dropped
  tf.dispose([u, v, indices, values]);
});

it('the activations by hand (relu, elu, linear), and errors that name the function, the expected and the received', async () => {
  await initBackend('cpu');
  const u = tf.tensor1d([-1]);
  const v = tf.tensor1d([-1, 0.5]);
  const indices = tf.tensor2d([[0, 1]], undefined, 'int32');
  const values = tf.tensor2d([[0], [1]]);
  const acts: Record<string, (x: number) => number> = {
    relu: (x) => Math.max(0, x),
    elu: (x) => (x > 0 ? x : Math.expm1(x)),
    linear: (x) => x,
  };
  for (const [name, f] of Object.entries(acts)) {
    const r = neighbourhoodAttention(u, v, indices, values, { activation: name as 'relu' });
    const [a, b] = [Math.exp(f(-2)), Math.exp(f(-0.5))];
    expect(r.output.dataSync()[0], name).toBeCloseTo(b / (a + b), 6);
    tf.dispose([r.weights, r.output]);
  }
  const wrong = neighbourhoodAttention.bind(null);
  expect(() => wrong(tf.zeros([2]) as tf.Tensor1D, v, indices, values)).toThrow(
    'neighbourhoodAttention: expected u [N] with N = 1 (rows of indices), received shape [2]',
  );
  expect(() => wrong(u, tf.zeros([3]) as tf.Tensor1D, indices, values)).toThrow(
    'neighbourhoodAttention: expected v [M] and values [M, c] with the same M, received [3] and [2,1]',
  );
  expect(() => wrong(u, v, tf.zeros([1, 2]) as tf.Tensor2D, values)).toThrow(
    'neighbourhoodAttention: expected indices of dtype int32, received dtype float32',
  );
  tf.dispose([u, v, indices, values]);
});
