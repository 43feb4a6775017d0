import * as tf from '@tensorflow/tfjs-core';
import { neighbourhoodAttention, type AttentionActivation } from '@tpfr/core';
import { timed } from '@tpfr/core/utils';
import type { StageDropout } from './dropout-seeds.js';
import type { GroupRows } from './pool-groups.js';
import { mergeTiedRows, type TiedResults } from './tied-merge.js';

/**
 * Default `valueMemoryBudgetBytes` of the layer: the gathered neighbour values (`rows·k·e`
 * floats) of one chunk of query rows may take 64 MiB.
 */
export const DEFAULT_VALUE_MEMORY_BUDGET_BYTES = 64 * 1024 * 1024;

/** Bytes of one gathered value (float32). */
const FLOAT32_BYTES = 4;

/**
 * Query rows per chunk: `⌊budget / (4·k·e)⌋`, so that a chunk's gathered values `[rows, k, e]`
 * float32 fit in `budgetBytes`; at least one row (and e counted as at least 1).
 */
export function chunkRows(budgetBytes: number, k: number, valueWidth: number): number {
  return Math.max(1, Math.floor(budgetBytes / (FLOAT32_BYTES * k * Math.max(1, valueWidth))));
}

/** What the attention in chunks reads besides the group's rows and neighbours. */
export interface AttentionChunkSettings {
  /** Neighbours per query. */
  k: number;
  /** Applied to the logits before the softmax. */
  activation: AttentionActivation;
  /** Bytes of gathered values per chunk (see {@link chunkRows}). */
  valueMemoryBudgetBytes: number;
}

/** The chunks of one pool group, in row order: outputs `[rows, e]` and weights `[rows, k]` each. */
export interface AttendedChunks {
  outputs: tf.Tensor2D[];
  weights: tf.Tensor2D[];
}

/**
 * Attends a pool group's queries to their neighbours `[nq, k]` in chunks of {@link chunkRows}
 * rows (each timed as `<label>: attention`). Chunk j takes the dropout seed of chunk
 * `firstChunk + j` (`firstChunk`: the chunks of the pools before), and the results of its tied
 * rows, if any, in place of its own.
 */
export function attendInChunks(
  label: string,
  rows: GroupRows,
  indices: tf.Tensor2D,
  tied: TiedResults | null,
  settings: AttentionChunkSettings,
  dropout: StageDropout,
  firstChunk: number,
): AttendedChunks {
  const { group } = rows;
  const { k } = settings;
  const size = chunkRows(settings.valueMemoryBudgetBytes, k, rows.values.shape[1]);
  const tiedRows = tied?.rows ?? [];
  const out: AttendedChunks = { outputs: [], weights: [] };
  // tiedRows[t0 … t1 − 1]: the tied rows that fall in the current chunk.
  let t0 = 0;
  for (let j = 0, r0 = 0; r0 < group.nq; r0 += size, j++) {
    const n = Math.min(size, group.nq - r0);
    let t1 = t0;
    while (t1 < tiedRows.length && tiedRows[t1] < r0 + n) t1++;
    const [first, last] = [t0, t1];
    const [o, wt] = timed(`${label}: attention`, () =>
      tf.tidy((): [tf.Tensor2D, tf.Tensor2D] => {
        const ui = tf.slice(rows.stageQueryScores, [group.q0 + r0], [n]);
        const ii = n === group.nq ? indices : tf.slice(indices, [r0, 0], [n, k]);
        const r = neighbourhoodAttention(ui, rows.peerScores, ii, rows.values, {
          activation: settings.activation,
          dropoutRate: dropout.rate,
          seed: dropout.seed(firstChunk + j),
        });
        if (!tied || first === last) return [r.output, r.weights];
        return mergeTiedRows([r.output, r.weights], tied, first, last, r0, n);
      }),
    );
    t0 = t1;
    out.outputs.push(o);
    out.weights.push(wt);
  }
  return out;
}
