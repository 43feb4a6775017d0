import * as tf from '@tensorflow/tfjs-core';
import { knn, type Metric } from '@tpfr/core';
import { canReadSync } from '@tpfr/core/internal';
import { timed } from '@tpfr/core/utils';
import { foldExemplarConstantChannels } from './exemplar-constant-channels.js';
import type { GroupRows } from './pool-groups.js';
import { tiedRows } from './tied-merge.js';

/** What the neighbour search of a stage reads: the layer's search settings and the call's k. */
export interface NeighbourSearchOptions {
  /** Neighbours per query. */
  k: number;
  /** Distance of the search. */
  metric: Metric;
  /** Neighbour set where distances tie at the k-th place (see `PeerRecombinationArgs.ties`). */
  ties: 'exactly-k' | 'include';
  /** Score-tile budget of the kNN in bytes. */
  knnMemoryBudgetBytes: number;
  /** Peer rows per exemplar map (h·w): channels constant over each are folded out of the search. */
  rowsPerExemplar: number;
}

/** The neighbours of a pool group's queries, and the features they were searched on. */
export interface GroupNeighbours {
  /** `[nq, k]` int32: k neighbours per query, rows of the group's pool. */
  indices: tf.Tensor2D;
  /**
   * Rows of the group (ascending) whose k-th distance ties, so whose neighbour set, under the
   * 'include' rule, is larger than k. Empty for 'exactly-k' and for a replayed graph.
   */
  tiedRows: number[];
  /** `[nq, d′]` the queries as searched (the group's queries, or folded). */
  searchQueries: tf.Tensor2D;
  /** `[np, d′]` the pool as searched (the group's pool, or folded). */
  searchPool: tf.Tensor2D;
  /** The folded search features, made for this group only (free them once it is attended), or null. */
  folded: { queries: tf.Tensor2D; pool: tf.Tensor2D } | null;
}

/**
 * The group's rows `replayed[q0 … q0 + nq − 1]` of a replayed graph `[N, k]` int32 (a copy
 * when the group spans it). A replayed graph is used as given: no tie rule, it lists k
 * neighbours per row.
 */
export function replayNeighbours(rows: GroupRows, replayed: tf.Tensor2D, k: number): GroupNeighbours {
  const { group } = rows;
  const indices = group.nq === replayed.shape[0] ? tf.clone(replayed) : tf.slice(replayed, [group.q0, 0], [group.nq, k]);
  return { indices, tiedRows: [], searchQueries: rows.queries, searchPool: rows.pool, folded: null };
}

/**
 * Searches the k nearest peers of the group's queries in its pool (timed as `<label>: neighbour
 * search`), and, with `ties: 'include'`, which queries tie at the k-th distance.
 */
export function searchNeighbours(label: string, rows: GroupRows, options: NeighbourSearchOptions): GroupNeighbours {
  const { k, metric } = options;
  // Channels constant over each exemplar (the global style code) enter the squared distance as
  // one term per query and exemplar: the search runs on the other channels plus that term.
  const folded =
    metric === 'euclidean'
      ? timed(`${label}: neighbour search`, () => foldExemplarConstantChannels(rows.queries, rows.pool, options.rowsPerExemplar))
      : null;
  const [searchQueries, searchPool] = folded ? [folded.queries, folded.pool] : [rows.queries, rows.pool];
  // The 'include' rule needs to know, on the host, which rows tie: a synchronous read, which
  // WebGPU cannot do (in a browser worker it breaks the device). There the k nearest are taken,
  // ties to the lower peer index: the same sets wherever no distance ties exactly at the k-th place.
  const ties = options.ties === 'include' && !canReadSync() ? 'exactly-k' : options.ties;
  // knn's results are detached: the neighbour graph is a constant for the gradient tape.
  const found = timed(`${label}: neighbour search`, () =>
    knn(searchQueries, searchPool, k, { metric, memoryBudgetBytes: options.knnMemoryBudgetBytes, checkFinite: false, ties }),
  );
  found.distances.dispose();
  const tied = found.counts ? tiedRows(found.counts, k) : [];
  found.counts?.dispose();
  return { indices: found.indices, tiedRows: tied, searchQueries, searchPool, folded };
}
