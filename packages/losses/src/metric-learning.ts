import * as tf from '@tensorflow/tfjs-core';
import { checkPair, sampleDistancesUnchecked } from './latent-distance.js';
import { WeightedLoss, type WeightedLossOptions } from './weighted-loss.js';
import { assertFeatureMap, assertFiniteNumber, assertNonEmptyArray, assertSameShape, NHWC } from './validate.js';
import { ShapeError } from '@tpfr/core';

/** Two style codes `[x, y]`, both `[B, H, W, C]` of the same shape. */
export type StyleCodePair = readonly [tf.Tensor4D, tf.Tensor4D];

/**
 * Per-sample distances of every pair, concatenated: `[ΣB]`. Each pair is `[x, y]` of
 * `[B, H, W, C]`; pairs may differ in B, H, W and C from one another. Inputs already checked.
 */
function pairDistances(pairs: readonly StyleCodePair[], beta: number): tf.Tensor1D {
  const ds = pairs.map(([x, y]) => sampleDistancesUnchecked(x, y, beta));
  return ds.length === 1 ? ds[0] : (tf.concat(ds) as tf.Tensor1D);
}

function checkPairs(fn: string, name: string, pairs: unknown, beta: number): asserts pairs is StyleCodePair[] {
  assertNonEmptyArray(fn, name, pairs, `[x, y] pair of ${NHWC} style codes`);
  pairs.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2) {
      throw new ShapeError(
        fn,
        `${name}[${i}] to be a pair [x, y] of ${NHWC} tensors`,
        Array.isArray(p) ? `an array of length ${p.length}` : typeof p,
      );
    }
    checkPair(fn, p[0], p[1], beta, `${name}[${i}][0]`, `${name}[${i}][1]`);
  });
}

/**
 * The authors' metric-learning loss on style codes, a contrastive hinge on mean distances:
 *
 *   loss = mean_{pos} d(x, y) + max(0, m − mean_{neg} d(x, y))
 *
 * where `d` is the per-sample latent distance ({@link perSampleLatentDistance}: mean over H·W of
 * the channel-sum of SmoothL1(x − y)), and each mean runs over all samples of all pairs of its
 * list. Positive pairs share a style class (B′ with B, A′ with A), negative pairs do not
 * (A′ with B, B′ with A). The hinge is exactly zero once the negatives are `m` apart on average,
 * and linear (slope −1) inside the margin.
 * @param positivePairs `[x, y]` pairs of `[B, H, W, C]` style codes of the same class.
 * @param negativePairs `[x, y]` pairs of `[B, H, W, C]` style codes of different classes.
 * @param margin `m >= 0` (default 1, as the authors).
 * @param beta SmoothL1 switch point (default 1).
 * @returns a scalar `>= 0`.
 * @throws ShapeError on an empty list, a malformed pair, or a pair whose two shapes differ.
 */
export function metricLearningLoss(
  positivePairs: readonly StyleCodePair[],
  negativePairs: readonly StyleCodePair[],
  margin = 1,
  beta = 1,
): tf.Scalar {
  const fn = 'metricLearningLoss';
  assertFiniteNumber(fn, 'margin', margin, 0);
  checkPairs(fn, 'positivePairs', positivePairs, beta);
  checkPairs(fn, 'negativePairs', negativePairs, beta);
  return tf.tidy(() => {
    const pos = tf.mean(pairDistances(positivePairs, beta));
    const neg = tf.mean(pairDistances(negativePairs, beta));
    return tf.add(pos, tf.relu(tf.sub(margin, neg))) as tf.Scalar;
  });
}

/**
 * Triplet form of the metric loss, per sample then averaged over the batch:
 *
 *   loss = mean_b max(0, d(anchor_b, positive_b) − d(anchor_b, negative_b) + m)
 *
 * with `d` the per-sample latent distance (mean over H·W of the channel-sum of SmoothL1).
 * @param anchor `[B, H, W, C]` style code.
 * @param positive `[B, H, W, C]` style code of the anchor's class.
 * @param negative `[B, H, W, C]` style code of another class.
 * @param margin `m >= 0` (default 1).
 * @param beta SmoothL1 switch point (default 1).
 * @returns a scalar `>= 0`.
 * @throws ShapeError unless the three tensors are rank-4 of one shape.
 */
export function tripletMetricLoss(anchor: tf.Tensor4D, positive: tf.Tensor4D, negative: tf.Tensor4D, margin = 1, beta = 1): tf.Scalar {
  const fn = 'tripletMetricLoss';
  assertFiniteNumber(fn, 'margin', margin, 0);
  checkPair(fn, anchor, positive, beta, 'anchor', 'positive');
  assertFeatureMap(fn, 'negative', negative);
  assertSameShape(fn, 'anchor', anchor, 'negative', negative);
  return tf.tidy(() => {
    const dPos = pairDistances([[anchor, positive]], beta);
    const dNeg = pairDistances([[anchor, negative]], beta);
    return tf.mean(tf.relu(tf.add(tf.sub(dPos, dNeg), margin))) as tf.Scalar;
  });
}

/** Options of {@link MetricLearningLoss} and {@link TripletMetricLoss}. */
export interface MetricLearningOptions extends WeightedLossOptions {
  /** Hinge margin `m` (default 1). */
  margin?: number;
  /** SmoothL1 switch point (default 1). */
  beta?: number;
}

/** Weighted {@link metricLearningLoss}: `call(pos, neg) = weight · [mean d(pos) + max(0, m − mean d(neg))]`. */
export class MetricLearningLoss extends WeightedLoss {
  /** Hinge margin. */
  readonly margin: number;
  /** SmoothL1 switch point. */
  readonly beta: number;
  constructor(options: MetricLearningOptions = {}) {
    super('MetricLearningLoss', options.weight);
    this.margin = options.margin ?? 1;
    this.beta = options.beta ?? 1;
    assertFiniteNumber('MetricLearningLoss', 'margin', this.margin, 0);
    assertFiniteNumber('MetricLearningLoss', 'beta', this.beta, 0);
  }
  /** `weight · metricLearningLoss(positivePairs, negativePairs, margin, beta)` → scalar. */
  call(positivePairs: readonly StyleCodePair[], negativePairs: readonly StyleCodePair[]): tf.Scalar {
    return this.weighted(() => metricLearningLoss(positivePairs, negativePairs, this.margin, this.beta));
  }
}

/** Weighted {@link tripletMetricLoss}: `call(a, p, n) = weight · mean_b max(0, d(a, p) − d(a, n) + m)`. */
export class TripletMetricLoss extends WeightedLoss {
  /** Hinge margin. */
  readonly margin: number;
  /** SmoothL1 switch point. */
  readonly beta: number;
  constructor(options: MetricLearningOptions = {}) {
    super('TripletMetricLoss', options.weight);
    this.margin = options.margin ?? 1;
    this.beta = options.beta ?? 1;
    assertFiniteNumber('TripletMetricLoss', 'margin', this.margin, 0);
    assertFiniteNumber('TripletMetricLoss', 'beta', this.beta, 0);
  }
  /** `weight · tripletMetricLoss(anchor, positive, negative, margin, beta)`; all `[B, H, W, C]` → scalar. */
  call(anchor: tf.Tensor4D, positive: tf.Tensor4D, negative: tf.Tensor4D): tf.Scalar {
    return this.weighted(() => tripletMetricLoss(anchor, positive, negative, this.margin, this.beta));
  }
}
