import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ShapeError } from '@tpfr/core';
import { describeEachBackend, expectNoLeaks } from '@tpfr/testing';
import { meanOverExemplars } from './exemplars.js';
import { raganLsDiscriminatorLoss } from './ragan.js';

describeEachBackend('meanOverExemplars', () => {
  it('averages the loss over exemplars and frees the per-exemplar tensors', async () => {
    const real = tf.tensor1d([1, 3]);
    const exemplars = [tf.scalar(0), tf.scalar(1), tf.scalar(2)];
    await expectNoLeaks(() => {
      // fake scores shifted by the exemplar: D(fake, s) = fake + s
      const l = meanOverExemplars(exemplars, (s) => raganLsDiscriminatorLoss(real, tf.add(tf.tensor1d([0, 2]), s)));
      const each = [0, 1, 2].map((s) => tf.tidy(() => raganLsDiscriminatorLoss(real, tf.tensor1d([s, 2 + s])).dataSync()[0]));
      expect(l.dataSync()[0]).toBeCloseTo((each[0] + each[1] + each[2]) / 3, 5);
      return l;
    }, 'meanOverExemplars');
    tf.dispose([real, ...exemplars]);
  });

  it('is differentiable and passes the index', async () => {
    const x = tf.scalar(2);
    await expectNoLeaks(() => {
      const g = tf.grad((v: tf.Tensor) => meanOverExemplars(['a', 'b'], (_, i) => tf.mul(v, i + 1) as tf.Scalar))(x);
      expect(g.dataSync()[0]).toBeCloseTo(1.5, 6);
      return g;
    }, 'grad meanOverExemplars');
    x.dispose();
  });

  it('throws clear errors', async () => {
    expect(() => meanOverExemplars([], () => tf.scalar(0))).toThrow(/^meanOverExemplars: expected exemplars to hold at least one/);
    await expectNoLeaks(() => {
      expect(() => meanOverExemplars([1], () => tf.zeros([2]) as unknown as tf.Scalar)).toThrow(ShapeError);
      expect(() => meanOverExemplars([1], () => tf.zeros([2]) as unknown as tf.Scalar)).toThrow(
        /loss\(exemplars\[0\]\) to return a scalar tensor, received shape \[2\]/,
      );
    }, 'meanOverExemplars error path');
  });
});
