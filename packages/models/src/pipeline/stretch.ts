/**
 * imageio's conversion of float images to 8 bits, as the authors' `test.py` writes its results.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';
import { checkImage } from './checks.js';

/** Options of {@link minMaxStretch}. */
export interface MinMaxStretchOptions {
  /**
   * Images whose values all lie in [0, 1]: `'stretch'` (default) stretches them like any other;
   * `'imageio'` maps them as imageio does, `floor(x·255 + 0.499999999)`, without stretching (the
   * exact `imageio.imwrite` of a float image).
   */
  unitInterval?: 'stretch' | 'imageio';
}

/**
 * imageio's 8-bit conversion of a float image (`image_as_uint`), per image of a batch and over
 * all its channels together: `floor((x − min) / (max − min) · 255 + 0.499999999)`, in float64
 * from the float32 values with `max − min` rounded to float32, as NumPy computes it. The minimum
 * becomes 0 and the maximum 255. A constant image (max = min), which imageio refuses, becomes 0
 * everywhere (unless `unitInterval: 'imageio'` applies to it). Runs on the host.
 *
 * @param image `[H, W, 3]` or `[B, H, W, 3]`, any finite values (e.g. a network output in [−1, 1]).
 * @returns int32, same shape, values in 0–255.
 * @throws ShapeError for another shape; ValueError for NaN or infinite values.
 */
export function minMaxStretch<T extends tf.Tensor3D | tf.Tensor4D>(image: T, options: MinMaxStretchOptions = {}): T {
  const fn = 'minMaxStretch';
  checkImage(fn, 'image', image);
  const unit = options.unitInterval ?? 'stretch';
  if (unit !== 'stretch' && unit !== 'imageio')
    throw new ValueError(fn, "unitInterval 'stretch' or 'imageio'", JSON.stringify(unit) ?? String(unit));
  const values = Float32Array.from(image.dataSync());
  const b = image.rank === 4 ? image.shape[0] : 1;
  const per = values.length / b;
  const out = new Int32Array(values.length);
  for (let n = 0; n < b; n++) {
    let mi = Infinity;
    let ma = -Infinity;
    for (let i = n * per; i < (n + 1) * per; i++) {
      const v = values[i];
      if (!Number.isFinite(v))
        throw new ValueError(fn, `finite values in the image of shape ${formatShape(image.shape)}`, `${v} at flat index ${i}`);
      if (v < mi) mi = v;
      if (v > ma) ma = v;
    }
    if (unit === 'imageio' && mi >= 0 && ma <= 1) {
      for (let i = n * per; i < (n + 1) * per; i++) out[i] = Math.floor(values[i] * 255 + 0.499999999);
      continue;
    }
    // NumPy: float32 scalars, so max − min is a float32 subtraction.
    const range = Math.fround(ma - mi);
    if (range === 0) continue;
    for (let i = n * per; i < (n + 1) * per; i++) out[i] = Math.floor(((values[i] - mi) / range) * 255 + 0.499999999);
  }
  return tf.tensor(out, image.shape as number[] as [number, number, number], 'int32') as T;
}
