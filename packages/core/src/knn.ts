import * as tf from '@tensorflow/tfjs-core';
import { assertFinite, assertInteger } from './checks.js';
import { assertPairwiseInputs, l2NormalizeRows, type Metric } from './distances.js';
import { ValueError, formatShape } from './errors.js';

/** Options of {@link knn}. */
export interface KnnOptions {
  /** Distance: squared Euclidean (default) or cosine (`1 − cos`). */
  metric?: Metric;
  /**
   * Bytes the score tiles may take at once (default 64 MiB). The tile sizes follow from it:
   * the whole pool per tile when that leaves room for at least 64 query rows, else square-ish
   * tiles. Extra memory is O(N·k + one tile), never O(N·M).
   */
  memoryBudgetBytes?: number;
  /** Rows of queries per tile; overrides the budget (useful in tests). */
  queryTileSize?: number;
  /** Rows of the pool per tile; overrides the budget (useful in tests). */
  poolTileSize?: number;
  /** Reject NaN or infinite inputs (default true; costs one read-back per input). */
  checkFinite?: boolean;
}

/** Result of {@link knn}. */
export interface KnnResult {
  /** `[N, k]` int32: pool rows of the k nearest neighbours of each query, nearest first. */
  indices: tf.Tensor2D;
  /** `[N, k]` float32: their distances (ascending; squared Euclidean clamped at 0, or 1 − cos). */
  distances: tf.Tensor2D;
}

/** Default score-tile budget of {@link knn}: 64 MiB. */
export const DEFAULT_KNN_MEMORY_BUDGET = 64 * 1024 * 1024;

/** Tile sizes that {@link knn} uses for `n` queries and `m` pool rows under `budgetBytes`. */
export function knnTileSizes(n: number, m: number, budgetBytes = DEFAULT_KNN_MEMORY_BUDGET): { queryTile: number; poolTile: number } {
  // The score tile and the backend's top-k scratch: two float32 buffers of tq × tp.
  const elems = Math.max(1, Math.floor(budgetBytes / 8));
  if (m * Math.min(n, 64) <= elems) {
    return { queryTile: Math.max(1, Math.min(n, Math.floor(elems / m))), poolTile: m };
  }
  const side = Math.max(1, Math.floor(Math.sqrt(elems)));
  const queryTile = Math.max(1, Math.min(n, side));
  return { queryTile, poolTile: Math.max(1, Math.min(m, Math.floor(elems / queryTile))) };
}

/**
 * Exact k nearest neighbours of every query row in the pool, streamed: the pool is scored tile
 * by tile against a tile of queries, and a running top-k is kept, so the N×M distance matrix
 * is never built. Results are exact and do not depend on the tiling.
 *
 * Scores are `q·p − ½‖p‖²` (one fused matMul with a bias per tile), which orders the pool as
 * the squared Euclidean distance `‖q‖² − 2·q·p + ‖p‖²` does; for `cosine`, rows are L2-normalised
 * first and the score is `q·p`. Ties go to the lower pool index.
 *
 * @param queries `[N, d]`
 * @param pool `[M, d]`
 * @param k neighbours per query, `1 ≤ k ≤ M`.
 * @returns `indices [N, k]` int32 and `distances [N, k]`, ascending.
 * @throws ShapeError for wrong ranks or widths; ValueError for a bad k or non-finite inputs.
 */
export function knn(queries: tf.Tensor2D, pool: tf.Tensor2D, k: number, opts: KnnOptions = {}): KnnResult {
  const fn = 'knn';
  assertPairwiseInputs(fn, queries, pool);
  const [n, d] = queries.shape;
  const m = pool.shape[0];
  if (!Number.isInteger(k) || k < 1 || k > m) {
    throw new ValueError(fn, `k to be an integer in [1, M = ${m}] for pool ${formatShape(pool.shape)}`, String(k));
  }
  const metric = opts.metric ?? 'euclidean';
  if (metric !== 'euclidean' && metric !== 'cosine') {
    throw new ValueError(fn, `metric 'euclidean' or 'cosine'`, String(metric));
  }
  if (opts.checkFinite !== false) {
    assertFinite(fn, 'queries', queries);
    assertFinite(fn, 'pool', pool);
  }
  const auto = knnTileSizes(n, m, opts.memoryBudgetBytes ?? DEFAULT_KNN_MEMORY_BUDGET);
  const tq = opts.queryTileSize ?? auto.queryTile;
  const tp = opts.poolTileSize ?? auto.poolTile;
  assertInteger(fn, 'queryTileSize', tq, 1);
  assertInteger(fn, 'poolTileSize', tp, 1);
  if (n === 0) {
    return { indices: tf.zeros([0, k], 'int32'), distances: tf.zeros([0, k]) };
  }

  // Pool tiles, transposed once to [d, tp] (matMul without transposeB is several times faster on
  // wasm), with their bias −½‖p‖² (euclidean) and their first pool index.
  interface PoolTile { t: tf.Tensor2D; bias: tf.Tensor1D | null; offset: number }
  const poolTiles: PoolTile[] = [];
  for (let j0 = 0; j0 < m; j0 += tp) {
    const rows = Math.min(tp, m - j0);
    const [t, bias] = tf.tidy(() => {
      const slice = rows === m ? pool : tf.slice(pool, [j0, 0], [rows, d]);
      const p = metric === 'cosine' ? l2NormalizeRows(slice) : slice;
      const b = metric === 'euclidean' ? (tf.mul(-0.5, tf.sum(tf.square(p), 1)) as tf.Tensor1D) : tf.zeros([0]);
      return [tf.transpose(p) as tf.Tensor2D, b];
    });
    poolTiles.push({ t: t as tf.Tensor2D, bias: metric === 'euclidean' ? (bias as tf.Tensor1D) : (bias.dispose(), null), offset: j0 });
  }

  const outIdx: tf.Tensor2D[] = [];
  const outDist: tf.Tensor2D[] = [];
  try {
    for (let i0 = 0; i0 < n; i0 += tq) {
      const rows = Math.min(tq, n - i0);
      const [idx, dist] = tf.tidy(() => {
        const q0 = rows === n ? queries : tf.slice(queries, [i0, 0], [rows, d]);
        const q = metric === 'cosine' ? l2NormalizeRows(q0) : q0;
        let bestScore: tf.Tensor2D | null = null;
        let bestIdx: tf.Tensor2D | null = null;
        for (const tile of poolTiles) {
          const scores = tile.bias
            ? tf.fused.matMul({ a: q, b: tile.t, bias: tile.bias })
            : tf.matMul(q, tile.t);
          const kk = Math.min(k, tile.t.shape[1]);
          const top = tf.topk(scores, kk, true);
          const topIdx = tile.offset === 0 ? top.indices : tf.add(top.indices, tf.scalar(tile.offset, 'int32'));
          if (bestScore === null || bestIdx === null) {
            bestScore = top.values as tf.Tensor2D;
            bestIdx = topIdx as tf.Tensor2D;
          } else {
            // Merge: the running best come first, so on equal scores top-k keeps the lower index.
            const candScore = tf.concat([bestScore, top.values], 1);
            const candIdx = tf.concat([bestIdx, topIdx], 1);
            const merged = tf.topk(candScore, Math.min(k, candScore.shape[1] as number), true);
            bestScore = merged.values as tf.Tensor2D;
            // Row-wise pick from candIdx as a flat gather: wasm 4.22's gather with batchDims = 1
            // returns garbage for some shapes.
            const width = candIdx.shape[1] as number;
            const rowStart = tf.reshape(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(width, 'int32')), [rows, 1]);
            const flatIdx: tf.Tensor1D = tf.reshape(candIdx, [-1]);
            bestIdx = tf.gather(flatIdx, tf.add(merged.indices, rowStart)) as tf.Tensor as tf.Tensor2D;
          }
        }
        let dist: tf.Tensor2D;
        if (metric === 'cosine') {
          dist = tf.sub(1, bestScore!) as tf.Tensor2D;
        } else {
          const qq = tf.sum(tf.square(q), 1, true);
          dist = tf.relu(tf.sub(qq, tf.mul(2, bestScore!))) as tf.Tensor2D;
        }
        return [bestIdx!, dist] as const;
      });
      outIdx.push(idx);
      outDist.push(dist);
    }
    if (outIdx.length === 1) return { indices: outIdx[0], distances: outDist[0] };
    const result = { indices: tf.concat(outIdx, 0), distances: tf.concat(outDist, 0) };
    tf.dispose([...outIdx, ...outDist]);
    return result;
  } catch (e) {
    tf.dispose([...outIdx, ...outDist]);
    throw e;
  } finally {
    tf.dispose(poolTiles.flatMap((x) => (x.bias ? [x.t, x.bias] : [x.t])));
  }
}
