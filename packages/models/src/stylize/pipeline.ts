import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';
import { fromModelRange } from '../model/pixel-range.js';
import { authorsContentPad, centerCrop } from '../pipeline/geometry.js';
import { resizeShorterSide } from '../pipeline/resize.js';

/**
 * The authors' test-time pipeline (nnaisense/conditional-style-transfer `test.py`) around the
 * network, for {@link StylizeOptions.pipeline}. `{ size: S }` alone is their `test.py` at
 * `loadSize = fineSize = S`.
 */
export interface StylizePipelineOptions {
  /**
   * `S`: the shorter side of the content and of every exemplar is resized to `S`, the longer to
   * `int(S · long / short)` (torchvision's `Resize(S, Image.BICUBIC)`, with Pillow's bicubic, bit
   * for bit; the images are taken as 8-bit, values rounded). The authors' `loadSize`. Omitted: no
   * resize (and no crop unless `crop` gives a size).
   */
  size?: number;
  /**
   * Centre crop after the resize (torchvision's `CenterCrop`, its rounding): `true` (the default
   * when `size` is given) crops `S × S`; a side or `[height, width]` crops that (the authors'
   * `fineSize`); `false` keeps the resized image whole.
   */
  crop?: boolean | number | [number, number];
  /**
   * Reflect pad of the content on every side before the network, cropped off its output:
   * `'authors'` (the default when `size` is given) is `8·⌊S/256⌋`; a number of pixels; 0 (the
   * default without `size`) pads nothing. Exemplars are never padded.
   */
  pad?: number | 'authors';
  /**
   * `true` (default): each result is min–max stretched to 0–255 over all its channels, as
   * `imageio.imwrite` writes a float image (see `minMaxStretch` with `unitInterval: 'imageio'`);
   * `false`: the plain mapping of [−1, 1] to 0–255 (clipped), as without the pipeline.
   */
  stretch?: boolean;
  /**
   * The exemplars' `S` when it differs from the content's (default: `size`): they are resized to
   * it and, with the default crop, centre-cropped to `styleSize × styleSize`. Their code then has
   * fewer pixels: the neighbour search's cost is proportional to it (e.g. content 1024, style 512).
   */
  styleSize?: number;
}

/** A pipeline with every default filled in. */
export interface ResolvedPipeline {
  size?: number;
  crop?: number | [number, number];
  pad: number;
  stretch: boolean;
  /** The resize and crop of the exemplars. */
  style: { size?: number; crop?: number | [number, number] };
}

export function resolvePipeline(fn: string, p: StylizePipelineOptions): ResolvedPipeline {
  if (typeof p !== 'object' || p === null) throw new ValueError(fn, 'pipeline an object { size?, crop?, pad?, stretch? }', String(p));
  const { size } = p;
  if (size !== undefined && !(Number.isInteger(size) && size >= 1))
    throw new ValueError(fn, 'pipeline.size a positive integer', String(size));
  let crop: number | [number, number] | undefined;
  const c = p.crop ?? size !== undefined;
  if (c === true) {
    if (size === undefined) throw new ValueError(fn, 'pipeline.crop true only with pipeline.size (or a crop size)', 'no size');
    crop = size;
  } else if (c !== false) {
    const sides: unknown = typeof c === 'number' ? [c, c] : c;
    if (!Array.isArray(sides) || sides.length !== 2 || !sides.every((s) => Number.isInteger(s) && s >= 1)) {
      throw new ValueError(fn, 'pipeline.crop a boolean, a positive integer or [height, width]', JSON.stringify(c) ?? String(c));
    }
    crop = c as number | [number, number];
  }
  let pad: number;
  const pd = p.pad ?? (size !== undefined ? 'authors' : 0);
  if (pd === 'authors') {
    if (size === undefined) throw new ValueError(fn, "pipeline.pad 'authors' only with pipeline.size", "'authors' without a size");
    pad = authorsContentPad(size);
  } else if (Number.isInteger(pd) && pd >= 0) {
    pad = pd;
  } else {
    throw new ValueError(fn, "pipeline.pad 'authors' or an integer >= 0", JSON.stringify(pd) ?? String(pd));
  }
  const stretch = p.stretch ?? true;
  if (typeof stretch !== 'boolean') throw new ValueError(fn, 'pipeline.stretch a boolean', String(stretch));
  const { styleSize } = p;
  if (styleSize !== undefined && !(Number.isInteger(styleSize) && styleSize >= 1 && size !== undefined)) {
    throw new ValueError(fn, 'pipeline.styleSize a positive integer, with pipeline.size', String(styleSize));
  }
  const style = styleSize === undefined ? { size, crop } : { size: styleSize, crop: crop === size ? styleSize : crop };
  return { size, crop, pad, stretch, style };
}

/**
 * The pipeline's input step for one image or batch (already in model range, as `toModelBatch`
 * gives it): to 8-bit levels, resized and centre-cropped, back to [−1, 1] as torchvision's
 * `ToTensor` + `Normalize(0.5, 0.5)` (`(x / 255 − 0.5) / 0.5`).
 */
export function preparePipelineInput(batch: tf.Tensor4D, p: { size?: number; crop?: number | [number, number] }): tf.Tensor4D {
  if (p.size === undefined && p.crop === undefined) return tf.clone(batch);
  let x: tf.Tensor4D = batch;
  const owned: tf.Tensor[] = [];
  try {
    if (p.size !== undefined) {
      const levels = tf.tidy(() => tf.cast(tf.round(fromModelRange(batch)), 'int32') as tf.Tensor4D);
      owned.push(levels);
      x = resizeShorterSide(levels, p.size);
      owned.push(x);
      if (p.crop !== undefined) {
        x = centerCrop(x, p.crop);
        owned.push(x);
      }
      const y = x;
      return tf.tidy(() => tf.div(tf.sub(tf.div(tf.cast(y, 'float32'), 255), 0.5), 0.5) as tf.Tensor4D);
    }
    return centerCrop(batch, p.crop as number | [number, number]);
  } finally {
    tf.dispose(owned);
  }
}
