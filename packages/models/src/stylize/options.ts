import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';
import type { TpfrStages } from '@tpfr/layers';
import type { InferenceOptions } from '../inference/plan.js';
import type { PixelRange } from '../model/images.js';
import type { StylizeMemoryEstimate } from '../model/memory-estimate.js';
import type { StylizePipelineOptions } from './pipeline.js';

/** How to keep the content's colours: see {@link StylizeOptions.preserveColor}. */
export type ColorPreservation = 'luminance' | 'histogram';

/** Options of {@link stylize}; the inference options say how large images run (see {@link InferenceOptions}). */
export interface StylizeOptions extends InferenceOptions {
  /** `'two-stage'` (default) or `'style-only'` (content code kept, one-stage PeerNets variant). */
  stages?: TpfrStages;
  /** Neighbours per pixel (default: the model's, 5). */
  k?: number;
  /**
   * How strongly to stylize, in [0, 1] (default 1): the latent code is interpolated between the
   * content's own code (0: the main decoder's reconstruction of the content) and the recombined
   * one (1: the full stylization), then decoded.
   */
  strength?: number;
  /**
   * Weights of the styles, one per entry of `styles` (each entry one style: an image, a stack,
   * or a list of images of that style). Given, each style recombines the content on its own and
   * the codes are mixed by the weights (normalized to sum 1): weight 0 is the result without that
   * style, a single non-zero weight that style alone. Without weights (and without `masks`) every
   * exemplar joins one peer pool.
   */
  styleWeights?: number[];
  /**
   * Keep the content's colours: `'luminance'` (the result's luminance with the content's chroma,
   * in YIQ) or `'histogram'` (each style's exemplars matched to the content's colour mean and
   * covariance before they are encoded). Omitted: the styles' colours.
   */
  preserveColor?: ColorPreservation;
  /**
   * Regions: one mask per entry of `styles` (`[h, w]`, `[h, w, 1]` or `[h, w, 3]`: float in [0, 1],
   * or int32 0–255 as decoded files give them; white where that style applies; any size: resized
   * to the content). Each content pixel's neighbours come only from the exemplars of the styles
   * that cover it, and borders blend over a few latent pixels; `styleWeights` scale the masks. A
   * content pixel that no mask covers is an error (on WebGPU, which cannot read the masks back,
   * such pixels take the styles by their weights).
   */
  masks?: tf.Tensor[];
  /**
   * Range of the input images: `'auto'` (default: int32 or any value > 1 means 0–255, else
   * −1…1), `'0-255'` or `'-1-1'`. The result comes back in the content image's range. On WebGPU,
   * give it for float32 images: `'auto'` would read the maximum back synchronously.
   */
  range?: PixelRange | 'auto';
  /**
   * Runs the authors' test-time pipeline around the network (resize, centre crop, content pad,
   * crop back, stretch): `{ size: 512 }` reproduces their `test.py` at 512. Omitted: the images go
   * in as they are (see {@link stylize}).
   */
  pipeline?: StylizePipelineOptions;
  /**
   * The call's memory budget: its plan keeps fewer and smaller maps on the backend (more stages in
   * bands) until its estimated peak ({@link estimateStylizeMemory}) fits; when none fits, the call
   * is refused before the networks allocate anything, with a {@link MemoryBudgetError} that gives
   * the estimate.
   */
  memoryBudgetBytes?: number;
  /**
   * Called with the call's memory estimate ({@link estimateStylizeMemory}, from the sizes the
   * networks will see, after any pipeline) before the networks run: to report it.
   */
  onMemoryEstimate?: (estimate: StylizeMemoryEstimate) => void;
}

/** The controls of a call, checked. */
export interface Controls {
  strength: number;
  /** One weight per style (all 1 without `styleWeights`), or null for one peer pool of every exemplar. */
  weights: number[] | null;
  color: ColorPreservation | null;
  /** `[S, h, w, 1]` in [0, 1] at the masks' own size, or null. */
  masks: tf.Tensor4D | null;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** `strength` checked: a number in [0, 1] (default 1). */
export function checkStrength(fn: string, strength: unknown = 1): number {
  if (!isNumber(strength) || strength < 0 || strength > 1) throw new ValueError(fn, 'strength a number in [0, 1]', String(strength));
  return strength;
}

/** `styleWeights` checked against `styles` styles: finite, ≥ 0, not all 0. */
export function checkStyleWeights(fn: string, weights: unknown, styles: number): number[] {
  if (!Array.isArray(weights)) throw new ValueError(fn, 'styleWeights an array of numbers', String(weights));
  if (weights.length !== styles) throw new ValueError(fn, `one style weight per style (${styles})`, `${weights.length} weight(s)`);
  weights.forEach((w, i) => {
    if (!isNumber(w) || w < 0) throw new ValueError(fn, `styleWeights[${i}] a finite number >= 0`, String(w));
  });
  if (weights.every((w) => w === 0)) throw new ValueError(fn, 'style weights that do not sum to 0', weights.join(', '));
  return weights;
}

/** `preserveColor` checked. */
export function checkColor(fn: string, mode: unknown): ColorPreservation | null {
  if (mode === undefined) return null;
  if (mode !== 'luminance' && mode !== 'histogram') throw new ValueError(fn, "preserveColor 'luminance' or 'histogram'", String(mode));
  return mode;
}

/**
 * The masks checked and stacked `[S, h, w, 1]` in [0, 1] (int32 masks divided by 255, three
 * channels averaged); all are resized to the first one's size. A new tensor.
 */
export function stackMasks(fn: string, masks: unknown, styles: number): tf.Tensor4D {
  if (!Array.isArray(masks)) throw new ValueError(fn, 'masks an array of tensors', String(masks));
  if (masks.length !== styles) throw new ValueError(fn, `one mask per style (${styles})`, `${masks.length} mask(s)`);
  masks.forEach((m, i) => {
    const ok = m instanceof tf.Tensor && (m.rank === 2 || (m.rank === 3 && (m.shape[2] === 1 || m.shape[2] === 3))) && m.size > 0;
    if (!ok)
      throw new ShapeError(
        fn,
        `masks[${i}] of shape [h, w], [h, w, 1] or [h, w, 3]`,
        m instanceof tf.Tensor ? `shape ${formatShape(m.shape)}` : typeof m,
      );
  });
  return tf.tidy(() => {
    const as01 = (m: tf.Tensor) => {
      const x = m.rank === 2 ? tf.expandDims(m, -1) : m.shape[2] === 3 ? tf.mean(m, -1, true) : m;
      const f = m.dtype === 'int32' ? tf.div(tf.cast(x, 'float32'), 255) : tf.cast(x, 'float32');
      return tf.clipByValue(f, 0, 1) as tf.Tensor3D;
    };
    const [first, ...rest] = (masks as tf.Tensor[]).map(as01);
    const [h, w] = first.shape;
    const same = rest.map((m) => (m.shape[0] === h && m.shape[1] === w ? m : (tf.image.resizeBilinear(m, [h, w], true) as tf.Tensor3D)));
    return tf.stack([first, ...same]) as tf.Tensor4D;
  });
}

/**
 * The controls of `opts` for `styles` styles (entries of `styles`), checked before any work.
 * @returns the controls; `masks` is a new tensor for the caller to free.
 */
export function resolveControls(
  fn: string,
  opts: Pick<StylizeOptions, 'strength' | 'styleWeights' | 'preserveColor' | 'masks'>,
  styles: number,
): Controls {
  const strength = checkStrength(fn, opts.strength);
  const color = checkColor(fn, opts.preserveColor);
  const perStyle = opts.styleWeights !== undefined || opts.masks !== undefined;
  const weights =
    opts.styleWeights !== undefined
      ? checkStyleWeights(fn, opts.styleWeights, styles)
      : perStyle
        ? Array.from({ length: styles }, () => 1)
        : null;
  const masks = opts.masks !== undefined ? stackMasks(fn, opts.masks, styles) : null;
  return { strength, weights, color, masks };
}
