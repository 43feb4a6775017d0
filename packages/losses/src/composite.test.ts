import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ShapeError, ValueError } from '@tpfr/core';
import { describeEachBackend, expectNoLeaks } from '@tpfr/testing';
import { DEFAULT_LOSS_WEIGHTS, WeightedLossSet, combineLosses, lossWeight, weightedLossSum } from './composite.js';
import { reconstructionLoss } from './reconstruction.js';

describeEachBackend('composite', () => {
  it('combineLosses sums with the authors\u2019 default weights and reports plain numbers', async () => {
    expect(DEFAULT_LOSS_WEIGHTS.reconstruction).toBe(25);
    expect(lossWeight('adversarial')).toBe(1);
    expect(lossWeight('somethingElse')).toBe(1);
    expect(lossWeight('reconstruction', { reconstruction: 3 })).toBe(3);
    const terms = { reconstruction: tf.scalar(0.5), adversarial: tf.scalar(2), extra: tf.scalar(-1) };
    await expectNoLeaks(() => {
      const c = combineLosses(terms);
      expect(c.total.dataSync()[0]).toBeCloseTo(25 * 0.5 + 2 - 1, 5);
      expect(c.terms).toEqual({ reconstruction: 0.5, adversarial: 2, extra: -1 });
      expect(c.weighted).toEqual({ reconstruction: 12.5, adversarial: 2, extra: -1 });
      expect(c.weights).toEqual({ reconstruction: 25, adversarial: 1, extra: 1 });
      const w = combineLosses(terms, { reconstruction: 1, extra: 0 });
      expect(w.total.dataSync()[0]).toBeCloseTo(2.5, 6);
      const s = weightedLossSum(terms, { adversarial: 0.5 });
      expect(s.dataSync()[0]).toBeCloseTo(12.5 + 1 - 1, 5);
      const one = weightedLossSum({ a: terms.adversarial });
      expect(one).not.toBe(terms.adversarial); // a new tensor, safe to dispose
      return [c.total, w.total, s, one];
    }, 'combineLosses');
    expect(terms.adversarial.isDisposed).toBe(false);
    tf.dispose(Object.values(terms));
  });

  it('the total is differentiable inside optimizer.minimize', async () => {
    const v = tf.variable(tf.ones([1, 1, 1, 1]));
    const target = tf.zeros([1, 1, 1, 1]) as tf.Tensor4D;
    const opt = tf.train.sgd(0.01);
    const set = new WeightedLossSet({ other: 2 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      opt.minimize(() =>
        set.total({
          reconstruction: reconstructionLoss([[v as unknown as tf.Tensor4D, target]]),
          other: tf.mul(tf.sum(v), 1) as tf.Scalar,
        }),
      );
    }
    // 1 kept value tensor (the last terms) is all that remains besides the optimizer's state
    expect(tf.memory().numTensors - before).toBeLessThanOrEqual(1);
    // d/dv [25 (v − 0)² + 2v] = 50v + 2: v = 1 → 1 − 0.01·52 = 0.48 → 0.48 − 0.01·26 = 0.22
    expect(v.dataSync()[0]).toBeCloseTo(0.22, 5);
    const read = await set.read();
    expect(Object.keys(read)).toEqual(['reconstruction', 'other']);
    expect(read.reconstruction).toBeCloseTo(0.48 ** 2, 5);
    expect(read.other).toBeCloseTo(0.48, 5);
    expect(set.weightOf('reconstruction')).toBe(25);
    expect(set.weightOf('other')).toBe(2);
    set.dispose();
    expect(await set.read()).toEqual({});
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    tf.dispose([v, target]);
  });

  it('WeightedLossSet.combine and grads through combineLosses', async () => {
    const x = tf.scalar(3);
    const set = new WeightedLossSet();
    await expectNoLeaks(() => {
      const sq = tf.square(x) as tf.Scalar;
      const c = set.combine({ reconstruction: sq });
      expect(c.terms.reconstruction).toBeCloseTo(9, 5);
      expect(c.total.dataSync()[0]).toBeCloseTo(225, 4);
      const g = tf.grad((y: tf.Tensor) => combineLosses({ reconstruction: tf.square(y) as tf.Scalar }).total)(x);
      expect(g.dataSync()[0]).toBeCloseTo(150, 4);
      return [c.total, g, sq];
    }, 'combine');
    set.dispose();
    x.dispose();
  });

  it('throws clear errors', () => {
    const s = tf.scalar(1);
    const v = tf.zeros([2]);
    expect(() => combineLosses({})).toThrow(/^combineLosses: expected terms to hold at least one/);
    expect(() => combineLosses({ a: v as tf.Scalar })).toThrow(ShapeError);
    expect(() => combineLosses({ a: v as tf.Scalar })).toThrow(
      /combineLosses: expected terms.a to be a scalar \(rank 0\), received shape \[2\]/,
    );
    expect(() => weightedLossSum({ a: s }, { a: NaN })).toThrow(ValueError);
    expect(() => new WeightedLossSet({ a: Infinity })).toThrow(/WeightedLossSet: expected weights.a/);
    tf.dispose([s, v]);
  });
});
