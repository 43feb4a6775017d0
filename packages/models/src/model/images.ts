import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '@tpfr/core';
import { canReadSync } from '@tpfr/core/internal';
import { assertFinite, formatShape } from '@tpfr/core/utils';
import { fromModelRange, toModelRange } from './pixel-range.js';

/** Value range of images: `'0-255'` (bytes, as decoded files) or `'-1-1'` (the networks'). */
export type PixelRange = '0-255' | '-1-1';

/**
 * Checks an image or batch and brings it to `[B, H, W, 3]` float32 in [−1, 1].
 * With `range: 'auto'`, int32 tensors and tensors with any value above 1 are taken as 0–255,
 * everything else as −1…1.
 * @param x `[H, W, 3]` or `[B, H, W, 3]`
 * @returns the batch and the range the input was in.
 */
export function toModelBatch(
  fn: string,
  name: string,
  x: tf.Tensor,
  range: PixelRange | 'auto' = 'auto',
): { batch: tf.Tensor4D; range: PixelRange } {
  if (!(x instanceof tf.Tensor) || (x.rank !== 3 && x.rank !== 4)) {
    throw new ShapeError(
      fn,
      `${name} of shape [H, W, 3] or [B, H, W, 3]`,
      x instanceof tf.Tensor ? `shape ${formatShape(x.shape)}` : typeof x,
    );
  }
  if (x.shape[x.rank - 1] !== 3) {
    throw new ShapeError(fn, `${name} with 3 (RGB) channels, [H, W, 3] or [B, H, W, 3]`, `shape ${formatShape(x.shape)}`);
  }
  if (x.size === 0) throw new ShapeError(fn, `${name} with at least one pixel`, `shape ${formatShape(x.shape)}`);
  assertFinite(fn, name, x);
  let r: PixelRange;
  if (range === 'auto') {
    if (x.dtype !== 'int32' && !canReadSync()) {
      throw new ValueError(
        fn,
        `range '0-255' or '-1-1' for a float32 ${name} on ${tf.getBackend()} ('auto' reads the image's maximum back synchronously, which this backend cannot)`,
        "'auto'",
      );
    }
    r = x.dtype === 'int32' ? '0-255' : tf.tidy(() => tf.max(x).dataSync()[0]) > 1 + 1e-6 ? '0-255' : '-1-1';
  } else if (range === '0-255' || range === '-1-1') {
    r = range;
  } else {
    throw new ValueError(fn, `range 'auto', '0-255' or '-1-1'`, String(range));
  }
  const batch = tf.tidy(() => {
    const scaled = r === '0-255' ? toModelRange(x) : tf.cast(x, 'float32');
    return (x.rank === 3 ? tf.expandDims(scaled, 0) : scaled) as tf.Tensor4D;
  });
  return { batch, range: r };
}

/** Maps a [−1, 1] batch back to `range` (0–255 values are clipped, not rounded). */
export function toPixelRange(x: tf.Tensor4D, range: PixelRange): tf.Tensor4D {
  return tf.tidy(() => (range === '0-255' ? fromModelRange(x) : tf.clipByValue(x, -1, 1)) as tf.Tensor4D);
}

/**
 * Reflect-pads the bottom and right of `x [B, H, W, C]` up to multiples of `multiple`.
 * @returns the padded batch and the original H and W (crop back with `tf.slice`).
 */
export function padToMultiple(
  fn: string,
  x: tf.Tensor4D,
  multiple: number,
  minSide: number,
): { padded: tf.Tensor4D; height: number; width: number } {
  const [, h, w] = x.shape;
  if (h < minSide || w < minSide) {
    throw new ValueError(fn, `images of at least ${minSide}×${minSide} pixels for this network`, `${h}×${w}`);
  }
  const ph = (multiple - (h % multiple)) % multiple;
  const pw = (multiple - (w % multiple)) % multiple;
  const padded =
    ph === 0 && pw === 0
      ? tf.clone(x)
      : (tf.mirrorPad(
          x,
          [
            [0, 0],
            [0, ph],
            [0, pw],
            [0, 0],
          ],
          'reflect',
        ) as tf.Tensor4D);
  return { padded, height: h, width: w };
}
