import * as tf from '@tensorflow/tfjs-core';
import { assertRank } from './checks.js';
import { ShapeError, formatShape } from './errors.js';

/** Distance used to build the neighbour graph. */
export type Metric = 'euclidean' | 'cosine';

/** Checks `a [N, d]` and `b [M, d]`. */
export function assertPairwiseInputs(fn: string, a: tf.Tensor, b: tf.Tensor, aName = 'queries', bName = 'pool'): void {
  assertRank(fn, aName, a, 2, '[N, d]');
  assertRank(fn, bName, b, 2, '[M, d]');
  if (a.shape[1] !== b.shape[1]) {
    throw new ShapeError(
      fn,
      `${aName} [N, d] and ${bName} [M, d] of the same width d`,
      `${formatShape(a.shape)} and ${formatShape(b.shape)}`,
    );
  }
}

/**
 * Dense squared Euclidean distances, `D[i, j] = ‖a_i − b_j‖²`, computed as
 * `‖a_i‖² − 2·a_i·b_j + ‖b_j‖²` (as the authors do) and clamped at 0.
 *
 * Memory is O(N·M): for large inputs use {@link knn}, which never builds this matrix.
 * @param a `[N, d]`
 * @param b `[M, d]`
 * @returns `[N, M]`
 */
export function squaredEuclideanDistance(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  assertPairwiseInputs('squaredEuclideanDistance', a, b, 'a', 'b');
  return tf.tidy(() => {
    const a2 = tf.sum(tf.square(a), 1, true); // [N,1]
    const b2 = tf.reshape(tf.sum(tf.square(b), 1), [1, -1]); // [1,M]
    const ab = tf.matMul(a, b, false, true);
    return tf.relu(tf.add(tf.sub(a2, tf.mul(2, ab)), b2)) as tf.Tensor2D;
  });
}

/**
 * Dense cosine distances, `D[i, j] = 1 − a_i·b_j / (‖a_i‖·‖b_j‖)`, in `[0, 2]`. A zero vector
 * is treated as having norm 1e-12 (its distance to everything is 1).
 * @param a `[N, d]`
 * @param b `[M, d]`
 * @returns `[N, M]`
 */
export function cosineDistance(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  assertPairwiseInputs('cosineDistance', a, b, 'a', 'b');
  return tf.tidy(() => tf.sub(1, tf.matMul(l2NormalizeRows(a), l2NormalizeRows(b), false, true)) as tf.Tensor2D);
}

/** Divides every row of `x [N, d]` by its L2 norm (at least 1e-12). */
export function l2NormalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D);
}

/** Dense pairwise distances for `metric`: `[N, d] × [M, d] → [N, M]`. */
export function pairwiseDistance(a: tf.Tensor2D, b: tf.Tensor2D, metric: Metric = 'euclidean'): tf.Tensor2D {
  return metric === 'cosine' ? cosineDistance(a, b) : squaredEuclideanDistance(a, b);
}
