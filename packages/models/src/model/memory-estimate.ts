import { DEFAULT_KNN_MEMORY_BUDGET, ValueError } from '@tpfr/core';
import { jointEncodePlan } from '../inference/joint-plan.js';
import { planInference, type InferenceOptions, type InferencePlan } from '../inference/plan.js';
import { latentWidths, type TpfrModelConfig } from './config.js';
import type { TpfrModel } from './model.js';

/** The peak memory a {@link stylize} call will need, and the phase that needs it. */
export interface StylizeMemoryEstimate {
  /** The largest of the phases: bytes of tensors the call allocates at once, above what was allocated before it. */
  peakBytes: number;
  /**
   * Each phase's peak, in bytes. Where the content and the exemplars are encoded in one batch (one
   * pool of the content's size), `encodeContent` is that batch's and `encodeExemplars` is 0.
   */
  phases: { encodeExemplars: number; encodeContent: number; recombine: number; decode: number };
  /** Which phase the peak is in. */
  peakPhase: 'encodeExemplars' | 'encodeContent' | 'recombine' | 'decode';
  /** How the stages run (whole, in bands, codes in JS memory): the plan the estimate follows. */
  plan: InferencePlan;
}

/**
 * Where the exemplars come from: images `[h, w]` each of one peer pool (resized to the first one's
 * size), the images of each style encoded on its own (`styles`, for style weights and regions), or
 * encoded ones (their latent pixels, every pool together).
 */
export type ExemplarSizes =
  | { images: Array<[number, number]> }
  | { styles: Array<Array<[number, number]>> }
  | { encoded: { pixels: number } };

/** Options of {@link estimateStylizeMemory}: the call's k and batch, and its inference options. */
export interface MemoryEstimateOptions extends InferenceOptions {
  /** Neighbours per pixel (default: the model's). */
  k?: number;
  /** Content images at once (default 1). */
  batch?: number;
}

// Coefficients measured on wasm with `tf.profile` (peak tensor bytes) over the paper and tiny
// presets at 128² to 1024²: the encoder holds about 4.4 full-resolution maps of ngf channels at
// once, the decoder 5.5; the recombination holds its codes about 3 times over (the layer's pixel
// rows, the stacked peers, the folded search rows) beside the neighbour search's score tiles.
const ENCODE_MAPS = 4.4;
const DECODE_MAPS = 5.5;
const RECOMBINE_CODE_COPIES = 3;
/** Band-sized temporaries a band-wise stage holds at once besides its kept maps. */
const BAND_TEMPORARIES = 6;

/**
 * Estimates the peak memory of `stylize(model, content, styles, opts)` from the sizes and the
 * model, before anything is allocated: the bytes of tensors the call holds at its busiest, above
 * those allocated before it (`tf.profile`'s `peakBytes`), for the plan the call will follow
 * (the inference plan ({@link InferencePlan}): whole maps, or bands and codes in JS memory for large images). Measured
 * on wasm to be within 25 % of the real peak (the reliability guide says how it was checked). The
 * backend's own memory (the model's weights, the wasm heap's free space, a GPU's textures) comes
 * on top.
 * @param content `[H, W]` of the image the network sees (after any pipeline), padded to the model's multiple here;
 *   `opts.batch` such images at once (default 1).
 * @param exemplars their sizes, or the latent pixels of {@link encodeExemplars}' result.
 */
export function estimateStylizeMemory(
  model: TpfrModel,
  content: [number, number],
  exemplars: ExemplarSizes,
  opts: MemoryEstimateOptions = {},
): StylizeMemoryEstimate {
  const cfg = model.config;
  const w = latentWidths(cfg);
  const m = w.multiple;
  const up = (x: number) => Math.ceil(x / m) * m;
  const [H, W] = [up(content[0]), up(content[1])];
  const k = opts.k ?? cfg.k;
  const b = opts.batch ?? 1;
  const plan = planInference('estimateStylizeMemory', cfg, [b, H, W], opts);
  const codeBytes = (pixels: number) => 4 * pixels * (w.content + w.style);
  // Content: its image, full-resolution map, latent pixels and codes.
  const contentImage = 4 * b * H * W * 3;
  const fc = 4 * b * H * W * cfg.ngf;
  const n = b * (H / m) * (W / m);
  const lc = codeBytes(n);
  // Exemplars: each pool at its first image's size, encoded as one batch; every pool's codes kept.
  let poolPixels: number;
  let exemplarEncode = 0;
  let poolImages = 0;
  if ('encoded' in exemplars) {
    poolPixels = exemplars.encoded.pixels;
  } else {
    const pools = 'images' in exemplars ? [exemplars.images] : exemplars.styles;
    poolPixels = 0;
    for (const list of pools) {
      const [h, wd] = [up(list[0][0]), up(list[0][1])];
      const pixels = list.length * (h / m) * (wd / m);
      const exemplarPlan = planInference('estimateStylizeMemory', cfg, [list.length, h, wd], opts);
      // The pools encoded before this one are held while it is encoded.
      exemplarEncode = Math.max(
        exemplarEncode,
        codeBytes(poolPixels) + encodeBytes(cfg, 4 * list.length * h * wd * cfg.ngf, codeBytes(pixels), exemplarPlan),
      );
      poolPixels += pixels;
      poolImages += 4 * list.length * h * wd * 3 * 2; // the inputs and their model-range copies
    }
  }
  const lp = codeBytes(poolPixels);
  const inputs = contentImage * 2 + poolImages;
  // One pool of the content's size: encoded with it, in one batch (the exemplars' phase is that one).
  const images = 'images' in exemplars ? exemplars.images : [];
  const joint = images.length > 0 && jointEncodePlan(cfg, [b, H, W], [images.length, up(images[0][0]), up(images[0][1])], opts);
  const encodeContent = joint
    ? inputs + encodeBytes(cfg, fc + 4 * images.length * H * W * cfg.ngf, lc + lp, joint)
    : inputs + lp + encodeBytes(cfg, fc, lc, plan);
  // The neighbour search: score tiles within its budget, the pool transposed once, the results.
  const queries = plan.codes === 'host' ? b * plan.recombineRows * (W / m) : n;
  const knn = (d: number) => Math.min(2 * 4 * queries * poolPixels, DEFAULT_KNN_MEMORY_BUDGET) + 2 * 4 * poolPixels * d + 8 * queries * k;
  const codesOnBackend = plan.codes === 'host' ? 0 : lc;
  const recombineCodes = plan.codes === 'host' ? codeBytes(queries) : lc;
  const phases = {
    encodeExemplars: joint ? 0 : inputs + exemplarEncode,
    encodeContent,
    recombine: inputs + RECOMBINE_CODE_COPIES * (recombineCodes + lp) + Math.max(knn(w.content), knn(w.style - w.content)),
    decode: lp + codesOnBackend + decodeBytes(cfg, fc, plan) + contentImage * 2,
  };
  const peakPhase = (Object.keys(phases) as Array<keyof typeof phases>).reduce((a, c) => (phases[c] > phases[a] ? c : a));
  return { peakBytes: Math.round(phases[peakPhase]), phases, peakPhase, plan };
}

/**
 * The encoder's peak for a full-resolution map of `fc` bytes and codes of `lc` bytes: whole, about
 * 4.4 full-resolution maps; in bands, the maps it keeps below full resolution (at most the latent
 * map with the residual blocks' output beside it, or the first two downsamplings') and a few bands.
 */
function encodeBytes(cfg: TpfrModelConfig, fc: number, lc: number, plan: InferencePlan): number {
  if (plan.encode === 'whole') return ENCODE_MAPS * fc;
  const w = latentWidths(cfg);
  // Maps of the latent's size, per channel of ngf: the residual blocks' (Cc) and the latent's (Cc + Cs).
  const perChannel = fc / (cfg.ngf * w.multiple * w.multiple);
  const residual = perChannel * w.content;
  const downsamplings = fc / 2 + fc / 8; // down1 [H/2, W/2, 2·ngf] beside down2 [H/4, W/4, 4·ngf]
  const kept = Math.max(downsamplings, 3 * residual, residual + lc, lc + (plan.codes === 'host' ? 0 : lc));
  return kept + BAND_TEMPORARIES * plan.bands.bandBytes;
}

/** The decoder's peak: whole, about 5.5 full-resolution maps; in bands, its kept maps and a few bands. */
function decodeBytes(cfg: TpfrModelConfig, fc: number, plan: InferencePlan): number {
  if (plan.decode === 'whole') return DECODE_MAPS * fc;
  const w = latentWidths(cfg);
  const residual = (fc / (cfg.ngf * w.multiple * w.multiple)) * w.content;
  const kept = Math.max(3 * residual, residual + fc / 2);
  return kept + BAND_TEMPORARIES * plan.bands.bandBytes;
}

/** A `stylize` call refused by its `memoryBudgetBytes`: the message gives the estimate, kept here too. */
export class MemoryBudgetError extends ValueError {
  constructor(
    fn: string,
    expected: string,
    received: string,
    readonly estimate: StylizeMemoryEstimate,
    readonly budgetBytes: number,
  ) {
    super(fn, expected, received);
  }
}
