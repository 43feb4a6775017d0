import * as tf from '@tensorflow/tfjs-core';
import { applyAttentionActivation, type AttentionActivation } from './attention.js';
import { assertRank } from './checks.js';
import { detach } from './detach.js';
import { assertPairwiseInputs, l2NormalizeRows, type Metric } from './distances.js';
import { ShapeError, ValueError, formatShape } from './errors.js';
import { gatherRows } from './gather-rows.js';
import {
  DEFAULT_KNN_MEMORY_BUDGET,
  disposePoolTiles,
  knnTileSizes,
  preparePoolTiles,
  resolveScanner,
  runningTopK,
  scorePoolTile,
  type KnnOptions,
  type RunningBest,
} from './knn.js';

/** Options of {@link tiedNeighbourhoodAttention}. */
export interface TiedAttentionOptions extends Pick<KnnOptions, 'metric' | 'memoryBudgetBytes' | 'queryTileSize' | 'poolTileSize' | 'topk'> {
  /** Applied to the logits before the softmax (default `'softplus'`). */
  activation?: AttentionActivation;
  /** Dropout rate on the logits, for training (default 0). */
  dropoutRate?: number;
  /** Seed of the dropout masks (each pool tile derives its own). */
  seed?: number;
}

/** Result of {@link tiedNeighbourhoodAttention}. */
export interface TiedAttentionResult {
  /** `[N, c]`: the attention-weighted sum of the values of every neighbour, ties included. */
  output: tf.Tensor2D;
  /** `[N, k]` int32: the k nearest pool rows (ties to the lower index), as {@link knn}. */
  indices: tf.Tensor2D;
  /** `[N, k]`: the weights of those k rows (they sum to less than 1 where more rows tie). */
  weights: tf.Tensor2D;
  /** `[N]` int32: the size of each neighbour set (≥ k). */
  counts: tf.Tensor1D;
}

/**
 * Neighbourhood attention over the authors' neighbour set: for query i, every pool row j whose
 * distance is ≤ the k-th smallest (so more than k rows where distances tie at the k-th place),
 *
 *   α[i, j] = softmax_j act(u[i] + v[j]) over that set,   out[i] = Σ_j α[i, j] · values[j].
 *
 * Exact for any number of ties: each query tile is searched (running top-k), then the pool is
 * streamed once more, tile by tile, with the same score computations (bitwise the same scores),
 * keeping the rows that score at least as well as the k-th and accumulating a numerically stable
 * online softmax. Memory O(N·(k + c)) plus one score tile, never O(N·M). Differentiable in `u`,
 * `v` and `values`; the neighbour sets are constants.
 *
 * @param queries `[N, d]` the search features of the queries.
 * @param pool `[M, d]` the search features of the pool.
 * @param k neighbours before ties, `1 ≤ k ≤ M`.
 * @param u `[N]` query scores. @param v `[M]` pool scores. @param values `[M, c]` pool values.
 */
export function tiedNeighbourhoodAttention(
  queries: tf.Tensor2D,
  pool: tf.Tensor2D,
  k: number,
  u: tf.Tensor1D,
  v: tf.Tensor1D,
  values: tf.Tensor2D,
  opts: TiedAttentionOptions = {},
): TiedAttentionResult {
  const fn = 'tiedNeighbourhoodAttention';
  assertPairwiseInputs(fn, queries, pool);
  assertRank(fn, 'u', u, 1, '[N]');
  assertRank(fn, 'v', v, 1, '[M]');
  assertRank(fn, 'values', values, 2, '[M, c]');
  const [n, d] = queries.shape;
  const [m, c] = [pool.shape[0], values.shape[1]];
  if (u.shape[0] !== n) throw new ShapeError(fn, `u [N] with N = ${n} (rows of queries)`, `shape ${formatShape(u.shape)}`);
  if (v.shape[0] !== m || values.shape[0] !== m)
    throw new ShapeError(
      fn,
      `v [M] and values [M, c] with M = ${m} (rows of pool)`,
      `${formatShape(v.shape)} and ${formatShape(values.shape)}`,
    );
  if (!Number.isInteger(k) || k < 1 || k > m) throw new ValueError(fn, `k to be an integer in [1, M = ${m}]`, String(k));
  const rate = opts.dropoutRate ?? 0;
  if (!(rate >= 0 && rate < 1)) throw new ValueError(fn, 'dropoutRate in [0, 1)', String(rate));
  const metric: Metric = opts.metric ?? 'euclidean';
  const activation = opts.activation ?? 'softplus';
  const scan = resolveScanner(fn, opts.topk);
  // The value products make a second tile of [tq, c]: budget the score tile and it alike.
  const auto = knnTileSizes(n, m, opts.memoryBudgetBytes ?? DEFAULT_KNN_MEMORY_BUDGET);
  const tq = opts.queryTileSize ?? auto.queryTile;
  const tiles = preparePoolTiles(pool, opts.poolTileSize ?? auto.poolTile, k, metric);
  const outs: TiedAttentionResult[] = [];
  try {
    for (let i0 = 0; i0 < n; i0 += tq) {
      const rows = Math.min(tq, n - i0);
      outs.push(queryTile(i0, rows));
    }
  } catch (e) {
    tf.dispose(outs.flatMap((o) => [o.output, o.indices, o.weights, o.counts]));
    throw e;
  } finally {
    disposePoolTiles(tiles);
  }
  if (outs.length === 1) return outs[0];
  const cat = <T extends tf.Tensor>(key: keyof TiedAttentionResult): T =>
    tf.concat(
      outs.map((o) => o[key]),
      0,
    ) as T;
  const result = {
    output: cat<tf.Tensor2D>('output'),
    indices: cat<tf.Tensor2D>('indices'),
    weights: cat<tf.Tensor2D>('weights'),
    counts: cat<tf.Tensor1D>('counts'),
  };
  tf.dispose(outs.flatMap((o) => [o.output, o.indices, o.weights, o.counts]));
  return result;

  function queryTile(i0: number, rows: number): TiedAttentionResult {
    // What the tile holds, freed in `finally` wherever it throws (a user activation may).
    const held: tf.Tensor[] = [];
    // Running state of the online softmax: max (a constant for the tape), sum, weighted values.
    let run: { mx: tf.Tensor2D; sum: tf.Tensor2D; acc: tf.Tensor2D } | null = null;
    try {
      const q = tf.tidy(() => {
        const q0 = rows === n ? queries : tf.slice(queries, [i0, 0], [rows, d]);
        return metric === 'cosine' ? l2NormalizeRows(q0) : tf.clone(q0);
      });
      held.push(q);
      const best = tf.tidy(() => runningTopK(scan, q, k, tiles, true) as unknown as tf.TensorContainer) as unknown as RunningBest;
      held.push(best.scores, best.indices, best.counts!);
      const ui = tf.tidy(() => tf.reshape(tf.slice(u, [i0], [rows]), [rows, 1]));
      held.push(ui);
      const thr = tf.slice(best.scores, [0, k - 1]); // the k-th (last) column
      held.push(thr);
      // The max starts at the nearest neighbour's logit, which is always in the set.
      run = {
        mx: tf.tidy(() =>
          detach(
            applyAttentionActivation(
              tf.add(
                ui,
                gatherRows(
                  tf.reshape(v, [m, 1]) as tf.Tensor2D,
                  tf.reshape(tf.slice(best.indices, [0, 0], [rows, 1]), [rows]) as tf.Tensor1D,
                ),
              ) as tf.Tensor2D,
              activation,
            ),
          ),
        ),
        sum: tf.zeros([rows, 1]) as tf.Tensor2D,
        acc: tf.zeros([rows, c]) as tf.Tensor2D,
      };
      tiles.forEach((tile, t) => {
        const { mx, sum, acc } = run!;
        const w = tile.t.shape[1];
        const next = tf.tidy(() => {
          // s ≥ thr as (s − thr) ≥ 0: exact for finite scores, and far faster than a broadcast compare on wasm.
          const inSet = detach(tf.greaterEqual(tf.sub(scorePoolTile(q, tile), thr), 0));
          let logits = tf.add(ui, tf.reshape(tf.slice(v, [tile.offset], [w]), [1, w])) as tf.Tensor2D;
          if (rate > 0)
            logits = tf.dropout(
              logits,
              rate,
              undefined,
              opts.seed == null ? undefined : opts.seed + 7907 * t + 15485863 * i0,
            ) as tf.Tensor2D;
          const act = applyAttentionActivation(logits, activation);
          const masked = tf.where(inSet, act, tf.fill([rows, w], -Infinity)) as tf.Tensor2D;
          const mNew = detach(tf.maximum(mx, tf.max(masked, 1, true)));
          const scale = tf.exp(tf.sub(mx, mNew));
          const p = tf.exp(tf.sub(masked, mNew)) as tf.Tensor2D;
          const vals = tf.slice(values, [tile.offset, 0], [w, c]);
          return {
            mx: mNew as tf.Tensor2D,
            sum: tf.add(tf.mul(sum, scale), tf.sum(p, 1, true)) as tf.Tensor2D,
            acc: tf.add(tf.mul(acc, scale), tf.matMul(p, vals)) as tf.Tensor2D,
          };
        });
        tf.dispose([mx, sum, acc]);
        run = next;
      });
      const { mx, sum, acc } = run;
      return tf.tidy(() => {
        const flat = tf.reshape(best.indices, [-1]) as tf.Tensor1D;
        const vTop = tf.reshape(gatherRows(tf.reshape(v, [m, 1]) as tf.Tensor2D, flat), [rows, k]);
        const weights = tf.div(
          tf.exp(tf.sub(applyAttentionActivation(tf.add(ui, vTop) as tf.Tensor2D, activation), mx)),
          sum,
        ) as tf.Tensor2D;
        return { output: tf.div(acc, sum) as tf.Tensor2D, indices: detach(best.indices), weights, counts: detach(best.counts!) };
      });
    } finally {
      tf.dispose(run ? [...held, run.mx, run.sum, run.acc] : held);
    }
  }
}
