import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoLeaks } from '@tpfr/testing';
import { knn, knnTileSizes, tiedNeighbourhoodAttention, type TiedAttentionOptions } from '@tpfr/core';

const all = (r: { output: tf.Tensor; indices: tf.Tensor; weights: tf.Tensor; counts: tf.Tensor }) => [
  r.output,
  r.indices,
  r.weights,
  r.counts,
];

describeEachBackend('tiedNeighbourhoodAttention: edges', () => {
  it('names the argument, its rank and layout when u, v or values have the wrong rank', () => {
    const q = tf.zeros([2, 3]) as tf.Tensor2D;
    const p = tf.zeros([4, 3]) as tf.Tensor2D;
    const [u, v, values] = [tf.zeros([2]) as tf.Tensor1D, tf.zeros([4]) as tf.Tensor1D, tf.zeros([4, 1]) as tf.Tensor2D];
    const bad = tf.zeros([2, 2]);
    const call = (uu: tf.Tensor, vv: tf.Tensor, xx: tf.Tensor) => () =>
      tiedNeighbourhoodAttention(q, p, 1, uu as tf.Tensor1D, vv as tf.Tensor1D, xx as tf.Tensor2D);
    expect(call(bad, v, values)).toThrow(/^tiedNeighbourhoodAttention: expected u of rank 1 \[N\], received shape \[2,2\]$/);
    expect(call(u, bad, values)).toThrow(/^tiedNeighbourhoodAttention: expected v of rank 1 \[M\], received shape \[2,2\]$/);
    expect(call(u, v, v)).toThrow(/^tiedNeighbourhoodAttention: expected values of rank 2 \[M, c\], received shape \[4\]$/);
    tf.dispose([q, p, u, v, values, bad]);
  });

  it('is stable for logits far apart whatever the tiling: each tile shifts by the largest logit of the set', () => {
    // Linear activation, logits 0, 150, 300 in the set (k = 3) and 0 outside: exp(300) overflows float32.
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
    for (const poolTileSize of [4, 3, 2, 1]) {
      const r = tiedNeighbourhoodAttention(q, p, 3, u, v, values, { activation: 'linear', poolTileSize });
      expect(r.output.dataSync()[0], `tiles of ${poolTileSize}`).toBeCloseTo(3, 5);
      const w = Array.from(r.weights.dataSync());
      [0, Math.exp(-150), 1].forEach((x, j) => expect(w[j], `tiles of ${poolTileSize}`).toBeCloseTo(x, 6));
      tf.dispose(all(r));
    }
    tf.dispose([q, p, u, v, values]);
  });

  it('an activation that throws, wherever it throws, leaves nothing behind and the error goes through', () => {
    const q = tf.randomNormal([5, 2], 0, 1, 'float32', 1) as tf.Tensor2D;
    const p = tf.randomNormal([7, 2], 0, 1, 'float32', 2) as tf.Tensor2D;
    const u = tf.randomNormal([5], 0, 1, 'float32', 3) as tf.Tensor1D;
    const v = tf.randomNormal([7], 0, 1, 'float32', 4) as tf.Tensor1D;
    const values = tf.randomNormal([7, 2], 0, 1, 'float32', 5) as tf.Tensor2D;
    let calls = 0;
    let failAt = 0;
    const opts: TiedAttentionOptions = {
      queryTileSize: 2,
      poolTileSize: 3,
      activation: (x) => {
        if (++calls === failAt) throw new Error(`activation failed at call ${calls}`);
        return tf.softplus(x);
      },
    };
    all(tiedNeighbourhoodAttention(q, p, 2, u, v, values, opts)).forEach((t) => t.dispose());
    // Per query tile: the first neighbour's logit, three pool tiles, the weights of the k.
    expect(calls).toBe(3 * 5);
    const total = calls;
    for (failAt = 1; failAt <= total; failAt++) {
      calls = 0;
      const before = tf.memory().numTensors;
      expect(() => tiedNeighbourhoodAttention(q, p, 2, u, v, values, opts)).toThrow(`activation failed at call ${failAt}`);
      expect(tf.memory().numTensors, `failing at call ${failAt}`).toBe(before);
    }
    tf.dispose([q, p, u, v, values]);
  });

  it('memoryBudgetBytes sets the tiles: the activation sees logits of at most the budgeted tile', () => {
    const [n, m] = [20, 30];
    const q = tf.randomNormal([n, 2], 0, 1, 'float32', 6) as tf.Tensor2D;
    const p = tf.randomNormal([m, 2], 0, 1, 'float32', 7) as tf.Tensor2D;
    const u = tf.zeros([n]) as tf.Tensor1D;
    const v = tf.zeros([m]) as tf.Tensor1D;
    const values = tf.ones([m, 1]) as tf.Tensor2D;
    const seen = (memoryBudgetBytes?: number) => {
      const shapes: number[][] = [];
      const r = tiedNeighbourhoodAttention(q, p, 2, u, v, values, {
        memoryBudgetBytes,
        activation: (x) => {
          shapes.push(x.shape);
          return tf.softplus(x);
        },
      });
      tf.dispose(all(r));
      // The logits of the pool tiles (not those of the first neighbour nor of the k weights).
      return shapes.filter(([, w]) => w > 2);
    };
    expect(knnTileSizes(n, m, 480)).toEqual({ queryTile: 7, poolTile: 8 });
    const rowsAndWidths = [7, 7, 6].flatMap((rows) => [8, 8, 8, 6].map((w) => [rows, w]));
    expect(seen(480)).toEqual(rowsAndWidths);
    expect(seen()).toEqual([[n, m]]); // the default budget: one tile
    tf.dispose([q, p, u, v, values]);
  });

  // Small integers: exact cosine ties between distinct directions occur, decided as knn decides them.
  const problem = fc.record({ n: fc.integer({ min: 1, max: 6 }), m: fc.integer({ min: 1, max: 12 }) }).chain(({ n, m }) =>
    fc.record({
      q: fc.array(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 2, maxLength: 2 }), { minLength: n, maxLength: n }),
      p: fc.array(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 2, maxLength: 2 }), { minLength: m, maxLength: m }),
      k: fc.integer({ min: 1, max: m }),
      poolTile: fc.integer({ min: 1, max: m }),
      topk: fc.constantFrom('host' as const, 'tensor' as const),
    }),
  );
  test.prop([problem], { seed: 31, numRuns: 40 })('cosine: the neighbour sets are those of knn with ties included', async (c) => {
    const q = tf.tensor2d(c.q);
    const p = tf.tensor2d(c.p);
    const u = tf.zeros([c.q.length]) as tf.Tensor1D;
    const v = tf.zeros([c.p.length]) as tf.Tensor1D;
    const values = tf.ones([c.p.length, 1]) as tf.Tensor2D;
    await expectNoLeaks(() => {
      const opts = { metric: 'cosine' as const, poolTileSize: c.poolTile, topk: c.topk };
      const found = knn(q, p, c.k, { ...opts, ties: 'include' });
      const r = tiedNeighbourhoodAttention(q, p, c.k, u, v, values, opts);
      expect(Array.from(r.counts.dataSync())).toEqual(Array.from(found.counts!.dataSync()));
      expect(r.indices.arraySync()).toEqual(found.indices.arraySync());
      // Equal logits: every weight is 1 / count.
      const counts = r.counts.dataSync();
      r.weights.arraySync().forEach((row, i) => row.forEach((x) => expect(x).toBeCloseTo(1 / counts[i], 5)));
      return [found.indices, found.distances, found.counts!, ...all(r)];
    }, 'cosine tiedNeighbourhoodAttention');
    tf.dispose([q, p, u, v, values]);
  });
});
