/**
 * Fixed (non-learned) image filters shared by the evaluation metrics: luminance and colour
 * opponents, and Sobel / Laplacian kernels for tf.conv2d. Internal to src/eval.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';

/** Sobel x (horizontal derivative), normalised by 1/8 so a unit ramp gives 1. */
const SOBEL_X = [-1, 0, 1, -2, 0, 2, -1, 0, 1].map((v) => v / 8);
/** Sobel y (vertical derivative), normalised by 1/8. */
const SOBEL_Y = [-1, -2, -1, 0, 0, 0, 1, 2, 1].map((v) => v / 8);
/** 4-neighbour Laplacian. */
const LAPLACIAN = [0, 1, 0, 1, -4, 1, 0, 1, 0];

/** Checks that `img` is `[H, W, 3]` with H, W ≥ `minSide`; throws a ShapeError naming `fn`. */
export function assertImage(fn: string, name: string, img: tf.Tensor, minSide = 3): void {
  const [h = 0, w = 0, c = 0] = img.shape as number[];
  if (img.rank !== 3 || c !== 3 || h < minSide || w < minSide) {
    throw new ShapeError(fn, `${name} of shape [H, W, 3] with H, W >= ${minSide}`, formatShape(img.shape));
  }
}

/**
 * Luminance and colour opponents of an RGB batch `[B, H, W, 3]`: channels
 * `L = 0.299 R + 0.587 G + 0.114 B`, `O1 = R - G`, `O2 = (R + G) / 2 - B`, as `[B, H, W, 3]`.
 */
export function opponentColours(rgb: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const m = tf.tensor2d([0.299, 1, 0.5, 0.587, -1, 0.5, 0.114, 0, -1], [3, 3]);
    const [b, h, w] = rgb.shape;
    return tf.reshape(tf.matMul(tf.reshape(rgb, [-1, 3]), m), [b, h, w, 3]) as tf.Tensor4D;
  });
}

/** Luminance `[B, H, W, 1]` of an RGB batch `[B, H, W, 3]`. */
export function luminance(rgb: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sum(tf.mul(rgb, tf.tensor1d([0.299, 0.587, 0.114])), -1, true) as tf.Tensor4D);
}

/** Builds a `[3, 3, inC, outC]` kernel from `(input channel, 3×3 taps)` pairs, one per output. */
function kernel(inC: number, outputs: [number, number[]][]): tf.Tensor4D {
  const outC = outputs.length;
  const data = new Float32Array(9 * inC * outC);
  outputs.forEach(([c, taps], o) => {
    for (let t = 0; t < 9; t++) data[(t * inC + c) * outC + o] = taps[t];
  });
  return tf.tensor4d(data, [3, 3, inC, outC]);
}

/**
 * Texture responses of an opponent-colour batch `[B, H, W, 3]` (L, O1, O2): Sobel x, Sobel y and
 * Laplacian of L, Sobel x and y of O1 and of O2 — `[B, H-2, W-2, 7]` ('valid' convolution).
 */
export function textureResponses(opp: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const k = kernel(3, [
      [0, SOBEL_X],
      [0, SOBEL_Y],
      [0, LAPLACIAN],
      [1, SOBEL_X],
      [1, SOBEL_Y],
      [2, SOBEL_X],
      [2, SOBEL_Y],
    ]);
    return tf.conv2d(opp, k, 1, 'valid');
  });
}

/** Sobel gradient magnitude `[B, H-2, W-2, 1]` of a one-channel batch `[B, H, W, 1]`. */
export function sobelMagnitude(gray: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const g = tf.conv2d(
      gray,
      kernel(1, [
        [0, SOBEL_X],
        [0, SOBEL_Y],
      ]),
      1,
      'valid',
    );
    return tf.sqrt(tf.sum(tf.square(g), -1, true)) as tf.Tensor4D;
  });
}
