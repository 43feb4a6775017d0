import { DEFAULT_KNN_MEMORY_BUDGET, ValueError } from '@tpfr/core';
import { BAND_THRESHOLD_BYTES } from './banded.js';
import { latentWidths } from './config.js';
import type { TpfrModel } from './model.js';

/** The peak memory a {@link stylize} call will need, and the phase that needs it. */
export interface StylizeMemoryEstimate {
  /** The largest of the phases: bytes of tensors the call allocates at once, above what was allocated before it. */
  peakBytes: number;
  /** Each phase's peak, in bytes. */
  phases: { encodeExemplars: number; encodeContent: number; recombine: number; decode: number };
  /** Which phase the peak is in. */
  peakPhase: 'encodeExemplars' | 'encodeContent' | 'recombine' | 'decode';
  /**
   * Whether a full-resolution map passes the band threshold (256 MiB), so that the networks run
   * band by band: the estimate is then an upper bound (it counts whole maps, not bands).
   */
  banded: boolean;
}

/** Where the exemplars come from: images `[h, w]` each (resized to the first one's size), or encoded ones. */
export type ExemplarSizes = { images: Array<[number, number]> } | { encoded: { pixels: number } };

// Coefficients measured on wasm with `tf.profile` (peak tensor bytes) over the paper and tiny
// presets at 128² to 1024²: the encoder holds about 4.4 full-resolution maps of ngf channels at
// once, the decoder 5.5; the recombination holds its codes about 3 times over (the layer's pixel
// rows, the stacked peers, the folded search rows) beside the neighbour search's score tiles.
const ENCODE_MAPS = 4.4;
const DECODE_MAPS = 5.5;
const RECOMBINE_CODE_COPIES = 3;

/**
 * Estimates the peak memory of `stylize(model, content, styles)` from the sizes and the model,
 * before anything is allocated: the bytes of tensors the call holds at its busiest, above those
 * allocated before it (`tf.profile`'s `peakBytes`). Measured on wasm to be within 25 % of the
 * real peak at 256², 512² and 1024² (the memory guide lists the figures); above the band
 * threshold it is an upper bound. The backend's own memory (the model's weights, the wasm heap's
 * free space, a GPU's textures) comes on top.
 * @param content `[H, W]` of the image the network sees (after any pipeline), padded to the model's multiple here;
 *   `opts.batch` such images at once (default 1).
 * @param exemplars their sizes, or the latent pixels of {@link encodeExemplars}' result.
 */
export function estimateStylizeMemory(model: TpfrModel, content: [number, number], exemplars: ExemplarSizes, opts: { k?: number; batch?: number } = {}): StylizeMemoryEstimate {
  const cfg = model.config;
  const w = latentWidths(cfg);
  const m = w.multiple;
  const up = (x: number) => Math.ceil(x / m) * m;
  const [H, W] = [up(content[0]), up(content[1])];
  const k = opts.k ?? cfg.k;
  const b = opts.batch ?? 1;
  const codeBytes = (pixels: number) => 4 * pixels * (w.content + w.style);
  // Content: its image, full-resolution map, latent pixels and codes.
  const contentImage = 4 * b * H * W * 3;
  const fc = 4 * b * H * W * cfg.ngf;
  const n = b * (H / m) * (W / m);
  const lc = codeBytes(n);
  // Exemplars: all at the first one's size, encoded as one batch.
  let poolPixels: number;
  let fp = 0;
  let poolImages = 0;
  if ('encoded' in exemplars) {
    poolPixels = exemplars.encoded.pixels;
  } else {
    const list = exemplars.images;
    const [h, wd] = [up(list[0][0]), up(list[0][1])];
    poolPixels = list.length * (h / m) * (wd / m);
    fp = 4 * list.length * h * wd * cfg.ngf;
    poolImages = 4 * list.length * h * wd * 3 * 2; // the inputs and their model-range copies
  }
  const lp = codeBytes(poolPixels);
  const inputs = contentImage * 2 + poolImages;
  // The neighbour search: score tiles within its budget, the pool transposed once, the results.
  const knn = (d: number) => Math.min(2 * 4 * n * poolPixels, DEFAULT_KNN_MEMORY_BUDGET) + 2 * 4 * poolPixels * d + 8 * n * k;
  const phases = {
    encodeExemplars: inputs + ENCODE_MAPS * fp,
    encodeContent: inputs + lp + ENCODE_MAPS * fc,
    recombine: inputs + RECOMBINE_CODE_COPIES * (lc + lp) + Math.max(knn(w.content), knn(w.style - w.content)),
    decode: lp + lc + DECODE_MAPS * fc + contentImage * 2,
  };
  const peakPhase = (Object.keys(phases) as Array<keyof typeof phases>).reduce((a, b) => (phases[b] > phases[a] ? b : a));
  return { peakBytes: Math.round(phases[peakPhase]), phases, peakPhase, banded: Math.max(fc, fp) > BAND_THRESHOLD_BYTES };
}

/** A `stylize` call refused by its `memoryBudgetBytes`: the message gives the estimate, kept here too. */
export class MemoryBudgetError extends ValueError {
  constructor(fn: string, expected: string, received: string, readonly estimate: StylizeMemoryEstimate, readonly budgetBytes: number) {
    super(fn, expected, received);
  }
}
