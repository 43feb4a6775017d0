import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';
import { type PixelRange, toModelBatch } from '../model/images.js';

/** One or more exemplars of one style: an image `[h, w, 3]`, a stack `[P, h, w, 3]`, or a list of images. */
export type StyleImages = tf.Tensor3D | tf.Tensor4D | tf.Tensor3D[];

/**
 * What `stylize` and `createStylizer` take as styles: one style's exemplars, or a list of entries.
 * Without style weights or masks every exemplar of every entry joins one peer pool; with them,
 * each entry of the list is one style.
 */
export type StylesInput = StyleImages | StyleImages[];

/** Whether `x` is a single style entry (a tensor) rather than a list. */
const isTensor = (x: unknown): x is tf.Tensor => x instanceof tf.Tensor;

/**
 * The styles as groups of model-range batches `[n, h, w, 3]`: one group per entry of the list
 * when `perStyle`, else one group of every exemplar. Checks every image (rank, channels, finite
 * values). New tensors, for the caller to free.
 * @returns the groups, and how many entries the list has (the count weights and masks must match).
 */
export function styleGroups(
  fn: string,
  styles: StylesInput,
  perStyle: boolean,
  range: PixelRange | 'auto',
): { groups: tf.Tensor4D[][]; entries: number } {
  const entries: StyleImages[] = isTensor(styles) ? [styles] : (styles as StyleImages[]);
  if (!Array.isArray(entries) || entries.length === 0) throw new ValueError(fn, 'at least one style exemplar', 'an empty list');
  const made: tf.Tensor4D[] = [];
  try {
    const groups = entries.map((entry, i) => {
      const images = isTensor(entry) ? [entry] : entry;
      if (!Array.isArray(images) || images.length === 0) throw new ValueError(fn, `styles[${i}]: at least one exemplar`, 'an empty list');
      return images.map((s, j) => {
        const b = toModelBatch(fn, isTensor(entry) ? `styles[${i}]` : `styles[${i}][${j}]`, s, range).batch;
        made.push(b);
        return b;
      });
    });
    return { groups: perStyle ? groups : [groups.flat()], entries: entries.length };
  } catch (e) {
    tf.dispose(made);
    throw e;
  }
}
