import * as tf from '@tensorflow/tfjs-core';
import { spatialMean } from './spatial-mean.js';
import { instanceNormWasm } from './wasm-instance-norm.js';

/**
 * Instance normalization as a function: `x [B, H, W, C]` normalised per image and channel over
 * H×W (biased variance, `epsilon` added); optional `gamma`, `beta` `[C]`.
 *
 * On wasm, where no gradient is being recorded, our SIMD kernel does it in three passes over the
 * map (see `instanceNormWasm`). Elsewhere it is composed of tfjs ops, differentiable: the
 * statistics in scopes of their own, so at most two maps of x's size exist besides x at any time
 * (it matters at 2048² and above), the means {@link spatialMean}'s (fast on wasm). The two agree
 * within float32 rounding.
 *
 * @example
 * ```ts
 * const y = instanceNorm(tf.randomNormal([1, 8, 8, 4]) as tf.Tensor4D); // each channel: mean 0, variance 1
 * ```
 */
export function instanceNorm(x: tf.Tensor4D, epsilon = 1e-5, gamma?: tf.Tensor, beta?: tf.Tensor): tf.Tensor4D {
  const fast = instanceNormWasm(x, epsilon, gamma, beta);
  if (fast) return fast;
  return tf.tidy(() => {
    const centred = tf.tidy(() => tf.sub(x, spatialMean(x)));
    const scale = tf.tidy(() => tf.rsqrt(tf.add(spatialMean(tf.square(centred) as tf.Tensor4D), epsilon)));
    // Each map is freed once the next is made (a gradient tape keeps what it needs regardless).
    const then = (prev: tf.Tensor, next: tf.Tensor) => {
      prev.dispose();
      return next;
    };
    let y = then(centred, tf.mul(centred, scale));
    if (gamma) y = then(y, tf.mul(y, gamma));
    if (beta) y = then(y, tf.add(y, beta));
    return y as tf.Tensor4D;
  });
}
