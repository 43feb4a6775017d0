import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { ShapeError } from '@tpfr/core';
import { describeEachBackend, expectNoLeaks, featureMapArb } from '@tpfr/testing';
import { perSampleLatentDistance } from './latent-distance.js';
import { MetricLearningLoss, TripletMetricLoss, metricLearningLoss, tripletMetricLoss } from './metric-learning.js';

const t4 = (data: number[], shape: [number, number, number, number]) => tf.tensor4d(data, shape);
const opts = { seed: 42, numRuns: 25 };

describeEachBackend('metricLearningLoss', () => {
  it('matches hand-computed values', async () => {
    // per-sample distances (1 pixel, 2 channels): pos (0.5, 0) → 0.125, (2, 0) → 1.5; neg (0.25, 0) → 0.03125
    const z = t4([0, 0], [1, 1, 1, 2]);
    const p1 = t4([0.5, 0], [1, 1, 1, 2]);
    const p2 = t4([2, 0], [1, 1, 1, 2]);
    const n1 = t4([0.25, 0], [1, 1, 1, 2]);
    await expectNoLeaks(() => {
      const l = metricLearningLoss(
        [
          [p1, z],
          [p2, z],
        ],
        [[n1, z]],
      );
      // mean pos = 0.8125; hinge = 1 − 0.03125
      expect(l.dataSync()[0]).toBeCloseTo(0.8125 + 0.96875, 6);
      const l2 = metricLearningLoss([[p1, z]], [[p2, z]], 1); // neg 1.5 > margin: hinge 0
      expect(l2.dataSync()[0]).toBeCloseTo(0.125, 6);
      return [l, l2];
    }, 'metricLearningLoss');
    tf.dispose([z, p1, p2, n1]);
  });

  it('averages over all samples of all pairs', async () => {
    const z2 = tf.zeros([2, 1, 1, 1]) as tf.Tensor4D;
    const a = t4([1, 0], [2, 1, 1, 1]); // sample distances 0.5, 0
    const z1 = tf.zeros([1, 1, 1, 1]) as tf.Tensor4D;
    const b = t4([2], [1, 1, 1, 1]); // 1.5
    await expectNoLeaks(() => {
      const l = metricLearningLoss(
        [
          [a, z2],
          [b, z1],
        ],
        [[b, z1]],
        0,
      );
      expect(l.dataSync()[0]).toBeCloseTo((0.5 + 0 + 1.5) / 3, 6);
      return l;
    }, 'metricLearningLoss (pairs)');
    tf.dispose([z2, a, z1, b]);
  });

  test.prop(
    [
      featureMapArb({ batch: [1, 2], height: [1, 3], width: [1, 3], channels: [1, 3] }),
      fc.float({ min: -2, max: 2, noNaN: true }),
      fc.float({ min: 0, max: 6, noNaN: true }),
    ],
    opts,
  )('hinge: exactly zero beyond the margin, linear (slope −1) inside, zero positive term at identity', ({ shape, data }, shift, margin) => {
    const x = tf.tensor4d(data, shape as [number, number, number, number]);
    const y = tf.add(x, shift) as tf.Tensor4D;
    const negMean = tf.tidy(() => tf.mean(perSampleLatentDistance(x, y)).dataSync()[0]);
    const l = metricLearningLoss([[x, x]], [[x, y]], margin);
    const v = l.dataSync()[0];
    if (negMean >= margin) expect(v).toBe(0);
    else expect(v).toBeCloseTo(margin - negMean, 4);
    // linear inside: moving the margin by δ inside moves the loss by δ
    const m2 = Math.max(margin, negMean) + 0.5;
    const l2 = metricLearningLoss([[x, x]], [[x, y]], m2);
    const l3 = metricLearningLoss([[x, x]], [[x, y]], m2 + 0.25);
    expect(l3.dataSync()[0] - l2.dataSync()[0]).toBeCloseTo(0.25, 4);
    tf.dispose([x, y, l, l2, l3]);
  });

  it('has finite gradients for every input', async () => {
    const a = t4([0.3, -2, 1, 0], [1, 2, 1, 2]);
    const b = t4([0, 0.5, 1, 3], [1, 2, 1, 2]);
    await expectNoLeaks(() => {
      const gs = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
        metricLearningLoss([[x as tf.Tensor4D, y as tf.Tensor4D]], [[y as tf.Tensor4D, x as tf.Tensor4D]], 5),
      )([a, b]);
      gs.forEach((g) => Array.from(g.dataSync()).forEach((v) => expect(Number.isFinite(v)).toBe(true)));
      return gs;
    }, 'grad metricLearningLoss');
    tf.dispose([a, b]);
  });

  it('throws clear errors on empty lists and mismatched pairs', () => {
    const a = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const b = tf.zeros([1, 2, 2, 2]) as tf.Tensor4D;
    expect(() => metricLearningLoss([], [[a, a]])).toThrow(/metricLearningLoss: expected positivePairs to hold at least one/);
    expect(() => metricLearningLoss([[a, a]], [[a, b]])).toThrow(ShapeError);
    expect(() => metricLearningLoss([[a, a]], [[a, b]])).toThrow(
      /negativePairs\[0\]\[1\] of shape \[1,2,2,3\].*received shape \[1,2,2,2\]/,
    );
    expect(() => metricLearningLoss([[a, a]], [[a, a]], -1)).toThrow(/metricLearningLoss: expected margin/);
    tf.dispose([a, b]);
  });

  it('MetricLearningLoss class holds margin and weight', async () => {
    const z = tf.zeros([1, 1, 1, 1]) as tf.Tensor4D;
    const o = tf.ones([1, 1, 1, 1]) as tf.Tensor4D; // d = 0.5
    await expectNoLeaks(() => {
      const l = new MetricLearningLoss({ margin: 2, weight: 2 }).call([[o, z]], [[o, z]]);
      expect(l.dataSync()[0]).toBeCloseTo(2 * (0.5 + 1.5), 6);
      return l;
    }, 'MetricLearningLoss.call');
    tf.dispose([z, o]);
  });
});

describeEachBackend('tripletMetricLoss', () => {
  it('matches hand-computed values', async () => {
    const anchor = tf.zeros([2, 1, 1, 1]) as tf.Tensor4D;
    const pos = t4([1, 0], [2, 1, 1, 1]); // d = 0.5, 0
    const neg = t4([3, 0.5], [2, 1, 1, 1]); // d = 2.5, 0.125
    await expectNoLeaks(() => {
      const l = tripletMetricLoss(anchor, pos, neg, 1);
      // max(0, 0.5 − 2.5 + 1) = 0; max(0, 0 − 0.125 + 1) = 0.875
      expect(l.dataSync()[0]).toBeCloseTo(0.875 / 2, 6);
      const c = new TripletMetricLoss({ weight: 4, margin: 1 }).call(anchor, pos, neg);
      expect(c.dataSync()[0]).toBeCloseTo(4 * 0.4375, 6);
      return [l, c];
    }, 'tripletMetricLoss');
    expect(() => tripletMetricLoss(anchor, pos, tf.zeros([1, 1, 1, 1]) as tf.Tensor4D)).toThrow(
      /tripletMetricLoss: expected negative of shape \[2,1,1,1\]/,
    );
    tf.dispose([anchor, pos, neg]);
  });
});
