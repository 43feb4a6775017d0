import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';
import type { ExemplarSizes } from '../model/memory-estimate.js';
import type { TpfrModel } from '../model/model.js';
import { shorterSideSize } from '../pipeline/resize.js';
import { isEncoded, type EncodedExemplars } from './exemplar-set.js';
import type { StylizeOptions } from './options.js';
import { resolvePipeline } from './pipeline.js';
import { planCall } from './plan-call.js';
import type { StylesInput } from './styles.js';
import { stylizerNamed } from './stylizer.js';

/** `[h, w]` of an image `[h, w]` after the pipeline's resize and crop (no pipeline: unchanged). */
function pipelineSize(sides: [number, number], p: { size?: number; crop?: number | [number, number] } | undefined): [number, number] {
  if (!p) return sides;
  const resized = p.size === undefined ? sides : shorterSideSize(sides, p.size);
  if (p.crop === undefined) return resized;
  return typeof p.crop === 'number' ? [p.crop, p.crop] : [p.crop[0], p.crop[1]];
}

/** `[h, w]` of an image `[h, w, 3]` or of each of a stack `[P, h, w, 3]` (none for a list that is not). */
function sidesOf(x: unknown): [number, number][] {
  if (!(x instanceof tf.Tensor)) return [];
  if (x.rank === 3) return [[x.shape[0], x.shape[1]]];
  if (x.rank === 4) return Array.from({ length: x.shape[0] }, () => [x.shape[1], x.shape[2]] as [number, number]);
  return [];
}

/** The sizes the networks will see of the exemplars (before their checks: a wrong input gives no size here, and is refused later). */
function exemplarSizes(
  styles: StylesInput | EncodedExemplars,
  perStyle: boolean,
  style: { size?: number; crop?: number | [number, number] } | undefined,
): ExemplarSizes {
  if (isEncoded(styles))
    return { encoded: { pixels: styles.styles.reduce((n, s) => n + s.content.shape[0] * s.content.shape[1] * s.content.shape[2], 0) } };
  const entries = styles instanceof tf.Tensor ? [styles] : Array.isArray(styles) ? styles : [];
  const groups = entries.map((e) => (Array.isArray(e) ? e.flatMap(sidesOf) : sidesOf(e)).map((s) => pipelineSize(s, style)));
  if (perStyle) return { styles: groups.filter((g) => g.length > 0) };
  const all = groups.flat();
  // One pool: every exemplar at the first one's size.
  return { images: all.length > 0 ? all.map(() => all[0]) : [[1, 1]] };
}

/**
 * Stylizes `content` in the style of the exemplars `styles`, zero-shot: the exemplars' latent
 * pixels form one peer pool, the TPFR layer recombines the content's code with it, and the main
 * decoder renders the result. Works at any image size: images are reflect-padded to the
 * network's multiple and the result cropped back; memory grows with the number of pixels, never
 * with their product (the neighbour search is streamed).
 *
 * The controls steer it: `strength` (0 the content's reconstruction, 1 the full stylization),
 * `styleWeights` (several styles mixed by weight), `preserveColor` (keep the content's colours)
 * and `masks` (a style per region); see {@link StylizeOptions}. For many images or the frames of
 * a video with the same exemplars, use {@link createStylizer} (or {@link encodeExemplars}).
 *
 * With `opts.pipeline` the authors' test-time steps run around the network (`test.py`): content
 * and exemplars resized (shorter side to `S`, Pillow's bicubic) and centre-cropped, the content
 * reflect-padded by `8·⌊S/256⌋` and that pad cropped off the output, each result min–max stretched
 * to 0–255 as `imageio.imwrite` does. The result is then `S × S` (or the crop's size); exemplars
 * of different sizes after these steps are still resized to the first one's size.
 *
 * @param content `[H, W, 3]` or `[B, H, W, 3]`, 0–255 or −1…1 (see `range`).
 * @param styles one or more exemplars, `[h, w, 3]` each or stacked `[P, h, w, 3]` (exemplars of
 *   one pool of different sizes are resized to the first one's size); with `styleWeights` or
 *   `masks`, a list with one entry per style (an image, a stack, or a list of images). Or
 *   exemplars encoded once by {@link encodeExemplars}, for many content images.
 * @returns the stylized image(s), float32, same rank and range as `content`; same height and
 *   width too, unless a pipeline resizes or crops. With a stretching pipeline the values are
 *   whole levels 0–255 (or `level / 127.5 − 1` for content in −1…1).
 * @throws ValueError for content or exemplars holding NaN or infinite values, and when the
 *   network's output does (a model with NaN weights, say) rather than returning a NaN image; for
 *   controls out of range (naming them), before any work.
 */
export function stylize(model: TpfrModel, content: tf.Tensor3D, styles: StylesInput | EncodedExemplars, opts?: StylizeOptions): tf.Tensor3D;
export function stylize(model: TpfrModel, content: tf.Tensor4D, styles: StylesInput | EncodedExemplars, opts?: StylizeOptions): tf.Tensor4D;
export function stylize(
  model: TpfrModel,
  content: tf.Tensor3D | tf.Tensor4D,
  styles: StylesInput | EncodedExemplars,
  opts?: StylizeOptions,
): tf.Tensor3D | tf.Tensor4D;
export function stylize(
  model: TpfrModel,
  content: tf.Tensor3D | tf.Tensor4D,
  styles: StylesInput | EncodedExemplars,
  opts: StylizeOptions = {},
): tf.Tensor3D | tf.Tensor4D {
  const fn = 'stylize';
  const pipeline = opts.pipeline === undefined ? undefined : resolvePipeline(fn, opts.pipeline);
  // Before anything is allocated: the plan, and its memory estimate (reported, checked against the budget).
  let inference = {};
  if (content instanceof tf.Tensor && (content.rank === 3 || content.rank === 4)) {
    const [b, h, w] = content.rank === 3 ? [1, content.shape[0], content.shape[1]] : content.shape;
    const [ch, cw] = pipelineSize([h, w], pipeline);
    const pad = 2 * (pipeline?.pad ?? 0);
    const perStyle = opts.styleWeights !== undefined || opts.masks !== undefined;
    inference = planCall(fn, model, [b, ch + pad, cw + pad], exemplarSizes(styles, perStyle, pipeline?.style), opts).inference;
  } else if (!(content instanceof tf.Tensor)) {
    throw new ValueError(fn, 'content a tf.Tensor [H, W, 3] or [B, H, W, 3]', typeof content);
  }
  const stylizer = stylizerNamed(fn, model, styles, { ...opts, ...inference, memoryBudgetBytes: undefined, coherence: false });
  try {
    return stylizer.stylize(content);
  } finally {
    stylizer.dispose();
  }
}
