import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoLeaks } from '@tpfr/testing';
import { knn, neighbourhoodAttention, ShapeError } from '@tpfr/core';

/** A random attention problem: scores, a pool of values, and kNN indices into it. */
function makeProblem(seed: number, n: number, m: number, k: number, c: number) {
  const u = tf.randomNormal([n], 0, 1, 'float32', seed) as tf.Tensor1D;
  const v = tf.randomNormal([m], 0, 1, 'float32', seed + 1) as tf.Tensor1D;
  const values = tf.randomNormal([m, c], 0, 1, 'float32', seed + 2) as tf.Tensor2D;
  const q = tf.randomNormal([n, 3], 0, 1, 'float32', seed + 3) as tf.Tensor2D;
  const p = tf.randomNormal([m, 3], 0, 1, 'float32', seed + 4) as tf.Tensor2D;
  const { indices, distances } = knn(q, p, k);
  tf.dispose([q, p, distances]);
  return { u, v, values, indices };
}

const sizes = fc
  .record({
    seed: fc.integer({ min: 1, max: 10_000 }),
    n: fc.integer({ min: 1, max: 10 }),
    m: fc.integer({ min: 1, max: 12 }),
    c: fc.integer({ min: 1, max: 4 }),
  })
  .chain((s) =>
    fc.record({
      seed: fc.constant(s.seed),
      n: fc.constant(s.n),
      m: fc.constant(s.m),
      c: fc.constant(s.c),
      k: fc.integer({ min: 1, max: s.m }),
    }),
  );

describeEachBackend('neighbourhoodAttention', () => {
  test.prop([sizes, fc.constantFrom('softplus', 'relu', 'elu', 'linear' as const)], { seed: 5, numRuns: 30 })(
    'weights are convex over the k neighbours and outputs lie in their per-channel hull',
    async (s, activation) => {
      const { u, v, values, indices } = makeProblem(s.seed, s.n, s.m, s.k, s.c);
      await expectNoLeaks(() => {
        const { weights, output } = neighbourhoodAttention(u, v, indices, values, { activation });
        expect(weights.shape).toEqual([s.n, s.k]);
        expect(output.shape).toEqual([s.n, s.c]);
        const w = weights.arraySync();
        const out = output.arraySync();
        const idx = indices.arraySync();
        const vals = values.arraySync();
        w.forEach((row, i) => {
          row.forEach((a) => expect(a).toBeGreaterThanOrEqual(0));
          expect(Math.abs(row.reduce((x, y) => x + y, 0) - 1)).toBeLessThanOrEqual(1e-5);
          for (let ch = 0; ch < s.c; ch++) {
            const neigh = idx[i].map((j) => vals[j][ch]);
            expect(out[i][ch]).toBeGreaterThanOrEqual(Math.min(...neigh) - 1e-5);
            expect(out[i][ch]).toBeLessThanOrEqual(Math.max(...neigh) + 1e-5);
          }
        });
        return { weights, output };
      }, 'neighbourhoodAttention');
      tf.dispose([u, v, values, indices]);
    },
  );

  test.prop([fc.integer({ min: 1, max: 10_000 })], { seed: 9, numRuns: 15 })(
    'permuting the pool changes nothing but the indices',
    (seed) => {
      const n = 5,
        m = 9,
        k = 3,
        c = 2;
      const { u, v, values, indices } = makeProblem(seed, n, m, k, c);
      const perm = Array.from({ length: m }, (_, i) => (i * 4 + seed) % m); // a permutation: 4 and 9 are coprime
      const inv = new Array<number>(m);
      perm.forEach((p, i) => {
        inv[p] = i;
      });
      const vP = tf.gather(v, perm) as tf.Tensor1D;
      const valuesP = tf.gather(values, perm) as tf.Tensor2D;
      const indicesP = tf.tensor2d(
        indices.arraySync().map((row) => row.map((j) => inv[j])),
        [n, k],
        'int32',
      );
      const a = neighbourhoodAttention(u, v, indices, values);
      const b = neighbourhoodAttention(u, vP, indicesP, valuesP);
      expect(b.output.arraySync()).toEqual(a.output.arraySync());
      expect(b.weights.arraySync()).toEqual(a.weights.arraySync());
      tf.dispose([u, v, values, indices, vP, valuesP, indicesP, a.output, a.weights, b.output, b.weights]);
    },
  );

  it('has gradients in u, v and values that match central finite differences', async () => {
    const { u, v, values, indices } = makeProblem(42, 4, 6, 3, 2);
    const proj = tf.randomNormal([4, 2], 0, 1, 'float32', 43);
    const f = (uu: tf.Tensor, vv: tf.Tensor, xx: tf.Tensor) =>
      tf.sum(tf.mul(neighbourhoodAttention(uu as tf.Tensor1D, vv as tf.Tensor1D, indices, xx as tf.Tensor2D).output, proj)) as tf.Scalar;
    await expectNoLeaks(() => {
      const grads = tf.grads(f)([u, v, values]);
      const inputs = [u, v, values];
      const eps = 1e-2;
      grads.forEach((g, which) => {
        const gv = g.dataSync();
        const base = inputs[which].dataSync();
        for (let i = 0; i < base.length; i++) {
          const plus = Float32Array.from(base);
          plus[i] += eps;
          const minus = Float32Array.from(base);
          minus[i] -= eps;
          const at = (vals: Float32Array) =>
            tf.tidy(() => {
              const args = inputs.map((t, j) => (j === which ? tf.tensor(vals, t.shape) : t));
              return f(args[0], args[1], args[2]).dataSync()[0];
            });
          const fd = (at(plus) - at(minus)) / (2 * eps);
          expect(Math.abs(gv[i] - fd)).toBeLessThanOrEqual(2e-3 + 1e-2 * Math.abs(fd));
        }
      });
      return grads;
    }, 'grads of neighbourhoodAttention');
    tf.dispose([u, v, values, indices, proj]);
  });

  it('applies dropout to the logits only when asked, keeping rows convex', () => {
    const { u, v, values, indices } = makeProblem(1, 6, 8, 4, 2);
    const { weights, output } = neighbourhoodAttention(u, v, indices, values, { dropoutRate: 0.5, seed: 3 });
    weights.arraySync().forEach((row) => expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5));
    tf.dispose([u, v, values, indices, weights, output]);
  });
});

it('rejects mismatched inputs naming the function, the expectation and the received shape', () => {
  const u = tf.zeros([3]) as tf.Tensor1D;
  const v = tf.zeros([4]) as tf.Tensor1D;
  const idx = tf.zeros([3, 2], 'int32') as tf.Tensor2D;
  const vals = tf.zeros([4, 2]) as tf.Tensor2D;
  expect(() => neighbourhoodAttention(tf.zeros([2]) as tf.Tensor1D, v, idx, vals)).toThrow(
    /neighbourhoodAttention: expected u \[N\] with N = 3 .*received shape \[2\]/,
  );
  expect(() => neighbourhoodAttention(u, tf.zeros([5]) as tf.Tensor1D, idx, vals)).toThrow(ShapeError);
  expect(() => neighbourhoodAttention(u, v, tf.zeros([3, 2]) as tf.Tensor2D, vals)).toThrow(/indices of dtype int32/);
  expect(() => neighbourhoodAttention(u, v, idx, tf.zeros([4]) as unknown as tf.Tensor2D)).toThrow(/values of rank 2 \[M, c\]/);
  expect(() => neighbourhoodAttention(u, v, idx, vals, { dropoutRate: 1 })).toThrow(/dropoutRate/);
  tf.dispose([u, v, idx, vals]);
});
