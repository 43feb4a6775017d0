import * as tf from '@tensorflow/tfjs-core';
import type { Metric } from '@tpfr/core';
import { gatherRows, timed } from '@tpfr/core/utils';
import type { GroupNeighbours } from './neighbour-search.js';
import type { GroupRows } from './pool-groups.js';

/**
 * Hysteresis on the neighbour sets, for frames of a video: each query keeps last frame's
 * neighbours while they stay near, so that a pixel whose k-th and (k+1)-th distances nearly tie
 * does not flip its neighbour set on sensor noise.
 */
export interface NeighbourHysteresis {
  /** `[nq, k]` int32: last frame's neighbours of the group's queries (rows of its pool). */
  previous: tf.Tensor2D;
  /**
   * A previous neighbour stays while its distance to the query is at most `(1 + margin)` times
   * the new k-th distance (≥ 0; 0 keeps those that are still among the k nearest or tie).
   */
  margin: number;
}

/** Bytes the gathered pool rows may take at once (`rows·k·d` floats). */
const GATHER_BUDGET_BYTES = 32 * 2 ** 20;

/** Distances `[nq, k]` from each query `[nq, d]` to the pool rows `[np, d]` its indices `[nq, k]` name (the search's metric). */
function distancesTo(queries: tf.Tensor2D, pool: tf.Tensor2D, indices: tf.Tensor2D, metric: Metric): tf.Tensor2D {
  const [n, d] = queries.shape;
  const k = indices.shape[1];
  const chunk = Math.max(1, Math.floor(GATHER_BUDGET_BYTES / (4 * k * Math.max(1, d))));
  const parts: tf.Tensor2D[] = [];
  for (let r0 = 0; r0 < n; r0 += chunk) {
    const rows = Math.min(chunk, n - r0);
    parts.push(
      tf.tidy(() => {
        const q = tf.reshape(tf.slice(queries, [r0, 0], [rows, d]), [rows, 1, d]);
        const p = tf.reshape(gatherRows(pool, tf.reshape(tf.slice(indices, [r0, 0], [rows, k]), [-1]) as tf.Tensor1D), [rows, k, d]);
        if (metric === 'cosine') {
          const dot = tf.sum(tf.mul(q, p), -1);
          const norms = tf.mul(tf.norm(q, 'euclidean', -1), tf.norm(p, 'euclidean', -1));
          return tf.sub(1, tf.div(dot, tf.maximum(norms, 1e-12))) as tf.Tensor2D;
        }
        return tf.sum(tf.squaredDifference(q, p), -1) as tf.Tensor2D;
      }),
    );
  }
  if (parts.length === 1) return parts[0];
  const out = tf.concat(parts, 0) as tf.Tensor2D;
  tf.dispose(parts);
  return out;
}

/**
 * The searched neighbours with hysteresis: per query, last frame's neighbours whose distance is
 * within `(1 + margin)` of the new k-th distance are kept (nearest first), and the new nearest
 * ones fill the set up to k (none twice). Distances are the search's own (squared Euclidean or
 * 1 − cos) on the group's queries and pool. Timed as `<label>: neighbour search`. The result
 * lists exactly k neighbours per query (no 'include' tie rule: the tied rows are dropped).
 */
export function keepNearPrevious(
  label: string,
  rows: GroupRows,
  found: GroupNeighbours,
  hysteresis: NeighbourHysteresis,
  metric: Metric,
): GroupNeighbours {
  const indices = timed(`${label}: neighbour search`, () =>
    tf.tidy(() => {
      const k = found.indices.shape[1];
      const fresh = found.indices;
      const previous = tf.cast(hysteresis.previous, 'int32') as tf.Tensor2D;
      const dFresh = distancesTo(rows.queries, rows.pool, fresh, metric);
      const dPrevious = distancesTo(rows.queries, rows.pool, previous, metric);
      const limit = tf.mul(tf.max(dFresh, 1, true), 1 + hysteresis.margin);
      const keep = tf.lessEqual(dPrevious, limit);
      // A fresh neighbour that is also a kept previous one is not listed twice.
      const same = tf.equal(tf.expandDims(fresh, 2), tf.expandDims(previous, 1));
      const twice = tf.any(tf.logicalAnd(same, tf.expandDims(keep, 1)), 2);
      // Kept previous neighbours rank first (by distance), then fresh ones (by distance).
      const offset = tf.add(tf.max(tf.concat([dFresh, dPrevious], 1), 1, true), 1);
      const previousRank = tf.where(keep, tf.sub(dPrevious, offset), tf.fill(dPrevious.shape, Infinity));
      const freshRank = tf.where(twice, tf.fill(dFresh.shape, Infinity), dFresh);
      const order = tf.topk(tf.neg(tf.concat([previousRank, freshRank], 1)), k).indices;
      const candidates = tf.concat([previous, fresh], 1);
      // Row-wise pick as one flat gather (wasm's gather has no batch dimensions).
      const n = candidates.shape[0];
      const flat = tf.add(order, tf.mul(tf.expandDims(tf.range(0, n, 1, 'int32'), 1), tf.scalar(2 * k, 'int32')));
      return tf.reshape(tf.gather(tf.reshape(candidates, [-1]), tf.reshape(flat, [-1])), [n, k]) as tf.Tensor2D;
    }),
  );
  found.indices.dispose();
  return { ...found, indices, tiedRows: [] };
}
