import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';
import type { TpfrStages } from '@tpfr/layers';
import { padToMultiple, toModelBatch, toPixelRange, type PixelRange } from './images.js';
import type { TpfrModel } from './model.js';

/** Options of {@link stylize}. */
export interface StylizeOptions {
  /** `'two-stage'` (default) or `'style-only'` (content code kept, one-stage PeerNets variant). */
  stages?: TpfrStages;
  /** Neighbours per pixel (default: the model's, 5). */
  k?: number;
  /**
   * Range of the input images: `'auto'` (default: int32 or any value > 1 means 0–255, else
   * −1…1), `'0-255'` or `'-1-1'`. The result comes back in the content image's range.
   */
  range?: PixelRange | 'auto';
}

/**
 * Stylizes `content` in the style of the exemplars `styles`, zero-shot: the exemplars' latent
 * pixels form one peer pool, the TPFR layer recombines the content's code with it, and the main
 * decoder renders the result. Works at any image size: images are reflect-padded to the
 * network's multiple and the result cropped back; memory grows with the number of pixels, never
 * with their product (the neighbour search is streamed).
 *
 * @param content `[H, W, 3]` or `[B, H, W, 3]`, 0–255 or −1…1 (see `range`).
 * @param styles one or more exemplars, `[h, w, 3]` each or stacked `[P, h, w, 3]`; exemplars of
 *   different sizes are resized to the first one's size.
 * @returns the stylized image(s), same shape and range as `content`.
 */
export function stylize(model: TpfrModel, content: tf.Tensor3D | tf.Tensor4D, styles: tf.Tensor3D | tf.Tensor4D | tf.Tensor3D[], opts: StylizeOptions = {}): tf.Tensor3D | tf.Tensor4D {
  const fn = 'stylize';
  const list = Array.isArray(styles) ? styles : [styles];
  if (list.length === 0) throw new ValueError(fn, 'at least one style exemplar', 'an empty list');
  const { multiple, minSide } = model.widths;
  const c = toModelBatch(fn, 'content', content, opts.range ?? 'auto');
  const exemplars: tf.Tensor4D[] = [];
  try {
    list.forEach((s, i) => exemplars.push(toModelBatch(fn, `styles[${i}]`, s, opts.range ?? 'auto').batch));
    return tf.tidy(() => {
      const [eh, ew] = exemplars[0].shape.slice(1, 3);
      const pool = tf.concat(exemplars.map((e) => (e.shape[1] === eh && e.shape[2] === ew ? e : tf.image.resizeBilinear(e, [eh, ew], true))), 0);
      if (pool.shape[0] === 0) throw new ValueError(fn, 'at least one style exemplar', 'a batch of 0');
      const { padded, height, width } = padToMultiple(fn, c.batch, multiple, minSide);
      const style = padToMultiple(fn, pool as tf.Tensor4D, multiple, minSide).padded;
      const b = padded.shape[0];
      const zc = model.encode(padded);
      const zs = model.encode(style);
      // Every content sample meets the same P exemplars: the pool is repeated per sample.
      const p = style.shape[0];
      const repeat = (t: tf.Tensor4D) => (b === 1 ? t : (tf.reshape(tf.tile(tf.expandDims(t, 0), [b, 1, 1, 1, 1]), [b * p, t.shape[1], t.shape[2], t.shape[3]]) as tf.Tensor4D));
      const z = model.recombine(zc, { content: repeat(zs.content), style: repeat(zs.style) }, { stages: opts.stages, k: opts.k });
      const image = model.decode(z, 'main');
      const cropped = tf.slice(image, [0, 0, 0, 0], [b, height, width, 3]) as tf.Tensor4D;
      const out = toPixelRange(cropped, c.range);
      return content.rank === 3 ? (tf.squeeze(out, [0]) as tf.Tensor3D) : out;
    });
  } finally {
    tf.dispose([c.batch, ...exemplars]);
  }
}
