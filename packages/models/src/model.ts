import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { TpfrError, ValueError } from '@tpfr/core';
import { fileSystemIO, peerRecombination, upgradePeerInputs, type PeerRecombination, type TpfrStages } from '@tpfr/layers';
import { latentWidths, resolveConfig, type ModelConfigInput, type TpfrModelConfig } from './config.js';
import { BAND_THRESHOLD_BYTES, bandsSupported, createBandedParts, decodeInBands, encodeInBands, type BandedParts } from './banded.js';
import { createDecoder } from './decoder.js';
import { createDiscriminator } from './discriminator.js';
import { createEncoder } from './encoder.js';

/** The three parts of a latent code (spec §1). */
export interface Latent {
  /** `[B, h, w, 4·ngf]` */
  content: tf.Tensor4D;
  /** `[B, h, w, 8·ngf]` = [global | local] */
  style: tf.Tensor4D;
  /** `[B, 2h, 2w, 2·ngf]` */
  middle: tf.Tensor4D;
}

/**
 * The peers of a batch, as {@link TpfrModel.recombine} takes them: the exemplars' codes with the
 * exemplars on an axis of their own (build them with `stackPeers` / `stackPeersPerSample` of
 * `@tpfr/layers` from codes `[P, h′, w′, C]`).
 */
export interface PeerCodes {
  /** `[B, P, h′, w′, 4·ngf]`: sample b's P exemplars' content codes. */
  content: tf.Tensor5D;
  /** `[B, P, h′, w′, 8·ngf]`: their style codes. */
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
}

/** How {@link TpfrModel.encode} and {@link TpfrModel.decode} run at inference. */
export interface InferenceOptions {
  /**
   * Compute the convolution stages above the codes' resolution (the encoder's stem, downsamplings
   * and latent convolution; the decoder's merge, upsamplings and output) in bands of rows: the
   * same result up to rounding, a fraction of the memory. `'auto'` (default) when one
   * full-resolution map (B·H·W·ngf floats) would take more than 256 MiB, `true` always, `false`
   * never. Inference only.
   */
  bands?: 'auto' | boolean;
  /** Rows per band (default: as many as fit 32 MiB per full-resolution map). */
  bandRows?: number;
}

/** The file that marks a saved model directory. */
export const MODEL_MANIFEST = 'tpfr-model.json';
const PARTS = ['encoder', 'recombination', 'mainDecoder', 'auxDecoder', 'discriminator'] as const;
/** The sub-models of a {@link TpfrModel}. */
export type ModelPart = (typeof PARTS)[number];

/**
 * The whole TPFR model: encoder, the two-stage peer-regularized recombination layer, the main
 * and auxiliary decoders and the conditional discriminator, saved and loaded as one directory.
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
  /** latent `[B, h, w, 12·ngf]` → image; trained with the attention (main module). */
  readonly mainDecoder: tfl.LayersModel;
  /** Same shape as the main decoder; trains the encoder as an autoencoder (auxiliary module). */
  readonly auxDecoder: tfl.LayersModel;
  /** [image, condition] → patch scores `[B, H/4, W/4, 1]`. */
  readonly discriminator: tfl.LayersModel;

  /** Sub-models of the band-wise inference, built on first use. */
  private banded: BandedParts | null = null;

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
    return [this.encoder, this.recombination, this.mainDecoder, this.auxDecoder]
      .reduce((s, m) => s + m.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0), 0);
  }

  /**
   * Encodes images.
   * @param images `[B, H, W, 3]` in [−1, 1], H and W multiples of `widths.multiple`.
   * @param opts band-wise inference for large images (see {@link InferenceOptions}).
   */
  encode(images: tf.Tensor4D, training = false, opts: InferenceOptions = {}): Latent {
    if (training) {
      const [content, style, middle] = this.encoder.apply(images, { training }) as tf.Tensor4D[];
      return { content, style, middle };
    }
    const [content, style, middle] = this.encodeForInference(images, opts, true);
    return { content, style, middle };
  }

  /**
   * The content and style codes of images, at inference (what `stylize` needs): as
   * {@link encode}, without the `middle` map, which band-wise inference then never assembles.
   * @param images `[B, H, W, 3]` in [−1, 1], H and W multiples of `widths.multiple`.
   */
  codes(images: tf.Tensor4D, opts: InferenceOptions = {}): Pick<Latent, 'content' | 'style'> {
    const [content, style] = this.encodeForInference(images, opts, false);
    return { content, style };
  }

  /** `[content, style]`, then `middle` when asked: in bands for large images, else through predict. */
  private encodeForInference(images: tf.Tensor4D, opts: InferenceOptions, middle: boolean): tf.Tensor4D[] {
    const [b, h, w] = images.shape;
    if (this.useBands(opts, b * h * w)) {
      return encodeInBands(this.config, this.encoder, this.bandedParts().encoderResidualStage, images, { rowsPerBand: opts.bandRows, middle });
    }
    // predict frees each layer's output as soon as the next layers have used it; apply keeps all.
    const out = this.encoder.predict(images) as tf.Tensor4D[];
    if (!middle) out.pop()!.dispose();
    return out;
  }

  private useBands(opts: InferenceOptions, fullResolutionPixels: number): boolean {
    const bands = opts.bands ?? 'auto';
    if (opts.bandRows !== undefined && !(Number.isInteger(opts.bandRows) && opts.bandRows >= 1)) throw new ValueError('TpfrModel', 'bandRows a positive integer', String(opts.bandRows));
    if (bands === false || !bandsSupported(this.config)) return false;
    return bands === true || fullResolutionPixels * this.config.ngf * 4 > BAND_THRESHOLD_BYTES;
  }

  private bandedParts(): BandedParts {
    this.banded ??= createBandedParts(this.config, this.encoder, this.mainDecoder, this.auxDecoder);
    return this.banded;
  }

  /**
   * Recombines a latent with a peer pool (spec §5): each sample with its own P exemplars.
   * @param z the input's content `[B, h, w, Cc]` and style `[B, h, w, Cs]`.
   * @param peers the exemplars' content `[B, P, h′, w′, Cc]` and style `[B, P, h′, w′, Cs]`
   *   (`stackPeers(codes, B)` gives every sample the same exemplars).
   * @returns content′ and style′, shaped as the input's.
   */
  recombine(z: Pick<Latent, 'content' | 'style'>, peers: PeerCodes, opts: RecombineOptions = {}): Pick<Latent, 'content' | 'style'> {
    const inputs = [z.content, z.style, peers.content, peers.style];
    const [content, style] = this.recombinationLayer.apply(inputs, { training: opts.training ?? false, stages: opts.stages, k: opts.k }) as tf.Tensor4D[];
    return { content, style };
  }

  /**
   * Decodes a latent.
   * @param latent `[B, h, w, 12·ngf]`, the concatenation [content | style].
   * @returns `[B, h·4, w·4, 3]` in [−1, 1].
   */
  decode(latent: Pick<Latent, 'content' | 'style'>, which: 'main' | 'aux' = 'main', training = false, opts: InferenceOptions = {}): tf.Tensor4D {
    const decoder = which === 'main' ? this.mainDecoder : this.auxDecoder;
    const [b, h, w] = latent.content.shape;
    const side = this.widths.multiple;
    const banded = !training && this.useBands(opts, b * h * w * side * side);
    if (banded) {
      const parts = this.bandedParts();
      return decodeInBands(this.config, decoder, which === 'main' ? parts.mainResidualStage : parts.auxResidualStage, which === 'main' ? 'main_decoder' : 'aux_decoder', latent.content, latent.style, opts.bandRows);
    }
    return tf.tidy(() => {
      const z = tf.concat([latent.content, latent.style], -1) as tf.Tensor4D;
      return (training ? decoder.apply(z, { training }) : decoder.predict(z)) as tf.Tensor4D;
    });
  }

  /** Every sub-model by name. */
  parts(): Record<ModelPart, tfl.LayersModel> {
    return { encoder: this.encoder, recombination: this.recombination, mainDecoder: this.mainDecoder, auxDecoder: this.auxDecoder, discriminator: this.discriminator };
  }

  /**
   * Saves the model into `dir` (Node): one sub-folder per part (`model.json` + `weights.bin`)
   * and `tpfr-model.json`. Written into a temporary sibling folder first, then renamed into
   * place, so a crash never leaves a half-written model behind.
   */
  async save(dir: string, extra: Record<string, unknown> = {}): Promise<void> {
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.mkdir(tmp, { recursive: true });
    for (const [name, model] of Object.entries(this.parts())) {
      await model.save(fileSystemIO(path.join(tmp, name)));
    }
    const manifest = { format: 'tpfr-model', version: 1, config: this.config, parts: PARTS, savedAt: new Date().toISOString(), ...extra };
    await fs.writeFile(path.join(tmp, MODEL_MANIFEST), JSON.stringify(manifest, null, 2));
    await replaceDir(tmp, dir);
  }

  /**
   * Loads a model saved by {@link save}. A model saved before the peer inputs had their own
   * exemplar axis (recombination inputs `[B·P, h, w, C]`) is converted on load (see
   * `upgradePeerInputs` of `@tpfr/layers`): same weights, rank-5 peer inputs.
   */
  static async load(dir: string): Promise<TpfrModel> {
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    let manifest: { format?: string; config?: TpfrModelConfig };
    try {
      manifest = JSON.parse(await fs.readFile(path.join(dir, MODEL_MANIFEST), 'utf8'));
    } catch (e) {
      throw new TpfrError('TpfrModel.load', `expected a model directory with ${MODEL_MANIFEST}, could not read ${path.join(dir, MODEL_MANIFEST)}: ${(e as Error).message}`);
    }
    if (manifest.format !== 'tpfr-model' || !manifest.config) {
      throw new TpfrError('TpfrModel.load', `expected ${MODEL_MANIFEST} of format 'tpfr-model', received ${JSON.stringify(manifest).slice(0, 120)}`);
    }
    const cfg = resolveConfig(manifest.config);
    const parts = {} as Record<ModelPart, tfl.LayersModel>;
    for (const name of PARTS) {
      try {
        // A recombination saved with the former rank-4 peer inputs [B·P, h, w, C] gets rank-5 ones
        // [B, P, h, w, C]; the TPFR layer's weights do not depend on the layout.
        const { artifacts } = upgradePeerInputs(await fileSystemIO(path.join(dir, name)).load!());
        parts[name] = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
      } catch (e) {
        throw new TpfrError('TpfrModel.load', `could not load part '${name}' from ${path.join(dir, name)}: ${(e as Error).message}`);
      }
    }
    return new TpfrModel(cfg, parts);
  }

  /** Frees every weight. */
  dispose(): void {
    // The band-wise sub-models share the parts' layers: dispose them first (layers count uses).
    if (this.banded) for (const m of Object.values(this.banded)) m.dispose();
    this.banded = null;
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
  const outputs = peerRecombination({ k: cfg.k, metric: cfg.metric, ...(cfg.ties === 'include' ? { ties: cfg.ties } : {}), name: 'tpfr' }).apply(inputs);
  return tfl.model({ inputs, outputs, name: 'recombination' });
}

/** Atomically puts directory `src` at `dst` (replacing an existing one). */
export async function replaceDir(src: string, dst: string): Promise<void> {
  const fs = await import('node:fs/promises');
  const old = `${dst}.old-${process.pid}-${Date.now()}`;
  let hadOld = false;
  try {
    await fs.rename(dst, old);
    hadOld = true;
  } catch {
    // nothing there yet
  }
  await fs.rename(src, dst);
  if (hadOld) await fs.rm(old, { recursive: true, force: true });
}
