/**
 * Geometric steps of the authors' test-time pipeline: torchvision's centre crop, the content's
 * reflect pad and the crop that takes it off again.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';
import { checkImage, checkInt, sidesOf } from './checks.js';

/**
 * Python 3's `round` of a non-negative half-integer or integer (the only values it is given: a
 * surplus of whole pixels halved): halves go to the even side.
 */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  if (x - f < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Where torchvision's `CenterCrop` cuts an image of `sides = [height, width]` to
 * `crop = [h, w]`: `top = int(round((height − h) / 2))`, `left` likewise, with Python's
 * round-half-to-even: an odd surplus `d` puts its extra pixel at the bottom/right when `(d − 1)/2` is
 * even (d = 1, 5, 9…: top = 0, 2, 4…) and at the top/left otherwise (d = 3, 7…: top = 2, 4…).
 * @returns `[top, left]`.
 * @throws ValueError when the crop is larger than the image.
 */
export function centerCropOffsets(sides: [number, number], crop: [number, number]): [number, number] {
  const fn = 'centerCropOffsets';
  checkInt(fn, 'height', sides[0], 1);
  checkInt(fn, 'width', sides[1], 1);
  checkInt(fn, 'crop height', crop[0], 1);
  checkInt(fn, 'crop width', crop[1], 1);
  if (crop[0] > sides[0] || crop[1] > sides[1]) {
    throw new ValueError(fn, `a crop no larger than the image (${sides[0]}×${sides[1]})`, `${crop[0]}×${crop[1]}`);
  }
  return [roundHalfEven((sides[0] - crop[0]) / 2), roundHalfEven((sides[1] - crop[1]) / 2)];
}

/**
 * torchvision's `CenterCrop(size)`: cuts the central `size` (a square side or `[h, w]`) out of an
 * image or every image of a batch, with torchvision's rounding ({@link centerCropOffsets}).
 * Crops larger than the image are refused (newer torchvision would zero-pad them).
 * @param image `[H, W, 3]` or `[B, H, W, 3]`, any dtype and range.
 * @param size `S` (a square) or `[h, w]`.
 * @returns `[h, w, 3]` or `[B, h, w, 3]`, same dtype.
 * @throws ShapeError for another shape; ValueError for a bad or too large size.
 */
export function centerCrop<T extends tf.Tensor3D | tf.Tensor4D>(image: T, size: number | [number, number]): T {
  const fn = 'centerCrop';
  checkImage(fn, 'image', image);
  const crop: [number, number] =
    typeof size === 'number' ? [size, size] : Array.isArray(size) && size.length === 2 ? [size[0], size[1]] : [NaN, NaN];
  if (Number.isNaN(crop[0])) throw new ValueError(fn, 'size S or [height, width]', JSON.stringify(size) ?? String(size));
  checkInt(fn, 'crop height', crop[0], 1);
  checkInt(fn, 'crop width', crop[1], 1);
  const sides = sidesOf(image);
  if (crop[0] > sides[0] || crop[1] > sides[1]) {
    throw new ValueError(fn, `a crop no larger than the image (${sides[0]}×${sides[1]})`, `${crop[0]}×${crop[1]}`);
  }
  const [top, left] = centerCropOffsets(sides, crop);
  return cropRegion(image, top, left, crop[0], crop[1]);
}

function cropRegion<T extends tf.Tensor3D | tf.Tensor4D>(image: T, top: number, left: number, h: number, w: number): T {
  if (image.rank === 3) return tf.slice(image as tf.Tensor3D, [top, left, 0], [h, w, 3]) as T;
  return tf.slice(image as tf.Tensor4D, [0, top, left, 0], [image.shape[0], h, w, 3]) as T;
}

/**
 * The authors' content pad at test size `S` (`test.py`: `pad_size = 8 * (loadSize // 256)`):
 * `8·⌊S/256⌋` pixels on every side, 16 at S = 512, 0 below 256.
 */
export function authorsContentPad(size: number): number {
  checkInt('authorsContentPad', 'size', size, 1);
  return 8 * Math.floor(size / 256);
}

/**
 * torchvision's `Pad(pad, padding_mode='reflect')` (numpy's `'reflect'`: the edge pixel is not
 * repeated): `pad` pixels mirrored onto every side of an image or every image of a batch.
 * @param image `[H, W, 3]` or `[B, H, W, 3]`, any dtype and range.
 * @param pad pixels per side, an integer in `[0, min(H, W) − 1]`.
 * @returns `[H + 2·pad, W + 2·pad, 3]` (or batched); a copy for `pad = 0`.
 * @throws ShapeError for another shape; ValueError for a negative pad or one the image is too small to mirror.
 */
export function reflectPad<T extends tf.Tensor3D | tf.Tensor4D>(image: T, pad: number): T {
  const fn = 'reflectPad';
  checkImage(fn, 'image', image);
  checkInt(fn, 'pad', pad, 0);
  const [h, w] = sidesOf(image);
  if (pad > Math.min(h, w) - 1)
    throw new ValueError(fn, `pad <= ${Math.min(h, w) - 1} (the shorter side − 1) for a ${h}×${w} image`, String(pad));
  if (pad === 0) return tf.clone(image);
  const spatial: Array<[number, number]> = [
    [pad, pad],
    [pad, pad],
    [0, 0],
  ];
  return tf.mirrorPad(image, image.rank === 3 ? spatial : [[0, 0], ...spatial], 'reflect') as T;
}

/**
 * Takes `border` pixels off every side (the inverse of {@link reflectPad}; `test.py`:
 * `fake_B[:, :, p:-p, p:-p]`, without its empty result at p = 0: nothing is cropped then).
 * @param image `[H, W, 3]` or `[B, H, W, 3]`, any dtype and range.
 * @param border pixels per side, an integer with `2·border < min(H, W)`.
 * @returns `[H − 2·border, W − 2·border, 3]` (or batched).
 * @throws ShapeError for another shape; ValueError for a negative border or one that leaves nothing.
 */
export function cropBorder<T extends tf.Tensor3D | tf.Tensor4D>(image: T, border: number): T {
  const fn = 'cropBorder';
  checkImage(fn, 'image', image);
  checkInt(fn, 'border', border, 0);
  const [h, w] = sidesOf(image);
  if (2 * border >= Math.min(h, w))
    throw new ValueError(fn, `2·border < ${Math.min(h, w)} (the shorter side) for a ${h}×${w} image`, String(border));
  return cropRegion(image, border, border, h - 2 * border, w - 2 * border);
}
