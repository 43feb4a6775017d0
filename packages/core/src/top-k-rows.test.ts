import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoLeaks } from '@tpfr/testing';
import { knn } from '@tpfr/core';
import { detach } from './detach.js';
import { gatherRows, pickColumns } from './gather-rows.js';
import { topkRows, TOPK_GROUP } from './top-k-rows.js';

describeEachBackend('topkRows', () => {
  test.prop(
    [fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 4, max: 12 }), fc.integer({ min: 0, max: 10_000 })],
    { seed: 21, numRuns: 30 },
  )('equals tf.topk exactly, ties included, on wide rows', async (r, k, groups, seed) => {
    const w = groups * TOPK_GROUP * k; // wide enough for the two-level search
    // Few distinct integer values: many exact ties, which must go to the lower column.
    const data = Float32Array.from({ length: r * w }, (_, i) => ((i * 2654435761 + seed * 97) >>> 0) % 7);
    const x = tf.tensor2d(data, [r, w]);
    await expectNoLeaks(() => {
      const ours = topkRows(x, k);
      const ref = tf.topk(x, k, true);
      expect(ours.indices.arraySync()).toEqual(ref.indices.arraySync());
      expect(ours.values.arraySync()).toEqual(ref.values.arraySync());
      return [ours, ref];
    }, 'topkRows');
    x.dispose();
  });
});

describeEachBackend('gathers and detach', () => {
  it('gatherRows equals tf.gather, with the gradient of a gather', async () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const idx = tf.tensor1d([2, 0, 2, 1], 'int32');
    const weights = tf.tensor2d([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
    ]);
    const cols = tf.tensor2d([[1], [0], [1]], [3, 1], 'int32');
    await expectNoLeaks(() => {
      const g = gatherRows(x, idx);
      expect(g.arraySync()).toEqual(tf.tidy(() => tf.gather(x, idx).arraySync()));
      const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gatherRows(v as tf.Tensor2D, idx), weights)))(x);
      expect(dx.arraySync()).toEqual([
        [2, 2],
        [4, 4],
        [4, 4],
      ]);
      const picked = pickColumns(x, cols);
      expect(picked.arraySync()).toEqual([[2], [3], [6]]);
      return [g, dx, picked];
    });
    tf.dispose([x, idx, weights, cols]);
  });

  it('knn inside tf.grad is a constant: gradients flow around it', async () => {
    const q = tf.tensor2d([
      [0, 0],
      [3, 3],
    ]);
    const p = tf.tensor2d([
      [1, 0],
      [3, 2],
      [9, 9],
    ]);
    const values = tf.tensor2d([[1], [2], [3]]);
    await expectNoLeaks(() => {
      const f = (pool: tf.Tensor) => {
        const { indices } = knn(q, pool as tf.Tensor2D, 1);
        return tf.sum(tf.mul(gatherRows(pool as tf.Tensor2D, tf.reshape(indices, [-1]) as tf.Tensor1D), 1));
      };
      const g = tf.grad(f)(p);
      expect(g.arraySync()).toEqual([
        [1, 1],
        [1, 1],
        [0, 0],
      ]);
      const d = detach(values);
      expect(d.arraySync()).toEqual(values.arraySync());
      const gd = tf.grad((v: tf.Tensor) => tf.add(tf.sum(v), tf.sum(detach(v))))(values);
      expect(gd.arraySync()).toEqual([[1], [1], [1]]);
      return [g, d, gd];
    });
    tf.dispose([q, p, values]);
  });
});
