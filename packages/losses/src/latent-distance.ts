import * as tf from '@tensorflow/tfjs-core';
import '@tpfr/core';
import { WeightedLoss, type WeightedLossOptions } from './weighted-loss.js';
import { assertFeatureMap, assertFiniteNumber, assertSameShape, assertTensor } from './validate.js';

/**
 * Element-wise SmoothL1 (Huber divided by β), as `torch.nn.SmoothL1Loss(reduction='none')`:
 *
 *   SmoothL1(x) = 0.5·x²/β   if |x| < β
 *               = |x| − 0.5·β otherwise
 *
 * computed without a branch as `0.5·q²/β + (|x| − q)` with `q = min(|x|, β)`. With `β = 0` it is
 * `|x|`.
 * @param x any shape, float32.
 * @param beta the switch point, `>= 0` (default 1).
 * @returns a tensor of the shape of `x`.
 */
export function smoothL1(x: tf.Tensor, beta = 1): tf.Tensor {
  const fn = 'smoothL1';
  assertTensor(fn, 'x', x);
  assertFiniteNumber(fn, 'beta', beta, 0);
  return tf.tidy(() => smoothL1Unchecked(x, beta));
}

/** {@link smoothL1} without checks or tidy (internal). */
function smoothL1Unchecked(x: tf.Tensor, beta: number): tf.Tensor {
  const ax = tf.abs(x);
  if (beta === 0) return ax;
  const q = tf.minimum(ax, beta);
  return tf.add(tf.mul(tf.square(q), 0.5 / beta), tf.sub(ax, q));
}

/** Per-pixel SmoothL1 summed over channels: `[B, H, W]`. Inputs are already checked (internal). */
function channelSum(a: tf.Tensor4D, b: tf.Tensor4D, beta: number): tf.Tensor3D {
  return tf.sum(smoothL1Unchecked(tf.sub(a, b), beta), 3) as tf.Tensor3D;
}

/**
 * {@link perSampleLatentDistance} without checks or tidy, for callers that checked their inputs
 * and run inside their own tidy (internal, not exported from the package).
 */
export function sampleDistancesUnchecked(a: tf.Tensor4D, b: tf.Tensor4D, beta: number): tf.Tensor1D {
  return tf.mean(channelSum(a, b, beta), [1, 2]) as tf.Tensor1D;
}

/** {@link latentDistance} without checks or tidy (internal, not exported from the package). */
export function latentDistanceUnchecked(a: tf.Tensor4D, b: tf.Tensor4D, beta: number): tf.Scalar {
  return tf.mean(channelSum(a, b, beta)) as tf.Scalar;
}

/**
 * Per-sample latent distance: for each image of the batch, the mean over its H·W pixels of the
 * channel-sum of SmoothL1(a − b):
 *
 *   d_b = (1 / HW) · Σ_{h,w} Σ_c SmoothL1(a[b,h,w,c] − b[b,h,w,c])
 *
 * @param a `[B, H, W, C]` latent (content or style code, or any feature map).
 * @param b `[B, H, W, C]`, the same shape as `a`.
 * @param beta SmoothL1 switch point, `>= 0` (default 1).
 * @returns `[B]`, one distance per sample, each `>= 0`.
 * @throws ShapeError when a or b is not a non-empty rank-4 float32 tensor or their shapes differ.
 */
export function perSampleLatentDistance(a: tf.Tensor4D, b: tf.Tensor4D, beta = 1): tf.Tensor1D {
  const fn = 'perSampleLatentDistance';
  checkPair(fn, a, b, beta);
  return tf.tidy(() => sampleDistancesUnchecked(a, b, beta));
}

/**
 * The latent distance `dist(a, b)` of the paper: SmoothL1 per element, summed over channels,
 * averaged over all B·H·W pixels:
 *
 *   dist(a, b) = (1 / BHW) · Σ_{b,h,w} Σ_c SmoothL1(a − b),   SmoothL1(x) = 0.5x²/β if |x| < β else |x| − 0.5β
 *
 * It is zero iff `a = b`, symmetric, and equals the mean of {@link perSampleLatentDistance}.
 * @param a `[B, H, W, C]`.
 * @param b `[B, H, W, C]`, the same shape as `a`.
 * @param beta SmoothL1 switch point, `>= 0` (default 1, as the authors).
 * @returns a scalar `>= 0`.
 * @throws ShapeError when a or b is not a non-empty rank-4 float32 tensor or their shapes differ.
 */
export function latentDistance(a: tf.Tensor4D, b: tf.Tensor4D, beta = 1): tf.Scalar {
  const fn = 'latentDistance';
  checkPair(fn, a, b, beta);
  return tf.tidy(() => latentDistanceUnchecked(a, b, beta));
}

/** Checks of a latent pair, shared by the distance functions (internal). */
export function checkPair(fn: string, a: unknown, b: unknown, beta: number, aName = 'a', bName = 'b'): void {
  assertFeatureMap(fn, aName, a);
  assertFeatureMap(fn, bName, b);
  assertSameShape(fn, aName, a, bName, b);
  assertFiniteNumber(fn, 'beta', beta, 0);
}

/** Options of {@link LatentDistance}. */
export interface LatentDistanceOptions extends WeightedLossOptions {
  /** SmoothL1 switch point (default 1). */
  beta?: number;
}

/** Weighted {@link latentDistance}: `call(a, b) = weight · dist(a, b)`. */
export class LatentDistance extends WeightedLoss {
  /** SmoothL1 switch point. */
  readonly beta: number;
  constructor(options: LatentDistanceOptions = {}) {
    super('LatentDistance', options.weight);
    assertFiniteNumber('LatentDistance', 'beta', options.beta ?? 1, 0);
    this.beta = options.beta ?? 1;
  }
  /** `weight · latentDistance(a, b, beta)`; a, b `[B, H, W, C]` → scalar. */
  call(a: tf.Tensor4D, b: tf.Tensor4D): tf.Scalar {
    return this.weighted(() => latentDistance(a, b, this.beta));
  }
}
