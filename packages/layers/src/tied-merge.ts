import * as tf from '@tensorflow/tfjs-core';
import { tiedNeighbourhoodAttention, type AttentionActivation, type Metric } from '@tpfr/core';
import { gatherRows } from '@tpfr/core/utils';
import { tiedRowsChunk, type StageDropout } from './dropout-seeds.js';
import type { GroupNeighbours } from './neighbour-search.js';
import type { GroupRows } from './pool-groups.js';

// The authors' tie rule ('include'): queries whose k-th distance ties attend to every tied peer.
// Their results are computed first, once per pool group, then each chunk of queries takes its
// tied rows' results in place of its own (one differentiable row gather per chunk: no copy of
// the whole stage output).

/** Rows whose neighbour set is larger than k (ties at the k-th distance), from knn's counts `[N]`. */
export function tiedRows(counts: tf.Tensor1D, k: number): number[] {
  const c = counts.dataSync();
  const rows: number[] = [];
  c.forEach((n, i) => {
    if (n > k) rows.push(i);
  });
  return rows;
}

/** The results of a pool group's tied rows. */
export interface TiedResults {
  /** Rows of the group (ascending) whose neighbour set is larger than k. */
  rows: number[];
  /** `[T, e]` their outputs, over every peer of their neighbour sets. */
  output: tf.Tensor2D;
  /** `[T, k]` the weights of their k listed neighbours (summing to less than 1). */
  weights: tf.Tensor2D;
}

/** What the tied rows' attention reads besides the group's rows and neighbours. */
export interface TiedAttentionSettings {
  /** Neighbours per query before ties. */
  k: number;
  /** Distance of the search (the tied rows' sets are searched again, on the same features). */
  metric: Metric;
  /** Score-tile budget of the search in bytes. */
  knnMemoryBudgetBytes: number;
  /** Applied to the logits before the softmax. */
  activation: AttentionActivation;
}

/**
 * Attends the group's tied rows over their whole neighbour sets (`tiedNeighbourhoodAttention`
 * on the features they were searched on); null when no row ties. Their dropout seed is that of
 * chunk {@link tiedRowsChunk}(`firstChunk`), `firstChunk` being the chunks of the pools before.
 */
export function attendTiedRows(
  rows: GroupRows,
  found: GroupNeighbours,
  settings: TiedAttentionSettings,
  dropout: StageDropout,
  firstChunk: number,
): TiedResults | null {
  const tied = found.tiedRows;
  if (tied.length === 0) return null;
  const { group } = rows;
  return tf.tidy(() => {
    const rowsT = tf.tensor1d(tied, 'int32');
    const qt = gatherRows(found.searchQueries, rowsT);
    const ut = tf.reshape(
      gatherRows(tf.reshape(tf.slice(rows.stageQueryScores, [group.q0], [group.nq]), [-1, 1]) as tf.Tensor2D, rowsT),
      [-1],
    ) as tf.Tensor1D;
    const r = tiedNeighbourhoodAttention(qt, found.searchPool, settings.k, ut, rows.peerScores, rows.values, {
      metric: settings.metric,
      memoryBudgetBytes: settings.knnMemoryBudgetBytes,
      activation: settings.activation,
      dropoutRate: dropout.rate,
      seed: dropout.seed(tiedRowsChunk(firstChunk)),
    });
    return { rows: tied, output: r.output, weights: r.weights };
  });
}

/**
 * A chunk's output `[rows, e]` and weights `[rows, k]` (chunk rows `r0 … r0 + rows − 1` of the
 * group) with the rows of `tied.rows[first … last − 1]` (all in the chunk) replaced by the tied
 * results: one row gather of the chunk's rows and those results.
 */
export function mergeTiedRows(
  chunk: [tf.Tensor2D, tf.Tensor2D],
  tied: TiedResults,
  first: number,
  last: number,
  r0: number,
  rows: number,
): [tf.Tensor2D, tf.Tensor2D] {
  const sel = tf.tensor1d(
    Int32Array.from({ length: last - first }, (_, t) => first + t),
    'int32',
  );
  const pick = Int32Array.from({ length: rows }, (_, i) => i);
  for (let t = first; t < last; t++) pick[tied.rows[t] - r0] = rows + (t - first);
  const pickT = tf.tensor1d(pick, 'int32');
  const merge = (x: tf.Tensor2D, extra: tf.Tensor2D) => gatherRows(tf.concat([x, gatherRows(extra, sel)], 0) as tf.Tensor2D, pickT);
  return [merge(chunk[0], tied.output), merge(chunk[1], tied.weights)];
}
