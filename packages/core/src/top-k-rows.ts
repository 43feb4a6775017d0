import * as tf from '@tensorflow/tfjs-core';
import { pickColumns } from './gather-rows.js';

/** Columns per group in {@link topkRows}'s two-level search. */
export const TOPK_GROUP = 16;

/**
 * The k largest entries of every row, exact, ties to the lower column (as `tf.topk`).
 *
 * For wide rows it searches in two levels, which is several times faster than one `tf.topk` on
 * wasm: the row is cut into groups of {@link TOPK_GROUP} columns, the k groups with the largest
 * maxima are found (the k largest entries lie in them), and one small top-k runs over those
 * k·16 candidates, taken in column order so that ties still go to the lower column.
 * @param scores `[R, W]`
 * @returns `values [R, k]` descending and `indices [R, k]` int32.
 */
export function topkRows(scores: tf.Tensor2D, k: number): { values: tf.Tensor2D; indices: tf.Tensor2D } {
  const [r, w] = scores.shape;
  const g = TOPK_GROUP;
  if (w % g !== 0 || w < 4 * k * g) {
    const t = tf.topk(scores, k, true);
    return { values: t.values as tf.Tensor2D, indices: t.indices as tf.Tensor2D };
  }
  return tf.tidy(() => {
    const groups = w / g;
    const groupMax = tf.max(tf.reshape(scores, [r, groups, g]), 2) as tf.Tensor2D;
    const best = tf.topk(groupMax, k, true).indices as tf.Tensor2D;
    // The chosen groups in ascending order (exact as float32 below 2^24 groups).
    const sorted = tf.cast(tf.neg(tf.topk(tf.neg(tf.cast(best, 'float32')), k, true).values), 'int32') as tf.Tensor2D;
    const rowGroups = tf.add(sorted, tf.reshape(tf.mul(tf.range(0, r, 1, 'int32'), tf.scalar(groups, 'int32')), [r, 1]));
    const cand = tf.reshape(tf.gatherND(tf.reshape(scores, [r * groups, g]), tf.reshape(rowGroups, [-1, 1])), [r, k * g]) as tf.Tensor2D;
    const top = tf.topk(cand, k, true);
    const slot = tf.floorDiv(top.indices, tf.scalar(g, 'int32')) as tf.Tensor2D;
    const offset = tf.sub(top.indices, tf.mul(slot, tf.scalar(g, 'int32')));
    const indices = tf.add(tf.mul(pickColumns(sorted, slot), tf.scalar(g, 'int32')), offset) as tf.Tensor2D;
    return { values: top.values as tf.Tensor2D, indices };
  });
}
