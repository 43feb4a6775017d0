import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoLeaks } from '@tpfr/testing';
import { cosineDistance, pairwiseDistance, squaredEuclideanDistance } from '@tpfr/core';

describeEachBackend('pairwise distances', () => {
  it('computes squared Euclidean and cosine distances by hand', async () => {
    const a = tf.tensor2d([
      [0, 0],
      [1, 2],
    ]);
    const b = tf.tensor2d([
      [3, 4],
      [1, 2],
      [0, 0],
    ]);
    const x = tf.tensor2d([[1, 0]]);
    const y = tf.tensor2d([
      [2, 0],
      [0, 3],
      [-1, 0],
    ]);
    await expectNoLeaks(() => {
      const d = squaredEuclideanDistance(a, b);
      expect(d.arraySync()).toEqual([
        [25, 5, 0],
        [8, 0, 5],
      ]);
      const c = cosineDistance(x, y);
      c.arraySync()[0].forEach((v, i) => expect(v).toBeCloseTo([0, 1, 2][i], 6));
      const p = pairwiseDistance(a, b, 'cosine');
      expect(p.shape).toEqual([2, 3]);
      return [d, c, p];
    });
    expect(() => squaredEuclideanDistance(a, tf.zeros([2, 3]) as tf.Tensor2D)).toThrow(
      /squaredEuclideanDistance: expected a \[N, d\] and b \[M, d\] of the same width d, received \[2,2\] and \[2,3\]/,
    );
    tf.dispose([a, b, x, y]);
  });
});
