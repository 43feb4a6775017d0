import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { assertFinite, assertInteger } from './checks.js';
import { assertPairwiseInputs, l2NormalizeRows, type Metric } from './distances.js';
import { detach } from './detach.js';
import { ValueError, formatShape } from './errors.js';
import { pickColumns } from './gather-rows.js';
import { TOPK_GROUP, topkRows } from './top-k-rows.js';
import { offsetOf, simdKernels } from './wasm-simd-module.js';

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
  /**
   * How the running top-k is kept: `'host'` scans each score tile in JS straight from backend
   * memory (wasm, cpu); `'tensor'` uses top-k ops on the device (any backend); `'auto'`
   * (default) takes `'host'` where backend memory is host memory, else `'tensor'`.
   */
  topk?: 'auto' | 'host' | 'tensor';
  /**
   * `'exactly-k'` (default): the k nearest, ties to the lower pool index. `'include'`: also
   * return {@link KnnResult.counts}, the number of pool rows whose distance is ≤ the k-th
   * smallest (the authors' neighbour set: it exceeds k where distances tie at the k-th place).
   * Identical pool rows get bitwise identical scores, so twins always tie.
   */
  ties?: 'exactly-k' | 'include';
}

/** Result of {@link knn}. */
export interface KnnResult {
  /** `[N, k]` int32: pool rows of the k nearest neighbours of each query, nearest first. */
  indices: tf.Tensor2D;
  /** `[N, k]` float32: their distances (ascending; squared Euclidean clamped at 0, or 1 − cos). */
  distances: tf.Tensor2D;
  /**
   * `[N]` int32, with `ties: 'include'` only: how many pool rows score at least as well as the
   * k-th neighbour (≥ k; above k where the k-th distance ties). `indices` still lists k of them.
   */
  counts?: tf.Tensor1D;
}

/** A pool tile transposed to `[d, tp]`, its bias `−½‖p‖²` (euclidean) and its first pool row. */
export interface PoolTile {
  t: tf.Tensor2D;
  bias: tf.Tensor1D | null;
  offset: number;
}

/** Best scores `[rows, k]` (descending), their pool indices `[rows, k]` int32 and, when asked, the tie counts `[rows]`. */
export interface RunningBest {
  scores: tf.Tensor2D;
  indices: tf.Tensor2D;
  counts?: tf.Tensor1D;
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
 * first and the score is `q·p`. Ties go to the lower pool index. The results are detached (no
 * gradient flows through them): calling knn inside `tf.grad` is fine.
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
  // Every option is checked before the pool tiles are made, so that a bad one leaks nothing.
  const withTies = resolveTies(fn, opts.ties) === 'include';
  const scan = resolveScanner(fn, opts.topk);
  if (n === 0) {
    const empty: KnnResult = { indices: tf.zeros([0, k], 'int32'), distances: tf.zeros([0, k]) };
    if (withTies) empty.counts = tf.zeros([0], 'int32');
    return empty;
  }

  const poolTiles = preparePoolTiles(pool, tp, k, metric);
  const outIdx: tf.Tensor2D[] = [];
  const outDist: tf.Tensor2D[] = [];
  const outCount: tf.Tensor1D[] = [];
  try {
    for (let i0 = 0; i0 < n; i0 += tq) {
      const rows = Math.min(tq, n - i0);
      const [idx, dist, count] = tf.tidy(() => {
        const q0 = rows === n ? queries : tf.slice(queries, [i0, 0], [rows, d]);
        const q = metric === 'cosine' ? l2NormalizeRows(q0) : q0;
        const best = runningTopK(scan, q, k, poolTiles, withTies);
        const dist = metric === 'cosine' ? tf.sub(1, best.scores) : tf.relu(tf.sub(tf.sum(tf.square(q), 1, true), tf.mul(2, best.scores)));
        return [best.indices, dist as tf.Tensor2D, best.counts] as const;
      });
      outIdx.push(idx);
      outDist.push(dist);
      if (count) outCount.push(count);
    }
    // Detached: the neighbour graph is discrete, so gradient tapes see constants.
    const cat = <T extends tf.Tensor>(xs: T[]): T => (xs.length === 1 ? xs[0] : (tf.concat(xs, 0) as T));
    const indices = cat(outIdx);
    const distances = cat(outDist);
    const result: KnnResult = { indices: detach(indices), distances: detach(distances) };
    tf.dispose([indices, distances]);
    if (withTies) {
      const counts = cat(outCount);
      result.counts = detach(counts);
      tf.dispose(counts);
    }
    tf.dispose([...outIdx, ...outDist, ...outCount]);
    return result;
  } catch (e) {
    tf.dispose([...outIdx, ...outDist, ...outCount]);
    throw e;
  } finally {
    disposePoolTiles(poolTiles);
  }
}

/** Checks the `ties` option. */
export function resolveTies(fn: string, ties: KnnOptions['ties']): 'exactly-k' | 'include' {
  const t = ties ?? 'exactly-k';
  if (t !== 'exactly-k' && t !== 'include') throw new ValueError(fn, `ties 'exactly-k' or 'include'`, String(ties));
  return t;
}

/** The host scanner for `topk` (null: tensor ops), or an error where `'host'` is asked for and not possible. */
export function resolveScanner(fn: string, topk: KnnOptions['topk']): HostView | null {
  const strategy = topk ?? 'auto';
  if (strategy !== 'auto' && strategy !== 'host' && strategy !== 'tensor')
    throw new ValueError(fn, `topk 'auto', 'host' or 'tensor'`, String(topk));
  const scan = strategy === 'tensor' ? null : hostScanner();
  if (strategy === 'host' && !scan) throw new ValueError(fn, `topk 'auto' or 'tensor' on backend '${tf.getBackend()}'`, `'host'`);
  return scan;
}

/**
 * The pool cut into tiles of `tp` rows, each transposed once to `[d, tp]` (matMul without
 * transposeB is several times faster on wasm), with its bias −½‖p‖² (euclidean) and its first
 * pool index. Dispose with {@link disposePoolTiles}.
 */
export function preparePoolTiles(pool: tf.Tensor2D, tp: number, k: number, metric: Metric): PoolTile[] {
  const [m, d] = pool.shape;
  const bounds: [number, number][] = [];
  for (let j0 = 0; j0 < m; j0 += tp) {
    const rows = Math.min(tp, m - j0);
    // A wide tile whose width is not a multiple of the top-k group is cut in two, so that the
    // fast two-level top-k applies to nearly every column.
    const rest = rows % TOPK_GROUP;
    if (rest !== 0 && rows >= 4 * k * TOPK_GROUP + rest) bounds.push([j0, rows - rest], [j0 + rows - rest, rest]);
    else bounds.push([j0, rows]);
  }
  return bounds.map(([j0, rows]) => {
    const tile = tf.tidy(() => {
      const slice = rows === m ? pool : tf.slice(pool, [j0, 0], [rows, d]);
      const p = metric === 'cosine' ? l2NormalizeRows(slice) : slice;
      const t = tf.transpose(p) as tf.Tensor2D;
      return metric === 'euclidean' ? { t, bias: tf.mul(-0.5, tf.sum(tf.square(p), 1)) as tf.Tensor1D } : { t };
    }) as { t: tf.Tensor2D; bias?: tf.Tensor1D };
    return { t: tile.t, bias: tile.bias ?? null, offset: j0 };
  });
}

/** Frees the tiles of {@link preparePoolTiles}. */
export function disposePoolTiles(tiles: PoolTile[]): void {
  tf.dispose(tiles.flatMap((x) => (x.bias ? [x.t, x.bias] : [x.t])));
}

/**
 * Scores `[rows, tp]` of a (normalised, for cosine) query tile against a pool tile: larger is
 * nearer. Each entry depends only on its query row and pool column, so identical pool rows get
 * bitwise identical scores, and the same call on the same tensors gives the same scores again.
 */
export function scorePoolTile(q: tf.Tensor2D, tile: PoolTile): tf.Tensor2D {
  return (tile.bias ? tf.fused.matMul({ a: q, b: tile.t, bias: tile.bias }) : tf.matMul(q, tile.t)) as tf.Tensor2D;
}

/** The running top-k of query tile `q` over every pool tile, with tie counts when asked. */
export function runningTopK(scan: HostView | null, q: tf.Tensor2D, k: number, tiles: PoolTile[], withTies: boolean): RunningBest {
  const scoreTile = (tile: PoolTile) => scorePoolTile(q, tile);
  if (scan && !withTies) {
    const simd = simdTopK(q.shape[0], k, tiles, scoreTile);
    if (simd) return simd;
  }
  if (scan) return scanTopK(scan, q.shape[0], k, tiles, scoreTile, withTies);
  const best = tensorTopK(k, tiles, scoreTile);
  if (!withTies) return best;
  // A second pass with the same score computations: how many pool rows score ≥ the k-th best.
  const thr = tf.slice(best.scores, [0, k - 1]); // the k-th (last) column
  let counts = tf.zeros([q.shape[0]], 'int32') as tf.Tensor1D;
  for (const tile of tiles) {
    const next = tf.tidy(
      () => tf.add(counts, tf.sum(tf.cast(tf.greaterEqual(tf.sub(scoreTile(tile), thr), 0), 'int32'), 1)) as tf.Tensor1D,
    );
    counts.dispose();
    counts = next;
  }
  thr.dispose();
  return { ...best, counts };
}

/**
 * A zero-copy view of a tensor's values on backends whose memory is host memory (wasm: the wasm
 * heap; cpu: the JS array), or null elsewhere (WebGPU, WebGL, tfjs-node), where a read-back would
 * stall the device: those use {@link tensorTopK}.
 */
export type HostView = (t: tf.Tensor) => Float32Array;
function hostScanner(): HostView | null {
  const name = tf.getBackend();
  if (name === 'wasm') {
    const b = tf.backend() as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
    return (t) => b.typedArrayFromHeap(t);
  }
  if (name === 'cpu') return (t) => t.dataSync() as Float32Array;
  return null;
}

/**
 * Running top-k over the score tiles in plain JS, straight from the tile's memory: one compare
 * per score, an insertion for the rare one that beats the current k-th best. Tiles and columns
 * come in pool order and only a strictly larger score is inserted ahead, so ties keep the lower
 * pool index. About 4× faster than wasm's TopK kernel, whose cost is dominated by each row.
 */
function scanTopK(
  view: HostView,
  rows: number,
  k: number,
  tiles: PoolTile[],
  scoreTile: (t: PoolTile) => tf.Tensor2D,
  withTies: boolean,
): RunningBest {
  const bestS = new Float32Array(rows * k).fill(-Infinity);
  const bestI = new Int32Array(rows * k);
  // Per row: scored entries outside the kept k that equal the k-th best score.
  const extra = withTies ? new Int32Array(rows) : null;
  for (const tile of tiles) {
    const scores = scoreTile(tile);
    const v = view(scores);
    const w = tile.t.shape[1];
    for (let r = 0; r < rows; r++) {
      const base = r * k;
      let thr = bestS[base + k - 1];
      const row = r * w;
      for (let c = 0; c < w; c++) {
        const x = v[row + c];
        if (x > thr) {
          if (extra) {
            // The old k-th best leaves the list. The new k-th is min(old (k−1)-th, x) > it unless
            // the old (k−1)-th equals it: then it and the earlier extras still tie at the k-th place.
            extra[r] = thr !== -Infinity && k > 1 && bestS[base + k - 2] === thr ? extra[r] + 1 : 0;
          }
          let j = base + k - 1;
          while (j > base && bestS[j - 1] < x) {
            bestS[j] = bestS[j - 1];
            bestI[j] = bestI[j - 1];
            j--;
          }
          bestS[j] = x;
          bestI[j] = tile.offset + c;
          thr = bestS[base + k - 1];
        } else if (extra && x === thr && thr !== -Infinity) {
          extra[r]++;
        }
      }
    }
    scores.dispose();
  }
  const best: RunningBest = { scores: tf.tensor2d(bestS, [rows, k]), indices: tf.tensor2d(bestI, [rows, k], 'int32') };
  if (extra)
    best.counts = tf.tensor1d(
      extra.map((e) => e + k),
      'int32',
    );
  return best;
}

/**
 * {@link scanTopK}'s running top-k (no tie counts) by our SIMD kernel on wasm: four scores compared
 * with the k-th best at once, the rare one that beats it inserted the same way (the same result,
 * bit for bit); null where the kernels are unavailable.
 */
function simdTopK(rows: number, k: number, tiles: PoolTile[], scoreTile: (t: PoolTile) => tf.Tensor2D): RunningBest | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as BackendWasm;
  const ex = simdKernels(backend);
  if (!ex) return null;
  // The running best in the backend's memory: scores [rows, k] (−∞ to start) and their columns.
  const best = backend.makeOutput([rows, k], 'float32');
  const ids = backend.makeOutput([rows, k], 'int32');
  try {
    (backend.typedArrayFromHeap(best) as Float32Array).fill(Number.NEGATIVE_INFINITY);
    // Rows that no score beats (NaN scores, from NaN inputs) keep column 0, as the JS scan's do.
    (backend.typedArrayFromHeap(ids) as Int32Array).fill(0);
    for (const tile of tiles) {
      const scores = scoreTile(tile);
      try {
        ex.topk_scan(offsetOf(backend, scores), rows, tile.t.shape[1], k, offsetOf(backend, best), offsetOf(backend, ids), tile.offset);
      } finally {
        scores.dispose();
      }
    }
    return {
      scores: tf.tensor2d((backend.typedArrayFromHeap(best) as Float32Array).slice(), [rows, k]),
      indices: tf.tensor2d((backend.typedArrayFromHeap(ids) as Int32Array).slice(), [rows, k], 'int32'),
    };
  } finally {
    backend.disposeData(best.dataId);
    backend.disposeData(ids.dataId);
  }
}

/** Running top-k with tensor ops only, for accelerators: a top-k per tile merged with the best so far. */
function tensorTopK(k: number, tiles: PoolTile[], scoreTile: (t: PoolTile) => tf.Tensor2D): RunningBest {
  let best: RunningBest | null = null;
  for (const tile of tiles) {
    const top = topkRows(scoreTile(tile), Math.min(k, tile.t.shape[1]));
    const idx = tile.offset === 0 ? top.indices : (tf.add(top.indices, tf.scalar(tile.offset, 'int32')) as tf.Tensor2D);
    if (best === null) {
      best = { scores: top.values, indices: idx };
    } else {
      // The running best come first, so on equal scores top-k keeps the lower pool index.
      const candScore: tf.Tensor2D = tf.concat([best.scores, top.values], 1);
      const candIdx: tf.Tensor2D = tf.concat([best.indices, idx], 1);
      const merged = tf.topk(candScore, Math.min(k, candScore.shape[1]), true);
      best = { scores: merged.values as tf.Tensor2D, indices: pickColumns(candIdx, merged.indices as tf.Tensor2D) };
    }
  }
  return best!;
}
