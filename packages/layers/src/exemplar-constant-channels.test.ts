import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoLeaks } from '@tpfr/testing';
import { knn } from '@tpfr/core';
import { foldExemplarConstantChannels } from './exemplar-constant-channels.js';

/** A pool of P exemplars of m rows: `g` channels constant per exemplar (first), then `l` varying ones. */
function exemplarPool(p: number, m: number, g: number, l: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const glob = tf.tile(tf.expandDims(tf.randomNormal([p, g], 0, 1, 'float32', seed), 1), [1, m, 1]);
    const loc = tf.randomNormal([p, m, l], 0, 1, 'float32', seed + 1);
    return tf.reshape(tf.concat([glob, loc], 2), [p * m, g + l]) as tf.Tensor2D;
  });
}

describeEachBackend('foldExemplarConstantChannels', () => {
  test.prop(
    [
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 2, max: 20 }),
      fc.integer({ min: 5, max: 12 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 0, max: 1000 }),
    ],
    { seed: 5, numRuns: 30 },
  )('the search on the folded features finds the neighbours (and ties) of the full search', async (p, m, g, l, seed) => {
    const pool = exemplarPool(p, m, g, l, seed);
    // Queries are mixes of pool rows, as stage 2's recombined styles are.
    const q = tf.tidy(() => tf.matMul(tf.softmax(tf.randomNormal([9, p * m], 0, 2, 'float32', seed + 2)), pool) as tf.Tensor2D);
    const k = Math.min(3, p * m);
    await expectNoLeaks(() => {
      const folded = foldExemplarConstantChannels(q, pool, m)!;
      expect(folded.queries.shape).toEqual([9, l + (p === 1 ? 0 : p)]);
      const full = knn(q, pool, k, { ties: 'include' });
      const fast = knn(folded.queries, folded.pool, k, { ties: 'include' });
      // Indices agree wherever the full distances are not within rounding of each other.
      const d = full.distances.arraySync();
      const [a, b] = [full.indices.arraySync(), fast.indices.arraySync()];
      a.forEach((row, i) =>
        row.forEach((j, c) => {
          if (d[i].every((x, cc) => cc === c || Math.abs(x - d[i][c]) > 1e-4)) expect(b[i][c]).toBe(j);
        }),
      );
      return [folded.queries, folded.pool, full.indices, full.distances, full.counts!, fast.indices, fast.distances, fast.counts!];
    }, 'foldExemplarConstantChannels');
    tf.dispose([pool, q]);
  });

  it('keeps twins tied: the same exemplar twice gives every neighbour its twin', () => {
    const one = exemplarPool(1, 30, 8, 4, 3);
    const pool = tf.concat([one, one], 0) as tf.Tensor2D;
    const q = tf.tidy(() => tf.matMul(tf.softmax(tf.randomNormal([10, 60], 0, 2, 'float32', 4)), pool) as tf.Tensor2D);
    const folded = foldExemplarConstantChannels(q, pool, 30)!;
    const r = knn(folded.queries, folded.pool, 3, { ties: 'include' });
    expect(Array.from(r.counts!.dataSync())).toEqual(new Array(10).fill(4));
    tf.dispose([one, pool, q, folded.queries, folded.pool, r.indices, r.distances, r.counts!]);
  });

  it('returns null where no channel is constant per exemplar, or the rows do not split into exemplars', () => {
    const pool = tf.randomNormal([20, 6], 0, 1, 'float32', 1) as tf.Tensor2D;
    const q = tf.randomNormal([3, 6], 0, 1, 'float32', 2) as tf.Tensor2D;
    expect(foldExemplarConstantChannels(q, pool, 10)).toBeNull();
    expect(foldExemplarConstantChannels(q, pool, 7)).toBeNull();
    tf.dispose([pool, q]);
  });
});
