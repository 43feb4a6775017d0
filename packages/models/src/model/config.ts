import { ValueError } from '@tpfr/core';

/** Architecture of the TPFR networks (method §2–§4). */
export interface TpfrModelConfig {
  /** Base width of the generator (64 in the paper). Content code: `ngf·2^downsamplings` channels. */
  ngf: number;
  /** Base width of the discriminator (64 in the paper). */
  ndf: number;
  /** Stride-2 steps of the encoder (and upsamplings of the decoders); 2 in the paper. */
  downsamplings: number;
  /** Residual blocks in the encoder and in each decoder (6 in the paper). */
  residualBlocks: number;
  /**
   * Normalization after the convolutions of the encoder, of the discriminator (its instance-norm
   * layers) and, by default, of the decoders: instance norm (paper) or none.
   */
  norm: 'instance' | 'none';
  /** Normalization after the decoders' merge and upsampling convolutions (default: `norm`). */
  decoderNorm: 'instance' | 'none';
  /**
   * Instance norm inside the global-style branch (default: `norm === 'instance'`). Off, the branch
   * also works on latents under 8×8, whose last map is 1×1 (instance norm turns it into zeros).
   */
  globalStyleNorm: boolean;
  /** Global-style branch on (paper): half of the style code is a per-image vector. */
  globalStyle: boolean;
  /**
   * How the decoders upsample: `'transposed'` (paper: transposed conv 4×4 stride 2) or
   * `'nearest'` (nearest-neighbour ×2, then reflect-pad 1 → conv 3×3), which cannot produce the
   * checkerboard pattern of strided transposed convolutions.
   */
  upsampling: 'transposed' | 'nearest';
  /** Neighbours per pixel in the TPFR layer (5 in the paper). */
  k: number;
  /** Distance of the TPFR layer's neighbour searches: squared Euclidean (paper) or cosine. */
  metric: 'euclidean' | 'cosine';
  /**
   * Padding of the encoder's stride-2 convolutions: `'same'` (default, tfjs: on even sides one
   * pixel at the bottom and right only) or `'symmetric'` (one zero pixel on every side, then a
   * valid convolution: PyTorch's `padding=1`, the authors' network). Both give `⌈H/2⌉ × ⌈W/2⌉`
   * maps; they differ by a one-pixel shift of the sampling grid.
   */
  downsamplePadding: 'same' | 'symmetric';
  /**
   * Neighbour set of the TPFR layer when distances tie: `'exactly-k'` (default: k peers, ties to
   * the lower peer index) or `'include'` (every peer whose distance is ≤ the k-th smallest, the
   * authors' rule). See `PeerRecombinationArgs.ties`.
   */
  ties: 'exactly-k' | 'include';
  /** Std of the Gaussian noise added to the discriminator's input in training (0.1). */
  discriminatorNoise: number;
}

/** Named configurations: `'paper'` (25.5 M generator parameters) and `'tiny'` for CPU work. */
export const PRESETS: Readonly<Record<'paper' | 'tiny', Readonly<TpfrModelConfig>>> = {
  paper: {
    ngf: 64,
    ndf: 64,
    downsamplings: 2,
    residualBlocks: 6,
    norm: 'instance',
    decoderNorm: 'instance',
    globalStyleNorm: true,
    globalStyle: true,
    upsampling: 'transposed',
    k: 5,
    metric: 'euclidean',
    downsamplePadding: 'same',
    ties: 'exactly-k',
    discriminatorNoise: 0.1,
  },
  tiny: {
    ngf: 8,
    ndf: 8,
    downsamplings: 2,
    residualBlocks: 2,
    norm: 'instance',
    decoderNorm: 'instance',
    globalStyleNorm: true,
    globalStyle: true,
    upsampling: 'transposed',
    k: 5,
    metric: 'euclidean',
    downsamplePadding: 'same',
    ties: 'exactly-k',
    discriminatorNoise: 0.1,
  },
};

/** A preset name or a (partial) configuration. */
export type ModelConfigInput = keyof typeof PRESETS | (Partial<TpfrModelConfig> & { preset?: keyof typeof PRESETS });

/** Widths derived from a configuration. */
export interface LatentWidths {
  /** Channels of the content code z_C. */
  content: number;
  /** Channels of the style code z_S (= 2 × content). */
  style: number;
  /** Channels of the `middle` map (after the first downsampling). */
  middle: number;
  /** The factor image sides must be a multiple of (2^downsamplings). */
  multiple: number;
  /** Smallest image side the networks accept (latent ≥ 8 px with an instance-normalized global branch). */
  minSide: number;
}

/** Resolves a preset name or partial configuration and checks it. */
export function resolveConfig(input: ModelConfigInput = 'tiny'): TpfrModelConfig {
  const fn = 'resolveConfig';
  const base = typeof input === 'string' ? PRESETS[input] : PRESETS[input.preset ?? 'tiny'];
  if (!base) throw new ValueError(fn, `a preset 'paper' or 'tiny'`, JSON.stringify(input));
  const given = typeof input === 'string' ? {} : input;
  const cfg: TpfrModelConfig = { ...base, ...given };
  // Derived defaults follow `norm` unless given.
  if (given.decoderNorm === undefined) cfg.decoderNorm = cfg.norm;
  if (given.globalStyleNorm === undefined) cfg.globalStyleNorm = cfg.norm === 'instance';
  delete (cfg as Partial<TpfrModelConfig> & { preset?: string }).preset;
  for (const key of ['ngf', 'ndf', 'downsamplings', 'residualBlocks', 'k'] as const) {
    const v = cfg[key];
    if (!Number.isInteger(v) || v < (key === 'residualBlocks' ? 0 : 1))
      throw new ValueError(fn, `${key} to be a positive integer`, String(v));
  }
  const choices = {
    norm: ['instance', 'none'],
    decoderNorm: ['instance', 'none'],
    metric: ['euclidean', 'cosine'],
    upsampling: ['transposed', 'nearest'],
    downsamplePadding: ['same', 'symmetric'],
    ties: ['exactly-k', 'include'],
  } as const;
  for (const [key, allowed] of Object.entries(choices) as [keyof typeof choices, readonly string[]][]) {
    if (!allowed.includes(cfg[key])) throw new ValueError(fn, `${key} ${allowed.map((a) => `'${a}'`).join(' or ')}`, String(cfg[key]));
  }
  if (typeof cfg.globalStyleNorm !== 'boolean') throw new ValueError(fn, 'globalStyleNorm to be a boolean', String(cfg.globalStyleNorm));
  if (!(cfg.discriminatorNoise >= 0)) throw new ValueError(fn, 'discriminatorNoise >= 0', String(cfg.discriminatorNoise));
  return cfg;
}

/** Channel counts and size constraints of a configuration. */
export function latentWidths(cfg: TpfrModelConfig): LatentWidths {
  const content = cfg.ngf * 2 ** cfg.downsamplings;
  const multiple = 2 ** cfg.downsamplings;
  return {
    content,
    style: 2 * content,
    middle: cfg.ngf * 2,
    multiple,
    minSide: multiple * (cfg.globalStyle && cfg.globalStyleNorm ? 8 : 1),
  };
}
