import * as tf from '@tensorflow/tfjs-core';
import type { PeerPooling } from '@tpfr/core/utils';

/**
 * A group of query rows that shares one peer pool: query rows `q0 … q0 + nq − 1` of a stage
 * search peer rows `p0 … p0 + np − 1` (a sample and its own exemplars, or with 'shared'
 * pooling the whole batch and every exemplar).
 */
export interface PoolGroup {
  q0: number;
  nq: number;
  p0: number;
  np: number;
}

/**
 * Pool groups of query and peer rows for the pooling policy: B samples of `nPerSample` query
 * rows, P exemplars per sample of `mPerMap` peer rows (peer rows run over samples, exemplars,
 * then pixels). 'per-sample': one group per sample; 'shared': one group of every row.
 */
export function poolGroups(pooling: PeerPooling, b: number, nPerSample: number, p: number, mPerMap: number): PoolGroup[] {
  if (pooling === 'shared') return [{ q0: 0, nq: b * nPerSample, p0: 0, np: b * p * mPerMap }];
  return Array.from({ length: b }, (_, i) => ({ q0: i * nPerSample, nq: nPerSample, p0: i * p * mPerMap, np: p * mPerMap }));
}

/** A stage's rows over the whole call, before they are split into pool groups. */
export interface StageRows {
  /** `[N, d]` the stage's queries. */
  queries: tf.Tensor2D;
  /** `[N]` their scores u. */
  queryScores: tf.Tensor1D;
  /** `[M, d]` the peer rows searched. */
  pool: tf.Tensor2D;
  /** `[M]` their scores v. */
  peerScores: tf.Tensor1D;
  /** `[M, e]` the peer rows recombined. */
  values: tf.Tensor2D;
}

/**
 * One pool group's share of a stage. The query scores stay whole (`[N]`, read at rows
 * `group.q0 + r`): the chunks and the tied rows slice what they need of them.
 */
export interface GroupRows {
  group: PoolGroup;
  /** `[nq, d]` the group's queries. */
  queries: tf.Tensor2D;
  /** `[N]` the stage's query scores u, every group's. */
  stageQueryScores: tf.Tensor1D;
  /** `[np, d]` the group's pool. */
  pool: tf.Tensor2D;
  /** `[np]` the pool's scores v. */
  peerScores: tf.Tensor1D;
  /** `[np, e]` the pool's values. */
  values: tf.Tensor2D;
}

/**
 * The rows of `group`: slices of the stage's pool `[M, d]`, peer scores `[M]`, values `[M, e]`
 * and queries `[N, d]`, or the tensors themselves where the group spans them all.
 */
export function groupRows(group: PoolGroup, rows: StageRows): GroupRows {
  const d = rows.queries.shape[1];
  const e = rows.values.shape[1];
  const whole = group.np === rows.pool.shape[0];
  const pool = whole ? rows.pool : tf.slice(rows.pool, [group.p0, 0], [group.np, d]);
  const peerScores = whole ? rows.peerScores : tf.slice(rows.peerScores, [group.p0], [group.np]);
  const values = whole ? rows.values : tf.slice(rows.values, [group.p0, 0], [group.np, e]);
  const queries = group.nq === rows.queries.shape[0] ? rows.queries : tf.slice(rows.queries, [group.q0, 0], [group.nq, d]);
  return { group, queries, stageQueryScores: rows.queryScores, pool, peerScores, values };
}
