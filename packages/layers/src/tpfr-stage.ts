import * as tf from '@tensorflow/tfjs-core';
import { timed } from '@tpfr/core/utils';
import { attendInChunks, type AttentionChunkSettings } from './attention-chunks.js';
import { stageDropout } from './dropout-seeds.js';
import { replayNeighbours, searchNeighbours, type NeighbourSearchOptions } from './neighbour-search.js';
import {
  applyAttentionTransform,
  attentionScore,
  type AttentionTransformOptions,
  type AttentionTransformWeights,
} from './peer-attention-transform.js';
import { groupRows, type PoolGroup } from './pool-groups.js';
import { keepNearPrevious } from './sticky-neighbours.js';
import { attendTiedRows, type TiedAttentionSettings } from './tied-merge.js';

/** A stage's name in timings: `'stage 1'` or `'stage 2'`. */
export type StageLabel = `stage ${1 | 2}`;

/** One stage of a call, built once per call: which stage, its scorer, what it searches and recombines. */
export interface TpfrStage {
  /** 1: style recombined on a graph of the content; 2: content recombined on a graph of the new style. */
  readonly index: 1 | 2;
  /** `'stage 1'` or `'stage 2'`: the prefix of its timed parts (`'stage 1: neighbour search'`, ...). */
  readonly label: StageLabel;
  /** The stage's scorer: the layer's `contentAttention` (stage 1) or `styleAttention` (stage 2). */
  readonly weights: AttentionTransformWeights;
  /** `[M, d]` the peer rows searched: peer content (stage 1) or peer style (stage 2). */
  readonly pool: tf.Tensor2D;
  /** `[M, e]` the peer rows recombined: peer style (stage 1) or peer content (stage 2). */
  readonly values: tf.Tensor2D;
  /** `[N, k]` int32: a replayed neighbour graph (rows of each group's pool), or undefined to search. */
  readonly replayed?: tf.Tensor2D;
  /** Last frame's neighbours `[N, k]` (rows of each group's pool) to keep while near, and the margin; or undefined. */
  readonly hysteresis?: { previous: tf.Tensor2D; margin: number };
}

/** Builds stage `index` (its label follows from it). */
export function tpfrStage(stage: Omit<TpfrStage, 'label'>): TpfrStage {
  return { ...stage, label: `stage ${stage.index}` };
}

/** The options of a call that both stages share: the layer's settings and the call's. */
export interface StageOptions extends NeighbourSearchOptions, TiedAttentionSettings, AttentionChunkSettings {
  /** The query and peer rows of each pool. */
  groups: PoolGroup[];
  /** The transforms' BatchNorm: batch statistics in training (the moving ones updated), epsilon, momentum. */
  transform: AttentionTransformOptions;
  /** Dropout rate on the logits: the layer's in training, else 0. */
  dropoutRate: number;
  /** The layer's dropout seed (each stage and chunk derives its own), or null for unseeded dropout. */
  dropoutSeed: number | null;
}

/** Result of one stage over pixel rows. */
export interface StageResult {
  /** `[N, e]` the recombined values. */
  output: tf.Tensor2D;
  /** `[N, k]` int32: the neighbours, rows of each query's pool. */
  indices: tf.Tensor2D;
  /** `[N, k]` their attention weights. */
  weights: tf.Tensor2D;
}

/** The scores u `[N]` of the queries and v `[M]` of the pool, from the stage's transform (timed as `<label>: attention transforms`). */
function attentionScores(stage: TpfrStage, queries: tf.Tensor2D, transform: AttentionTransformOptions): [tf.Tensor1D, tf.Tensor1D] {
  const w = stage.weights;
  return timed(`${stage.label}: attention transforms`, () => [
    attentionScore(applyAttentionTransform(queries, w, transform), w.queryKernel, w.queryBias),
    attentionScore(applyAttentionTransform(stage.pool, w, transform), w.peerKernel, w.peerBias),
  ]);
}

/**
 * One stage over pixel rows, for its queries `[N, d]`: the attention transforms, then per pool
 * group the neighbours (searched, or replayed), the tied rows' results (the 'include' tie rule)
 * and the attention in chunks of query rows, each chunk with its own dropout seed. Run it inside
 * a `tf.tidy` (the layer's call): it frees some intermediates early, and leaves the others (the
 * scores, the pool slices) to that scope.
 */
export function runStage(stage: TpfrStage, queries: tf.Tensor2D, options: StageOptions): StageResult {
  const [queryScores, peerScores] = attentionScores(stage, queries, options.transform);
  const dropout = stageDropout(stage.index, options.dropoutRate, options.dropoutSeed);
  const outputs: tf.Tensor2D[] = [];
  const indices: tf.Tensor2D[] = [];
  const weights: tf.Tensor2D[] = [];
  for (const group of options.groups) {
    const rows = groupRows(group, { queries, queryScores, pool: stage.pool, peerScores, values: stage.values });
    let found = stage.replayed ? replayNeighbours(rows, stage.replayed, options.k) : searchNeighbours(stage.label, rows, options);
    if (stage.hysteresis) {
      const previous = replayNeighbours(rows, stage.hysteresis.previous, options.k).indices;
      found = keepNearPrevious(stage.label, rows, found, { previous, margin: stage.hysteresis.margin }, options.metric);
    }
    indices.push(found.indices);
    // Chunks are counted over the pools: the seeds of this pool's chunks start after the others'.
    const firstChunk = outputs.length;
    const tied = attendTiedRows(rows, found, options, dropout, firstChunk);
    const attended = attendInChunks(stage.label, rows, found.indices, tied, options, dropout, firstChunk);
    outputs.push(...attended.outputs);
    weights.push(...attended.weights);
    // Early frees of this pool's intermediates (call's tf.tidy frees them anyway): only the peak memory differs.
    if (tied) tf.dispose([tied.output, tied.weights]);
    if (found.folded) tf.dispose([found.folded.queries, found.folded.pool]);
  }
  const cat = (xs: tf.Tensor2D[]) => (xs.length === 1 ? xs[0] : tf.concat(xs, 0));
  return { output: cat(outputs), indices: cat(indices), weights: cat(weights) };
}
