import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DEFAULT_KNN_MEMORY_BUDGET, ShapeError, ValueError, type Metric } from '@tpfr/core';
import { canReadSync } from '@tpfr/core/internal';
import { formatShape, type PeerPooling } from '@tpfr/core/utils';
import { DEFAULT_VALUE_MEMORY_BUDGET_BYTES } from './attention-chunks.js';
import type { Kwargs, LayerArgs } from './layer-types.js';
import { createAttentionTransformWeights, type AttentionTransformWeights, type WeightFactory } from './peer-attention-transform.js';
import { poolGroups } from './pool-groups.js';
import { registerLayer } from './register.js';
import { runStage, tpfrStage, type StageOptions } from './tpfr-stage.js';
import type { stackPeers } from './peers.js';

/** Which stages run: both (method §5), or stage 1 only (PeerNets' one-stage variant). */
export type TpfrStages = 'two-stage' | 'style-only';

/** Activation of the logits before the k-way softmax. */
export type TpfrActivation = 'softplus' | 'relu' | 'elu' | 'linear';

/** Arguments of {@link PeerRecombination}. */
export interface PeerRecombinationArgs extends LayerArgs {
  /** Neighbours per query pixel (default 5, as the paper). */
  k?: number;
  /** Distance of the kNN graphs: squared Euclidean (default, as the authors) or cosine. */
  metric?: Metric;
  /**
   * The neighbour set where distances tie at the k-th place. `'exactly-k'` (default): the k
   * nearest, ties to the lower peer index. `'include'`: every peer whose distance is ≤ the k-th
   * smallest, as the authors' layer (their mask keeps `dist ≤ topk[k−1]`): exact for any number
   * of ties (the tied queries are streamed over the pool once more), memory still O(N·k + one
   * tile). Identical peers always tie. With `returnAttention`, the k listed neighbours' weights
   * then sum to less than 1 on the tied queries. On WebGPU, which cannot read back which queries
   * tie (a synchronous read), `'include'` takes the k nearest as `'exactly-k'` does: the results
   * differ only where a distance ties exactly at the k-th place.
   */
  ties?: 'exactly-k' | 'include';
  /**
   * `'two-stage'` (default): style recombined on a content graph, then content recombined on a
   * graph of the new style; outputs `[C_out, S_out]`. `'style-only'`: stage 1 only, outputs
   * `[C_in, S_out]` (the one-stage PeerNets layer, the authors' `PeerRegularizationLayerAtt`).
   */
  stages?: TpfrStages;
  /** Widths `[n1, n2]` of stage 1's transform (input width Cc); default `[Cc/2, Cc/4]`. */
  contentTransformUnits?: [number, number];
  /** Widths `[n1, n2]` of stage 2's transform (input width Cs); default `[Cs/2, Cs/4]`. */
  styleTransformUnits?: [number, number];
  /** Applied to `u_i + v_j` before the softmax over the k neighbours (default `'softplus'`). */
  activation?: TpfrActivation;
  /** Dropout rate on the logits, in training only (default 0.2). */
  attentionDropout?: number;
  /** Score-tile budget of the kNN in bytes (default {@link DEFAULT_KNN_MEMORY_BUDGET}, 64 MiB). */
  knnMemoryBudgetBytes?: number;
  /**
   * Bytes that the gathered neighbour values (`rows·k·c` floats) may take at once; queries are
   * processed in chunks of rows to stay within it (default 64 MiB).
   */
  valueMemoryBudgetBytes?: number;
  /**
   * `'per-sample'` (default): sample b attends only to its own P exemplars (peers `[b, 0…P−1]`).
   * `'shared'`: one pool of every peer pixel of the whole batch (B·P exemplars), as the authors'
   * code does. The batch is the one the layer is called on: in `predict`, `evaluate` and `fit`,
   * each batch of `batchSize` samples, so pass a `batchSize` ≥ B to pool over all of them.
   */
  peerPooling?: PeerPooling;
  /**
   * Also output, per stage, the neighbour indices `[B, H, W, k]` (int32, rows of the sample's
   * pool, or of the whole pool when shared; pool rows run over exemplars, then pixels) and the
   * attention weights `[B, H, W, k]`.
   */
  returnAttention?: boolean;
  /** BatchNorm epsilon of the transforms (default 1e-5, as PyTorch). */
  batchNormEpsilon?: number;
  /** BatchNorm moving-average momentum, tfjs convention (default 0.9 = PyTorch's 0.1). */
  batchNormMomentum?: number;
}

/**
 * Per-call options of {@link PeerRecombination} (`layer.apply(inputs, args)`, eager or symbolic):
 * they override the configuration for this call only, without copying weights. tfjs-layers
 * passes them to `call` as its `Kwargs`.
 */
export interface PeerRecombinationCallArgs {
  /** Neighbours per query pixel for this call (default: the layer's `k`); an integer ≥ 1. */
  k?: number;
  /**
   * Stages for this call (default: the layer's `stages`): a two-stage layer may run
   * `'style-only'`; a layer built `'style-only'` has no stage-2 weights and rejects `'two-stage'`.
   */
  stages?: TpfrStages;
  /**
   * Training mode (default false): batch statistics in the transforms' BatchNorm (the moving ones
   * are updated) and attention dropout. `fit` sets it; `predict` and `evaluate` do not.
   */
  training?: boolean;
  /**
   * A neighbour graph to replay instead of searching (eager calls only): per stage, the indices
   * `[B, H, W, k]` int32 as `returnAttention` outputs them (rows of the sample's pool, or of the
   * whole pool when shared), or `null` for a stage that searches. Its k sets this call's k. The
   * attention, values and outputs are computed as usual on them, so a graph found on one backend
   * can be rendered on another; near-ties of distances (within float rounding) can otherwise pick
   * different neighbours on different backends.
   */
  neighbours?: [tf.Tensor | null, (tf.Tensor | null)?];
  /**
   * Hysteresis on the neighbour sets, for frames of a video (eager calls only): per stage, last
   * frame's neighbours `[B, H, W, k]` int32 as `returnAttention` outputs them, or `null` for a
   * stage without. Each query keeps those whose distance is within `(1 + margin)` times its new
   * k-th distance (default margin 0.05) and new nearest ones fill its set: exactly k neighbours,
   * no tie rule. Not with `neighbours`.
   */
  hysteresis?: { previous: [tf.Tensor | null, (tf.Tensor | null)?]; margin?: number };
  /** Output the neighbour indices and weights per stage for this call (eager calls only; default: the layer's `returnAttention`). */
  returnAttention?: boolean;
}

/** The default margin of the call argument `hysteresis`: a previous neighbour stays while within 5 % of the new k-th distance. */
export const DEFAULT_HYSTERESIS_MARGIN = 0.05;

/** The four inputs' names, as errors write them. */
const INPUT_NAMES = ['content [B, H, W, Cc]', 'style [B, H, W, Cs]', 'peer content [B, P, h, w, Cc]', 'peer style [B, P, h, w, Cs]'];
const INPUT_RANKS = [4, 4, 5, 5];

/**
 * A neighbour-graph call argument (`neighbours`, or `hysteresis.previous`, named `what`) checked
 * and flattened: per stage `[B·H·W, k]` int32 or undefined, one k for both stages, indices in the
 * pool of `poolSize` rows (checked where a synchronous read is possible: a gather past the pool's
 * end would read garbage on a GPU).
 */
function graphArgument(
  fn: string,
  what: string,
  given: PeerRecombinationCallArgs['neighbours'],
  b: number,
  h: number,
  w: number,
  stages: TpfrStages,
  poolSize: number,
): [tf.Tensor2D | undefined, tf.Tensor2D | undefined] {
  if (given === undefined) return [undefined, undefined];
  if (!Array.isArray(given) || given.length < 1 || given.length > 2)
    throw new ValueError(fn, `call argument ${what} [stage1, stage2?] (tensors or null)`, String(given));
  const graph = [0, 1].map((s) => {
    const t = given[s];
    if (t == null || (s === 1 && stages === 'style-only')) return undefined;
    if (!(t instanceof tf.Tensor) || t.dtype !== 'int32' || t.rank !== 4 || t.shape[0] !== b || t.shape[1] !== h || t.shape[2] !== w) {
      throw new ShapeError(
        fn,
        `${what} of stage ${s + 1} as [${b}, ${h}, ${w}, k] int32`,
        t instanceof tf.Tensor ? `${t.dtype} ${formatShape(t.shape)}` : String(t),
      );
    }
    return tf.reshape(t, [b * h * w, t.shape[3]!]) as tf.Tensor2D;
  }) as [tf.Tensor2D | undefined, tf.Tensor2D | undefined];
  const k = (graph[0] ?? graph[1])?.shape[1];
  for (const t of graph) {
    if (!t) continue;
    const [lo, hi] = canReadSync() ? tf.tidy(() => tf.stack([tf.min(t), tf.max(t)]).dataSync()) : [0, 0];
    if (t.shape[1] !== k || lo < 0 || hi >= poolSize) {
      throw new ValueError(
        fn,
        `${what} with k = ${k} per row on both stages and indices in 0…${poolSize - 1}`,
        `k = ${t.shape[1]}, indices ${lo}…${hi}`,
      );
    }
  }
  return graph;
}

function makeInitializer(init: 'glorotUniform' | 'zeros' | 'ones') {
  if (init === 'zeros') return tfl.initializers.zeros();
  if (init === 'ones') return tfl.initializers.ones();
  return tfl.initializers.glorotUniform({});
}

/**
 * The TPFR layer (Two-stage Peer-regularized Feature Recombination, method §5).
 *
 * Inputs, in this order: content `[B, H, W, Cc]`, style `[B, H, W, Cs]`, peer content
 * `[B, P, h, w, Cc]`, peer style `[B, P, h, w, Cs]`: P exemplars per sample, on an axis of their
 * own, so that every input's first axis is the batch and `predict`, `evaluate` and `fit`, which
 * slice every input into batches along it, keep each sample with its exemplars (build the peer
 * inputs with {@link stackPeers}). Peer maps may differ in size from the input; H, W, P, h and w
 * may be unknown when the model is built. Outputs: content′ `[B, H, W, Cc]` and style′
 * `[B, H, W, Cs]`, then, with `returnAttention`, per stage the neighbour indices and weights
 * `[B, H, W, k]`.
 *
 * Stage 1: for each query pixel, its k nearest peer pixels by content; weights
 * `α = softmax_k act(u_i + v_j)` from a shared transform of the contents; new style = Σ α·peer
 * style. Stage 2: the same on the new style against the peers' style, recombining peer content.
 * The input's own style is only checked for shape, as in the authors' layer. The N×M distance
 * or attention matrix is never built: kNN is streamed (`@tpfr/core` `knn`) and the attention
 * gathers only k rows per query, in chunks of queries.
 *
 * `apply(inputs, { k, stages, training })` ({@link PeerRecombinationCallArgs}) overrides k and
 * the stages for one call (a two-stage layer can run as 'style-only'), without copying weights.
 */
export class PeerRecombination extends tfl.layers.Layer {
  /** The name this class is registered and serialized under. */
  static className = 'TpfrPeerRecombination';

  readonly k: number;
  readonly metric: Metric;
  readonly ties: 'exactly-k' | 'include';
  readonly stages: TpfrStages;
  readonly contentTransformUnits?: [number, number];
  readonly styleTransformUnits?: [number, number];
  readonly activation: TpfrActivation;
  readonly attentionDropout: number;
  readonly knnMemoryBudgetBytes: number;
  readonly valueMemoryBudgetBytes: number;
  readonly peerPooling: PeerPooling;
  readonly returnAttention: boolean;
  readonly batchNormEpsilon: number;
  readonly batchNormMomentum: number;

  /** Stage 1's scorer weights (built). */
  contentAttention: AttentionTransformWeights | null = null;
  /** Stage 2's scorer weights (built, two-stage only). */
  styleAttention: AttentionTransformWeights | null = null;
  /** Seed of the attention dropout's next calls (null: unseeded); see {@link setDropoutSeed}. */
  private dropoutSeed: number | null = null;
  private contentChannels = 0;
  private styleChannels = 0;

  constructor(args: PeerRecombinationArgs = {}) {
    super(args);
    const fn = PeerRecombination.className;
    this.k = args.k ?? 5;
    if (!Number.isInteger(this.k) || this.k < 1) throw new ValueError(fn, 'k to be an integer >= 1', String(args.k));
    this.metric = args.metric ?? 'euclidean';
    if (this.metric !== 'euclidean' && this.metric !== 'cosine')
      throw new ValueError(fn, `metric 'euclidean' or 'cosine'`, String(args.metric));
    this.ties = args.ties ?? 'exactly-k';
    if (this.ties !== 'exactly-k' && this.ties !== 'include') throw new ValueError(fn, `ties 'exactly-k' or 'include'`, String(args.ties));
    this.stages = args.stages ?? 'two-stage';
    if (this.stages !== 'two-stage' && this.stages !== 'style-only')
      throw new ValueError(fn, `stages 'two-stage' or 'style-only'`, String(args.stages));
    this.contentTransformUnits = args.contentTransformUnits;
    this.styleTransformUnits = args.styleTransformUnits;
    this.activation = args.activation ?? 'softplus';
    this.attentionDropout = args.attentionDropout ?? 0.2;
    if (!(this.attentionDropout >= 0 && this.attentionDropout < 1))
      throw new ValueError(fn, 'attentionDropout in [0, 1)', String(args.attentionDropout));
    this.knnMemoryBudgetBytes = args.knnMemoryBudgetBytes ?? DEFAULT_KNN_MEMORY_BUDGET;
    this.valueMemoryBudgetBytes = args.valueMemoryBudgetBytes ?? DEFAULT_VALUE_MEMORY_BUDGET_BYTES;
    this.peerPooling = args.peerPooling ?? 'per-sample';
    if (this.peerPooling !== 'per-sample' && this.peerPooling !== 'shared')
      throw new ValueError(fn, `peerPooling 'per-sample' or 'shared'`, String(args.peerPooling));
    this.returnAttention = args.returnAttention ?? false;
    this.batchNormEpsilon = args.batchNormEpsilon ?? 1e-5;
    this.batchNormMomentum = args.batchNormMomentum ?? 0.9;
    this.supportsMasking = false;
  }

  private shapes(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape[] {
    const fn = PeerRecombination.className;
    if (!Array.isArray(inputShape[0]) || inputShape.length !== 4) {
      throw new ShapeError(fn, `four inputs: ${INPUT_NAMES.join(', ')}`, JSON.stringify(inputShape));
    }
    const s = inputShape as tfl.Shape[];
    s.forEach((shape, i) => {
      if (shape.length !== INPUT_RANKS[i])
        throw new ShapeError(fn, `${INPUT_NAMES[i]} of rank ${INPUT_RANKS[i]}`, `shape ${formatShape(shape)}`);
    });
    const [c, st, pc, ps] = s;
    if (c[3] == null || st[3] == null)
      throw new ShapeError(fn, 'known channel counts Cc and Cs', `shapes ${formatShape(c)} and ${formatShape(st)}`);
    if (pc[4] !== c[3]) throw new ShapeError(fn, `peer content [B, P, h, w, Cc] with Cc = ${c[3]}`, `shape ${formatShape(pc)}`);
    if (ps[4] !== st[3]) throw new ShapeError(fn, `peer style [B, P, h, w, Cs] with Cs = ${st[3]}`, `shape ${formatShape(ps)}`);
    const b = c[0];
    [st, pc, ps].forEach((shape, j) => {
      if (b != null && shape[0] != null && shape[0] !== b)
        throw new ShapeError(fn, `${INPUT_NAMES[j + 1]} with B = ${b} as content`, `shape ${formatShape(shape)}`);
    });
    return s;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const [c, s] = this.shapes(inputShape);
    const cc = c[3] as number;
    const cs = s[3] as number;
    this.contentChannels = cc;
    this.styleChannels = cs;
    const make: WeightFactory = (name, shape, init, trainable) =>
      this.addWeight(name, shape, 'float32', makeInitializer(init), undefined, trainable);
    const units = (d: number, u?: [number, number]): [number, number] =>
      u ?? [Math.max(1, Math.floor(d / 2)), Math.max(1, Math.floor(d / 4))];
    this.contentAttention = createAttentionTransformWeights(make, 'content_attention', cc, units(cc, this.contentTransformUnits));
    this.styleAttention =
      this.stages === 'two-stage'
        ? createAttentionTransformWeights(make, 'style_attention', cs, units(cs, this.styleTransformUnits))
        : null;
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape[] {
    const [c, s] = this.shapes(inputShape);
    const out: tfl.Shape[] = [c.slice(), s.slice()];
    if (this.returnAttention) {
      const att = [c[0], c[1], c[2], this.k];
      const n = this.stages === 'two-stage' ? 2 : 1;
      for (let i = 0; i < n; i++) out.push(att.slice(), att.slice());
    }
    return out;
  }

  /**
   * Seeds the attention dropout of the following training calls (each stage and chunk derives its
   * own seed from it), or `null` for unseeded dropout. A trainer sets it per step so that runs,
   * and resumed runs, are reproducible. Not part of the config.
   */
  setDropoutSeed(seed: number | null): void {
    this.dropoutSeed = seed;
  }

  /**
   * Applies the layer: `[content, style, peerContent, peerStyle]` as in the class comment, with
   * per-call options {@link PeerRecombinationCallArgs}. Eager on tensors (returns tensors),
   * symbolic on `tfl.SymbolicTensor`s (returns symbolic outputs for a `tf.model`).
   */
  override apply(inputs: tf.Tensor[], args?: PeerRecombinationCallArgs): tf.Tensor[];
  override apply(inputs: tfl.SymbolicTensor[], args?: PeerRecombinationCallArgs): tfl.SymbolicTensor[];
  override apply(
    inputs: tf.Tensor | tf.Tensor[] | tfl.SymbolicTensor | tfl.SymbolicTensor[],
    args?: PeerRecombinationCallArgs,
  ): tf.Tensor | tf.Tensor[] | tfl.SymbolicTensor | tfl.SymbolicTensor[] {
    return super.apply(inputs, args as Kwargs | undefined);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor[] {
    return tf.tidy(() => {
      const fn = PeerRecombination.className;
      if (!Array.isArray(inputs) || inputs.length !== 4) {
        throw new ShapeError(
          fn,
          'four inputs [content, style, peerContent, peerStyle]',
          Array.isArray(inputs) ? `${inputs.length} inputs` : `one tensor ${formatShape(inputs.shape)}`,
        );
      }
      this.shapes(inputs.map((t) => t.shape));
      const [content, style] = inputs as tf.Tensor4D[];
      const [peerContent, peerStyle] = inputs.slice(2) as tf.Tensor5D[];
      const [b, h, wd, cc] = content.shape;
      const cs = style.shape[3];
      if (style.shape[1] !== h || style.shape[2] !== wd) {
        throw new ShapeError(fn, `style [B, H, W, Cs] with H, W = ${h}, ${wd} as content`, `shape ${formatShape(style.shape)}`);
      }
      if (b === 0) throw new ShapeError(fn, 'a batch of at least one sample', `content ${formatShape(content.shape)}`);
      const [, p, ph, pw] = peerContent.shape;
      if (peerStyle.shape[1] !== p || peerStyle.shape[2] !== ph || peerStyle.shape[3] !== pw) {
        throw new ShapeError(
          fn,
          `peer style [B, P, h, w, Cs] with P, h, w = ${p}, ${ph}, ${pw} as peer content`,
          `shape ${formatShape(peerStyle.shape)}`,
        );
      }
      if (cc !== this.contentChannels || cs !== this.styleChannels) {
        throw new ShapeError(fn, `Cc = ${this.contentChannels} and Cs = ${this.styleChannels} as built`, `Cc = ${cc}, Cs = ${cs}`);
      }
      // Per-call switches (not config), e.g. from stylize(): see PeerRecombinationCallArgs.
      const opts = (kwargs ?? {}) as PeerRecombinationCallArgs;
      const stages = opts.stages ?? this.stages;
      const mPerMap = ph * pw;
      const poolSize = (this.peerPooling === 'shared' ? b : 1) * p * mPerMap;
      const given = graphArgument(fn, 'replayed neighbours', opts.neighbours, b, h, wd, stages, poolSize);
      const sticky = graphArgument(fn, 'previous neighbours', opts.hysteresis?.previous, b, h, wd, stages, poolSize);
      if (opts.hysteresis !== undefined && opts.neighbours !== undefined)
        throw new ValueError(fn, 'call argument neighbours or hysteresis, not both', 'both');
      const margin = opts.hysteresis?.margin ?? DEFAULT_HYSTERESIS_MARGIN;
      if (!(margin >= 0 && Number.isFinite(margin))) throw new ValueError(fn, 'hysteresis.margin a finite number >= 0', String(margin));
      const k = (given[0] ?? given[1])?.shape[1] ?? opts.k ?? this.k;
      const stickyK = (sticky[0] ?? sticky[1])?.shape[1];
      if (stickyK !== undefined && stickyK !== k)
        throw new ValueError(fn, `previous neighbours with k = ${k} per row (this call's k)`, `k = ${stickyK}`);
      const returnAttention = opts.returnAttention ?? this.returnAttention;
      if (!Number.isInteger(k) || k < 1) throw new ValueError(fn, 'call argument k to be an integer >= 1', String(k));
      if (stages !== 'two-stage' && stages !== 'style-only')
        throw new ValueError(fn, `call argument stages 'two-stage' or 'style-only'`, String(stages));
      if (stages === 'two-stage' && !this.styleAttention)
        throw new ValueError(fn, `stages 'style-only' for a layer built 'style-only' (it has no stage-2 weights)`, `'two-stage'`);
      if (poolSize < k) {
        throw new ValueError(
          fn,
          `at least k = ${k} peer pixels per pool`,
          `${poolSize} (peer maps ${formatShape(peerContent.shape)}, '${this.peerPooling}' pooling)`,
        );
      }
      const training = opts.training === true;
      const options: StageOptions = {
        k,
        groups: poolGroups(this.peerPooling, b, h * wd, p, mPerMap),
        rowsPerExemplar: mPerMap,
        metric: this.metric,
        ties: this.ties,
        activation: this.activation,
        knnMemoryBudgetBytes: this.knnMemoryBudgetBytes,
        valueMemoryBudgetBytes: this.valueMemoryBudgetBytes,
        transform: { training, epsilon: this.batchNormEpsilon, momentum: this.batchNormMomentum },
        dropoutRate: training ? this.attentionDropout : 0,
        dropoutSeed: this.dropoutSeed,
      };
      const qc = tf.reshape(content, [-1, cc]) as tf.Tensor2D;
      const pc = tf.reshape(peerContent, [-1, cc]) as tf.Tensor2D;
      const psty = tf.reshape(peerStyle, [-1, cs]) as tf.Tensor2D;
      const s1 = runStage(
        tpfrStage({
          index: 1,
          weights: this.contentAttention!,
          pool: pc,
          values: psty,
          replayed: given[0],
          hysteresis: sticky[0] && { previous: sticky[0], margin },
        }),
        qc,
        options,
      );
      const newStyle = tf.reshape(s1.output, [b, h, wd, cs]);
      const map = (x: tf.Tensor2D) => tf.reshape(x, [b, h, wd, k]);
      if (stages === 'style-only') {
        const out: tf.Tensor[] = [tf.clone(content), newStyle];
        if (returnAttention) out.push(map(s1.indices), map(s1.weights));
        return out;
      }
      const s2 = runStage(
        tpfrStage({
          index: 2,
          weights: this.styleAttention!,
          pool: psty,
          values: pc,
          replayed: given[1],
          hysteresis: sticky[1] && { previous: sticky[1], margin },
        }),
        s1.output,
        options,
      );
      const out: tf.Tensor[] = [tf.reshape(s2.output, [b, h, wd, cc]), newStyle];
      if (returnAttention) out.push(map(s1.indices), map(s1.weights), map(s2.indices), map(s2.weights));
      return out;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      k: this.k,
      metric: this.metric,
      stages: this.stages,
      activation: this.activation,
      attentionDropout: this.attentionDropout,
      knnMemoryBudgetBytes: this.knnMemoryBudgetBytes,
      valueMemoryBudgetBytes: this.valueMemoryBudgetBytes,
      peerPooling: this.peerPooling,
      returnAttention: this.returnAttention,
      batchNormEpsilon: this.batchNormEpsilon,
      batchNormMomentum: this.batchNormMomentum,
    };
    // Written only when set, so configs of layers saved before the option stay as they were.
    if (this.ties !== 'exactly-k') config.ties = this.ties;
    if (this.contentTransformUnits) config.contentTransformUnits = [...this.contentTransformUnits];
    if (this.styleTransformUnits) config.styleTransformUnits = [...this.styleTransformUnits];
    return { ...super.getConfig(), ...config };
  }
}
registerLayer(PeerRecombination);

/**
 * Creates a {@link PeerRecombination} (TPFR) layer. Apply it to
 * `[content [B, H, W, Cc], style [B, H, W, Cs], peerContent [B, P, h, w, Cc], peerStyle [B, P, h, w, Cs]]`
 * (peer inputs from {@link stackPeers}).
 */
export function peerRecombination(args: PeerRecombinationArgs = {}): PeerRecombination {
  return new PeerRecombination(args);
}
