import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { TpfrError, ValueError } from '@tpfr/core';
import { peerRecombination, type PeerRecombination, type TpfrStages } from '@tpfr/layers';
import { checkFormatVersion, manifestOf, MODEL_FORMAT_VERSION, partsFromArtifacts, toModelArtifacts, type ModelPart } from './artifacts.js';
import { latentWidths, resolveConfig, type ModelConfigInput, type TpfrModelConfig } from './config.js';
import { planInference, type InferenceOptions, type InferencePlan } from '../inference/plan.js';
import { decodeByPlan, encodeByPlan } from '../inference/run.js';
import { createDecoder } from './decoder.js';
import { createDiscriminator } from './discriminator.js';
import { createEncoder } from './encoder.js';

/** The three parts of a latent code (method §1). */
export interface Latent {
  /** `[B, h, w, Cc]`, h = H/2^d for d downsamplings, Cc = ngf·2^d (4·ngf in the paper). */
  content: tf.Tensor4D;
  /** `[B, h, w, Cs]` = [global | local], Cs = 2·Cc. */
  style: tf.Tensor4D;
  /** `[B, H/2, W/2, 2·ngf]`: the map after the first downsampling. */
  middle: tf.Tensor4D;
}

/**
 * The peers of a batch, as {@link TpfrModel.recombine} takes them: the exemplars' codes with the
 * exemplars on an axis of their own (build them with `stackPeers` / `stackPeersPerSample` of
 * `@tpfr/layers` from codes `[P, h′, w′, C]`).
 */
export interface PeerCodes {
  /** `[B, P, h′, w′, Cc]`: sample b's P exemplars' content codes. */
  content: tf.Tensor5D;
  /** `[B, P, h′, w′, Cs]`: their style codes. */
  style: tf.Tensor5D;
}

/** Stage switches and neighbourhood size of one recombination. */
export interface RecombineOptions {
  /** `'two-stage'` (default) or `'style-only'` (the one-stage PeerNets variant: content kept). */
  stages?: TpfrStages;
  /** Neighbours per pixel (default: the model's `k`). */
  k?: number;
  /** Training mode: batch statistics in the attention transforms, attention dropout. */
  training?: boolean;
  /**
   * Hysteresis for frames of a video: per stage, last frame's neighbours `[B, h, w, k]` (int32, as
   * {@link NeighbourGraph} gives them), kept while within `(1 + margin)` of the new k-th distance
   * (see the TPFR layer's `hysteresis` call argument; default margin 0.05).
   */
  hysteresis?: { previous: tf.Tensor[]; margin?: number };
  /** Also return the neighbour graph of each stage ({@link Recombined.graph}). */
  graph?: boolean;
  /**
   * A neighbour graph to replay instead of searching: per stage, the neighbours `[B, h, w, k]`
   * (int32, as {@link NeighbourGraph} gives them), e.g. another backend's, to compare the rest of
   * the computation on one graph (the TPFR layer's `neighbours` call argument). Not with `hysteresis`.
   */
  neighbours?: tf.Tensor[];
}

/** Each stage's neighbours of every latent pixel: rows of its sample's pool (exemplar, then row, then column). */
export interface NeighbourGraph {
  /** Per stage, `[B, h, w, k]` int32. */
  indices: tf.Tensor4D[];
  /** Per stage, `[B, h, w, k]`: the attention weights (summing to 1 over k). */
  weights: tf.Tensor4D[];
}

/** What {@link TpfrModel.recombine} returns: the recombined codes, and the graph when asked. */
export interface Recombined extends Pick<Latent, 'content' | 'style'> {
  graph?: NeighbourGraph;
}

/** Options of {@link TpfrModel.encode}. */
export interface EncodeOptions extends InferenceOptions {
  /** Training mode (default false): the layers' `apply` with `training`, whole maps, every map kept for the gradients. */
  training?: boolean;
}

/** Options of {@link TpfrModel.decode}. */
export interface DecodeOptions extends InferenceOptions {
  /** `'main'` (default: the decoder of stylization) or `'aux'` (the auxiliary autoencoder's). */
  decoder?: 'main' | 'aux';
  /** Training mode (default false): the layers' `apply` with `training`, whole maps. */
  training?: boolean;
}

export type { ModelPart } from './artifacts.js';

/**
 * The whole TPFR model: encoder, the two-stage peer-regularized recombination layer, the main
 * and auxiliary decoders and the conditional discriminator, saved and loaded as one set of tfjs
 * artifacts (through any `IOHandler` or URL; a folder in Node).
 * The generator used at test time is encoder → recombination → main decoder.
 */
export class TpfrModel {
  /** The architecture. */
  readonly config: TpfrModelConfig;
  /** image `[B, H, W, 3]` → [content, style, middle]. */
  readonly encoder: tfl.LayersModel;
  /**
   * [content `[B, h, w, Cc]`, style `[B, h, w, Cs]`, peer content `[B, P, h′, w′, Cc]`, peer style
   * `[B, P, h′, w′, Cs]`] → [content′, style′] (the TPFR layer).
   */
  readonly recombination: tfl.LayersModel;
  /** latent `[B, h, w, Cc + Cs]` → image `[B, h·2^d, w·2^d, 3]`; trained with the attention (main module). */
  readonly mainDecoder: tfl.LayersModel;
  /** Same shape as the main decoder; trains the encoder as an autoencoder (auxiliary module). */
  readonly auxDecoder: tfl.LayersModel;
  /** [image, condition] → patch scores `[B, H/4, W/4, 1]`. */
  readonly discriminator: tfl.LayersModel;

  private constructor(config: TpfrModelConfig, parts: Record<ModelPart, tfl.LayersModel>) {
    this.config = config;
    this.encoder = parts.encoder;
    this.recombination = parts.recombination;
    this.mainDecoder = parts.mainDecoder;
    this.auxDecoder = parts.auxDecoder;
    this.discriminator = parts.discriminator;
  }

  /** Builds a model with fresh weights from a preset name or a configuration. */
  static create(config: ModelConfigInput = 'tiny'): TpfrModel {
    const cfg = resolveConfig(config);
    return new TpfrModel(cfg, {
      encoder: createEncoder(cfg),
      recombination: createRecombination(cfg),
      mainDecoder: createDecoder(cfg, 'main_decoder'),
      auxDecoder: createDecoder(cfg, 'aux_decoder'),
      discriminator: createDiscriminator(cfg),
    });
  }

  /** Widths and size constraints of this model. */
  get widths() {
    return latentWidths(this.config);
  }

  /** The TPFR layer inside {@link recombination}. */
  get recombinationLayer(): PeerRecombination {
    return this.recombination.layers.find((l) => l.getClassName() === 'TpfrPeerRecombination') as PeerRecombination;
  }

  /**
   * Trainable parameters of the generator: encoder, recombination, main and aux decoders (the
   * attention transforms' BatchNorm moving statistics are not counted, as PyTorch counts them as
   * buffers: the authors' generator has 25,519,580).
   */
  generatorParameterCount(): number {
    return [this.encoder, this.recombination, this.mainDecoder, this.auxDecoder].reduce(
      (s, m) => s + m.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0),
      0,
    );
  }

  /**
   * Encodes images. At inference the stages run whole or in bands as the inference plan ({@link InferencePlan}) decides
   * from `opts` (the same result up to float rounding); in training, whole.
   * @param images `[B, H, W, 3]` in [−1, 1], H and W multiples of `widths.multiple`.
   */
  encode(images: tf.Tensor4D, opts: EncodeOptions = {}): Latent {
    if (opts.training) {
      const [content, style, middle] = this.encoder.apply(images, { training: true }) as tf.Tensor4D[];
      return { content, style, middle };
    }
    const { content, style, middle } = encodeByPlan(
      this.encoder,
      images,
      { ...this.plan('TpfrModel.encode', images.shape, opts), codes: 'backend' },
      { middle: true },
    );
    return { content: content as tf.Tensor4D, style: style as tf.Tensor4D, middle: middle! };
  }

  /**
   * The content and style codes of images, at inference (what `stylize` needs): as
   * {@link encode}, without the `middle` map, which band-wise inference then never assembles.
   * @param images `[B, H, W, 3]` in [−1, 1], H and W multiples of `widths.multiple`.
   */
  codes(images: tf.Tensor4D, opts: InferenceOptions = {}): Pick<Latent, 'content' | 'style'> {
    const { content, style } = encodeByPlan(
      this.encoder,
      images,
      { ...this.plan('TpfrModel.codes', images.shape, opts), codes: 'backend' },
      { middle: false },
    );
    return { content: content as tf.Tensor4D, style: style as tf.Tensor4D };
  }

  /** The inference plan for images `[B, H, W, 3]` (see the inference plan ({@link InferencePlan})). */
  private plan(fn: string, shape: number[], opts: InferenceOptions): InferencePlan {
    return planInference(fn, this.config, [shape[0], shape[1], shape[2]], opts);
  }

  /**
   * Recombines a latent with a peer pool (method §5): each sample with its own P exemplars.
   * @param z the input's content `[B, h, w, Cc]` and style `[B, h, w, Cs]`.
   * @param peers the exemplars' content `[B, P, h′, w′, Cc]` and style `[B, P, h′, w′, Cs]`
   *   (`stackPeers(codes, B)` gives every sample the same exemplars).
   * @returns content′ and style′, shaped as the input's.
   */
  recombine(z: Pick<Latent, 'content' | 'style'>, peers: PeerCodes, opts: RecombineOptions = {}): Recombined {
    const inputs = [z.content, z.style, peers.content, peers.style];
    const args = { training: opts.training ?? false, stages: opts.stages, k: opts.k };
    const neighbours = opts.neighbours as [tf.Tensor, tf.Tensor?] | undefined;
    if (!opts.graph && !opts.hysteresis) {
      const [content, style] = this.recombinationLayer.apply(inputs, { ...args, neighbours }) as tf.Tensor4D[];
      return { content, style };
    }
    const previous = opts.hysteresis?.previous as [tf.Tensor, tf.Tensor?] | undefined;
    const hysteresis = previous && { previous, margin: opts.hysteresis?.margin };
    const [content, style, ...graph] = this.recombinationLayer.apply(inputs, {
      ...args,
      hysteresis,
      neighbours,
      returnAttention: true,
    }) as tf.Tensor4D[];
    if (!opts.graph) {
      tf.dispose(graph);
      return { content, style };
    }
    const stages = graph.length / 2;
    return {
      content,
      style,
      graph: {
        indices: graph.filter((_, i) => i % 2 === 0).slice(0, stages),
        weights: graph.filter((_, i) => i % 2 === 1).slice(0, stages),
      },
    };
  }

  /**
   * Decodes a latent. At inference the decoder runs whole or in bands as the inference plan ({@link InferencePlan})
   * decides from `opts`; in training, whole.
   * @param latent content `[B, h, w, Cc]` and style `[B, h, w, Cs]`.
   * @returns `[B, h·2^d, w·2^d, 3]` in [−1, 1] (d downsamplings: `widths.multiple` = 2^d).
   */
  decode(latent: Pick<Latent, 'content' | 'style'>, opts: DecodeOptions = {}): tf.Tensor4D {
    const decoder = opts.decoder === 'aux' ? this.auxDecoder : this.mainDecoder;
    if (opts.decoder !== undefined && opts.decoder !== 'main' && opts.decoder !== 'aux')
      throw new ValueError('TpfrModel.decode', "decoder 'main' or 'aux'", String(opts.decoder));
    if (opts.training) {
      return tf.tidy(() => decoder.apply(tf.concat([latent.content, latent.style], -1), { training: true }) as tf.Tensor4D);
    }
    const [b, h, w] = latent.content.shape;
    const side = this.widths.multiple;
    return decodeByPlan(decoder, latent, this.plan('TpfrModel.decode', [b, h * side, w * side], opts));
  }

  /** Every sub-model by name. */
  parts(): Record<ModelPart, tfl.LayersModel> {
    return {
      encoder: this.encoder,
      recombination: this.recombination,
      mainDecoder: this.mainDecoder,
      auxDecoder: this.auxDecoder,
      discriminator: this.discriminator,
    };
  }

  /**
   * Saves the model through a tfjs `IOHandler` or URL (`indexeddb://…`, `localstorage://…`,
   * `downloads://…`, `http(s)://…`; `file://…` with tfjs-node): one set of artifacts, the
   * topology holding every part and `tpfr` (the config and `extra`). In Node, `saveModel(model,
   * dir)` of `@tpfr/models/node` writes a folder atomically.
   */
  async save(destination: string | tf.io.IOHandler, extra: Record<string, unknown> = {}): Promise<tf.io.SaveResult> {
    const fn = 'TpfrModel.save';
    const handler = typeof destination === 'string' ? handlerFor(fn, destination, tf.io.getSaveHandlers(destination)) : destination;
    if (!handler || typeof handler.save !== 'function') throw new ValueError(fn, 'an IOHandler with save() or a URL', String(destination));
    return handler.save(await this.toArtifacts(extra));
  }

  /** The model as one set of tfjs artifacts (what {@link save} stores). */
  async toArtifacts(extra: Record<string, unknown> = {}): Promise<tf.io.ModelArtifacts> {
    return toModelArtifacts(this.parts(), { ...extra, format: 'tpfr-model', version: MODEL_FORMAT_VERSION, config: this.config });
  }

  /**
   * Loads a model saved by {@link save}, from a tfjs `IOHandler` or URL (in a browser:
   * `TpfrModel.load('/models/demo/model.json')`). In Node, `loadModel(dir)` of
   * `@tpfr/models/node` reads a folder.
   */
  static async load(source: string | tf.io.IOHandler): Promise<TpfrModel> {
    const fn = 'TpfrModel.load';
    const handler = typeof source === 'string' ? handlerFor(fn, source, tf.io.getLoadHandlers(source)) : source;
    if (!handler || typeof handler.load !== 'function') throw new ValueError(fn, 'an IOHandler with load() or a URL', String(source));
    return TpfrModel.fromArtifacts(await handler.load(), fn);
  }

  /**
   * A model from the artifacts {@link toArtifacts} gives. `partData`: each part's weight bytes,
   * when the caller has them apart (as Node's `loadModel` reads them) instead of in
   * `artifacts.weightData`.
   */
  static async fromArtifacts(
    artifacts: tf.io.ModelArtifacts,
    fn = 'TpfrModel.fromArtifacts',
    partData?: Record<ModelPart, ArrayBuffer>,
  ): Promise<TpfrModel> {
    const manifest = manifestOf(artifacts);
    if (!manifest)
      throw new TpfrError(
        fn,
        `expected the artifacts of a TPFR model (topology with 'tpfr' of format 'tpfr-model'), received ${JSON.stringify(artifacts.modelTopology)?.slice(0, 120)}`,
      );
    checkFormatVersion(fn, manifest, '');
    return new TpfrModel(resolveConfig(manifest.config), await partsFromArtifacts(fn, artifacts, partData));
  }

  /** Frees every weight. */
  dispose(): void {
    for (const m of Object.values(this.parts())) m.dispose();
  }
}

/**
 * The TPFR layer as a 4-input model, so it saves and loads like the other parts: content
 * `[B, h, w, Cc]`, style `[B, h, w, Cs]`, peers `[B, P, h′, w′, C]` (P, h′, w′ unknown).
 */
function createRecombination(cfg: TpfrModelConfig): tfl.LayersModel {
  const w = latentWidths(cfg);
  const inputs = [
    tfl.input({ shape: [null, null, w.content], name: 'recombination_content' }),
    tfl.input({ shape: [null, null, w.style], name: 'recombination_style' }),
    tfl.input({ shape: [null, null, null, w.content], name: 'recombination_peer_content' }),
    tfl.input({ shape: [null, null, null, w.style], name: 'recombination_peer_style' }),
  ];
  const outputs = peerRecombination({
    k: cfg.k,
    metric: cfg.metric,
    ...(cfg.ties === 'include' ? { ties: cfg.ties } : {}),
    name: 'tpfr',
  }).apply(inputs);
  return tfl.model({ inputs, outputs, name: 'recombination' });
}

/** The one handler tfjs has for `url`, or an error naming what to pass instead. */
function handlerFor(fn: string, url: string, handlers: tf.io.IOHandler[]): tf.io.IOHandler {
  if (handlers.length === 1) return handlers[0];
  if (handlers.length > 1) throw new ValueError(fn, 'a URL with one tfjs IOHandler', `${handlers.length} handlers for '${url}'`);
  const hint = /^[a-z][a-z0-9+.-]*:\/\//i.test(url)
    ? 'no tfjs IOHandler is registered for it'
    : "a plain path: in Node use saveModel / loadModel of '@tpfr/models/node' (folders), or pass an IOHandler";
  throw new ValueError(
    fn,
    'an IOHandler or a URL tfjs knows (indexeddb://, localstorage://, downloads://, http(s)://)',
    `'${url}' (${hint})`,
  );
}
