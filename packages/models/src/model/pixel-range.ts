import * as tf from '@tensorflow/tfjs-core';

/*
 * The one conversion between the 0–255 pixel scale of image files and the networks' `[-1, 1]`
 * range: every other module goes through these two functions.
 */

/**
 * Maps an image on the 0–255 scale (any shape, e.g. `[H, W, 3]` or `[B, H, W, 3]`, any dtype) to
 * float32 in `[-1, 1]`: `x / 127.5 - 1`.
 */
export function toModelRange<T extends tf.Tensor>(image: T): T {
  return tf.tidy(() => tf.sub(tf.div(tf.cast(image, 'float32'), 127.5), 1)) as T;
}

/**
 * Maps a model-range image (`[-1, 1]`, any shape) back to float32 on the 0–255 scale:
 * `(x + 1) * 127.5`, clipped to `[0, 255]` (not rounded).
 */
export function fromModelRange<T extends tf.Tensor>(image: T): T {
  return tf.tidy(() => tf.clipByValue(tf.mul(tf.add(tf.cast(image, 'float32'), 1), 127.5), 0, 255)) as T;
}
