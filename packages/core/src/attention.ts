import * as tf from '@tensorflow/tfjs-core';
import { assertRank } from './checks.js';
import { ShapeError, ValueError, formatShape } from './errors.js';
import { gatherRows } from './gather-rows.js';

/** Non-linearity applied to the logits `u_i + v_j` before the softmax. */
export type AttentionActivation = 'softplus' | 'relu' | 'elu' | 'linear' | ((logits: tf.Tensor2D) => tf.Tensor2D);

/** Options of {@link neighbourhoodAttention}. */
export interface NeighbourhoodAttentionOptions {
  /** Applied to the logits before the softmax (default `'softplus'`, as the authors). */
  activation?: AttentionActivation;
  /** Dropout rate on the logits, for training (default 0: none). */
  dropoutRate?: number;
  /** Seed of the dropout mask. */
  seed?: number;
}

/** Result of {@link neighbourhoodAttention}. */
export interface NeighbourhoodAttentionResult {
  /** `[N, k]`: α, each row ≥ 0 and summing to 1. */
  weights: tf.Tensor2D;
  /** `[N, c]`: `Σ_j α[i, j] · values[indices[i, j]]`, a convex combination of k pool rows. */
  output: tf.Tensor2D;
}

/** Applies `activation` to `x`. */
export function applyAttentionActivation(x: tf.Tensor2D, activation: AttentionActivation): tf.Tensor2D {
  if (typeof activation === 'function') return activation(x);
  switch (activation) {
    case 'softplus':
      return tf.softplus(x);
    case 'relu':
      return tf.relu(x);
    case 'elu':
      return tf.elu(x);
    case 'linear':
      return x;
    default:
      throw new ValueError('neighbourhoodAttention', `activation 'softplus', 'relu', 'elu', 'linear' or a function`, String(activation));
  }
}

/**
 * Attention over a fixed neighbourhood (the graph-attention step of TPFR, method §5): for query i
 * with neighbours `indices[i, ·]` in the pool,
 *
 *   α[i, j] = softmax_j act(u[i] + v[indices[i, j]]),   out[i] = Σ_j α[i, j] · values[indices[i, j]].
 *
 * Differentiable in `u`, `v` and `values` (on wasm too: `@tpfr/core` registers the
 * UnsortedSegmentSum kernel that the gradient of the row gathers needs). Memory O(N·k·c): for
 * large N, call it on chunks of query rows.
 *
 * @param u `[N]` query scores.
 * @param v `[M]` pool scores.
 * @param indices `[N, k]` int32 pool rows, e.g. from {@link knn}.
 * @param values `[M, c]` pool values.
 */
export function neighbourhoodAttention(
  u: tf.Tensor1D,
  v: tf.Tensor1D,
  indices: tf.Tensor2D,
  values: tf.Tensor2D,
  opts: NeighbourhoodAttentionOptions = {},
): NeighbourhoodAttentionResult {
  const fn = 'neighbourhoodAttention';
  assertRank(fn, 'u', u, 1, '[N]');
  assertRank(fn, 'v', v, 1, '[M]');
  assertRank(fn, 'indices', indices, 2, '[N, k]');
  assertRank(fn, 'values', values, 2, '[M, c]');
  if (indices.dtype !== 'int32') throw new ShapeError(fn, 'indices of dtype int32', `dtype ${indices.dtype}`);
  const [n, k] = indices.shape;
  if (u.shape[0] !== n) throw new ShapeError(fn, `u [N] with N = ${n} (rows of indices)`, `shape ${formatShape(u.shape)}`);
  if (v.shape[0] !== values.shape[0]) {
    throw new ShapeError(fn, 'v [M] and values [M, c] with the same M', `${formatShape(v.shape)} and ${formatShape(values.shape)}`);
  }
  const rate = opts.dropoutRate ?? 0;
  if (!(rate >= 0 && rate < 1)) throw new ValueError(fn, 'dropoutRate in [0, 1)', String(rate));
  const c = values.shape[1];
  return tf.tidy(() => {
    const flat = tf.reshape(indices, [-1]) as tf.Tensor1D;
    const vNeighbours = tf.reshape(gatherRows(tf.reshape(v, [-1, 1]) as tf.Tensor2D, flat), [n, k]);
    let logits = tf.add(tf.reshape(u, [n, 1]), vNeighbours) as tf.Tensor2D; // [N,k]
    if (rate > 0) logits = tf.dropout(logits, rate, undefined, opts.seed) as tf.Tensor2D;
    const weights = tf.softmax(applyAttentionActivation(logits, opts.activation ?? 'softplus')) as tf.Tensor2D;
    const gathered = tf.reshape(gatherRows(values, flat), [n, k, c]) as tf.Tensor3D;
    const output = tf.reshape(tf.matMul(tf.reshape(weights, [n, 1, k]) as tf.Tensor3D, gathered), [n, c]) as tf.Tensor2D;
    return { weights, output };
  });
}
