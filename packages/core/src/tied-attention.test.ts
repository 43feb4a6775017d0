import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoLeaks } from '@tpfr/testing';
import { knn, neighbourhoodAttention, tiedNeighbourhoodAttention } from '@tpfr/core';

/** The authors' rule in float64: the set {j : dist_j ≤ k-th smallest}, and softmax(softplus(u+v)) over it. */
function denseReference(q: number[][], p: number[][], k: number, u: number[], v: number[], values: number[][]) {
  return q.map((qi, i) => {
    const dist = p.map((pj) => pj.reduce((s, x, c) => s + (qi[c] - x) ** 2, 0));
    const kth = [...dist].sort((a, b) => a - b)[k - 1];
    const set = dist.flatMap((x, j) => (x <= kth ? [j] : []));
    const logits = set.map((j) => Math.log1p(Math.exp(u[i] + v[j])));
    const mx = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - mx));
    const z = e.reduce((a, b) => a + b, 0);
    const out = values[0].map((_, c) => set.reduce((s, j, t) => s + (e[t] / z) * values[j][c], 0));
    return { count: set.length, out };
  });
}

// Small integers: distances are exact in float32, so ties at the k-th place are frequent.
const problem = fc
  .record({ n: fc.integer({ min: 1, max: 9 }), m: fc.integer({ min: 1, max: 16 }), d: fc.integer({ min: 1, max: 3 }) })
  .chain(({ n, m, d }) =>
    fc.record({
      n: fc.constant(n),
      m: fc.constant(m),
      d: fc.constant(d),
      q: fc.array(fc.array(fc.integer({ min: -2, max: 2 }), { minLength: d, maxLength: d }), { minLength: n, maxLength: n }),
      p: fc.array(fc.array(fc.integer({ min: -2, max: 2 }), { minLength: d, maxLength: d }), { minLength: m, maxLength: m }),
      k: fc.integer({ min: 1, max: m }),
      queryTile: fc.integer({ min: 1, max: n + 1 }),
      poolTile: fc.integer({ min: 1, max: m + 1 }),
      topk: fc.constantFrom('host' as const, 'tensor' as const),
      seed: fc.integer({ min: 0, max: 1000 }),
    }),
  );

describeEachBackend("ties: the authors' neighbour set (every peer with distance ≤ the k-th)", () => {
  test.prop([problem], { seed: 21, numRuns: 50 })(
    'knn counts and tiedNeighbourhoodAttention equal a float64 dense reference, for every tiling',
    async (c) => {
      const u = Array.from({ length: c.n }, (_, i) => ((i * 37 + c.seed) % 11) / 5 - 1);
      const v = Array.from({ length: c.m }, (_, j) => ((j * 53 + c.seed) % 13) / 6 - 1);
      const values = Array.from({ length: c.m }, (_, j) => [j, ((j * 7) % 5) - 2]);
      const ref = denseReference(c.q, c.p, c.k, u, v, values);
      const [qt, pt] = [tf.tensor2d(c.q, [c.n, c.d]), tf.tensor2d(c.p, [c.m, c.d])];
      const [ut, vt, valt] = [tf.tensor1d(u), tf.tensor1d(v), tf.tensor2d(values)];
      const tiles = { queryTileSize: c.queryTile, poolTileSize: c.poolTile, topk: c.topk };
      await expectNoLeaks(() => {
        const found = knn(qt, pt, c.k, { ...tiles, ties: 'include' });
        expect(Array.from(found.counts!.dataSync())).toEqual(ref.map((r) => r.count));
        const r = tiedNeighbourhoodAttention(qt, pt, c.k, ut, vt, valt, tiles);
        expect(Array.from(r.counts.dataSync())).toEqual(ref.map((x) => x.count));
        expect(r.indices.arraySync()).toEqual(found.indices.arraySync());
        const out = r.output.arraySync();
        out.forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo(ref[i].out[j], 4)));
        return [found.indices, found.distances, found.counts!, r.output, r.indices, r.weights, r.counts];
      }, 'tiedNeighbourhoodAttention');
      tf.dispose([qt, pt, ut, vt, valt]);
    },
  );

  it('equals neighbourhoodAttention where nothing ties, and counts are k', () => {
    const q = tf.randomNormal([20, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
    const p = tf.randomNormal([30, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
    const u = tf.randomNormal([20], 0, 1, 'float32', 3) as tf.Tensor1D;
    const v = tf.randomNormal([30], 0, 1, 'float32', 4) as tf.Tensor1D;
    const values = tf.randomNormal([30, 6], 0, 1, 'float32', 5) as tf.Tensor2D;
    const found = knn(q, p, 5, { ties: 'include' });
    expect(Array.from(found.counts!.dataSync())).toEqual(new Array(20).fill(5));
    const plain = neighbourhoodAttention(u, v, found.indices, values);
    const tied = tiedNeighbourhoodAttention(q, p, 5, u, v, values, { poolTileSize: 7 });
    const a = plain.output.dataSync();
    const b = tied.output.dataSync();
    a.forEach((x, i) => expect(b[i]).toBeCloseTo(x, 5));
    plain.weights.dataSync().forEach((x, i) => expect(tied.weights.dataSync()[i]).toBeCloseTo(x, 5));
    tf.dispose([
      q,
      p,
      u,
      v,
      values,
      found.indices,
      found.distances,
      found.counts!,
      plain.output,
      plain.weights,
      tied.output,
      tied.indices,
      tied.weights,
      tied.counts,
    ]);
  });

  it('any number of ties: a pool of 600 identical rows gives every query all 600, with equal weights', () => {
    const q = tf.randomNormal([7, 3], 0, 1, 'float32', 9) as tf.Tensor2D;
    const p = tf.tile(tf.tensor2d([[0.3, -1.2, 2.5]]), [600, 1]) as tf.Tensor2D;
    const u = tf.zeros([7]) as tf.Tensor1D;
    const v = tf.zeros([600]) as tf.Tensor1D;
    const values = tf.tensor2d(Array.from({ length: 600 }, (_, j) => [j]));
    // Tiles far smaller than the pool: the set is never held whole.
    const r = tiedNeighbourhoodAttention(q, p, 5, u, v, values, { queryTileSize: 2, poolTileSize: 64 });
    expect(Array.from(r.counts.dataSync())).toEqual(new Array(7).fill(600));
    r.output.dataSync().forEach((x) => expect(x).toBeCloseTo(299.5, 2));
    r.weights.dataSync().forEach((x) => expect(x).toBeCloseTo(1 / 600, 6));
    tf.dispose([q, p, u, v, values, r.output, r.indices, r.weights, r.counts]);
  });

  it('twins tie whatever the tiling: a pool and its copy, continuous data, the twin of every neighbour is kept', () => {
    const base = tf.randomNormal([37, 8], 0, 1, 'float32', 17) as tf.Tensor2D;
    const p = tf.concat([base, base], 0) as tf.Tensor2D;
    const q = tf.randomNormal([11, 8], 0, 1, 'float32', 18) as tf.Tensor2D;
    for (const poolTileSize of [74, 37, 10, 3]) {
      for (const topk of ['host', 'tensor'] as const) {
        const found = knn(q, p, 5, { ties: 'include', poolTileSize, topk });
        // k = 5 takes two twin pairs and one of the third pair: its twin ties, so 6.
        expect(Array.from(found.counts!.dataSync()), `poolTileSize ${poolTileSize}, ${topk}`).toEqual(new Array(11).fill(6));
        tf.dispose([found.indices, found.distances, found.counts!]);
      }
    }
    tf.dispose([base, p, q]);
  });

  it('is differentiable in u, v and values, with the gradient of the dense softmax over the set', () => {
    const q = tf.tensor2d([
      [0, 0],
      [1, 1],
    ]);
    const p = tf.tensor2d([
      [0, 1],
      [1, 0],
      [0, -1],
      [2, 2],
    ]);
    const values = tf.tensor2d([
      [1, 0],
      [0, 1],
      [1, 1],
      [3, 3],
    ]);
    const u0 = tf.tensor1d([0.2, -0.4]);
    const v0 = tf.tensor1d([0.1, 0.5, -0.3, 0.7]);
    // k = 1: query 0 ties three peers at distance 1; query 1 ties (0,1) and (1,0) at distance 1.
    const f = (u: tf.Tensor, v: tf.Tensor, val: tf.Tensor) =>
      tf.sum(tiedNeighbourhoodAttention(q, p, 1, u as tf.Tensor1D, v as tf.Tensor1D, val as tf.Tensor2D, { poolTileSize: 3 }).output);
    const sets = [
      [0, 1, 2],
      [0, 1],
    ];
    const dense = (u: tf.Tensor, v: tf.Tensor, val: tf.Tensor) =>
      tf.addN(
        sets.map((set, i) => {
          const logits = tf.softplus(tf.add(tf.slice(u, [i], [1]), tf.gather(v, set)));
          return tf.sum(tf.matMul(tf.reshape(tf.softmax(logits), [1, -1]), tf.gather(val, set)));
        }),
      );
    const ga = tf.grads(f)([u0, v0, values]);
    const gb = tf.grads(dense)([u0, v0, values]);
    ga.forEach((g, i) => g.dataSync().forEach((x, j) => expect(x).toBeCloseTo(gb[i].dataSync()[j], 5)));
    tf.dispose([q, p, values, u0, v0, ...ga, ...gb]);
  });
});
