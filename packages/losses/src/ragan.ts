import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';
import { WeightedLoss, type WeightedLossOptions } from './weighted-loss.js';
import { assertTensor } from './validate.js';

/*
 * Relativistic average GAN losses (Jolicoeur-Martineau 2018), in the two forms the TPFR paper
 * uses. `real` and `fake` are the discriminator's score maps (any rank, e.g. the `[B, N, N, 1]`
 * patch map of the conditional discriminator) on real and generated images. The relativistic
 * averages are scalars: `mean(fake)` over every element of the fake map and `mean(real)` likewise.
 *
 * Swap symmetry: each generator loss equals its discriminator loss with real and fake swapped,
 * `G(real, fake) = D(fake, real)`.
 */

/**
 * Checks two score maps: float32, non-empty, the same rank and the same shape apart from the
 * leading (batch) dimension, so a fake batch from the image history may differ in size from the real one.
 */
function checkScores(fn: string, real: unknown, fake: unknown): asserts real is tf.Tensor {
  assertTensor(fn, 'real', real);
  assertTensor(fn, 'fake', fake);
  if (real.size === 0) throw new ShapeError(fn, 'real to be a non-empty score map', `shape ${formatShape(real.shape)}`);
  if (fake.size === 0) throw new ShapeError(fn, 'fake to be a non-empty score map', `shape ${formatShape(fake.shape)}`);
  const sameRest = real.rank === fake.rank && (real.rank === 0 || tf.util.arraysEqual(real.shape.slice(1), fake.shape.slice(1)));
  if (!sameRest) {
    const want = real.rank === 0 ? '[]' : formatShape([null, ...real.shape.slice(1)]);
    throw new ShapeError(
      fn,
      `fake of shape ${want} (as real ${formatShape(real.shape)}, batch may differ)`,
      `shape ${formatShape(fake.shape)}`,
    );
  }
}

/** ½·[mean((x − mean(y) − 1)²) + mean((y − mean(x) + 1)²)]: D-form with (x, y) = (real, fake). */
function lsPair(x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const a = tf.mean(tf.square(tf.sub(tf.sub(x, tf.mean(y)), 1)));
  const b = tf.mean(tf.square(tf.add(tf.sub(y, tf.mean(x)), 1)));
  return tf.mul(tf.add(a, b), 0.5) as tf.Scalar;
}

/**
 * −mean(log σ(x − mean y)) − mean(log(1 − σ(y − mean x))), stably: −log σ(t) = softplus(−t) and
 * −log(1 − σ(t)) = softplus(t), so no σ is ever taken of a large |t|. D-form with (x, y) = (real, fake).
 */
function bcePair(x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const a = tf.mean(tf.softplus(tf.neg(tf.sub(x, tf.mean(y)))));
  const b = tf.mean(tf.softplus(tf.sub(y, tf.mean(x))));
  return tf.add(a, b) as tf.Scalar;
}

/**
 * Relativistic average least-squares discriminator loss, the form the authors train with:
 *
 *   L_D = ½·[ mean((D(r) − mean D(f) − 1)²) + mean((D(f) − mean D(r) + 1)²) ]
 *
 * @param real discriminator scores of real images, any shape, e.g. `[B, N, N, 1]`.
 * @param fake scores of generated images; same shape as `real` except possibly the batch (first) dim.
 * @returns a scalar `>= 0`; zero when every real score exceeds the mean fake score by 1 and vice versa.
 * @throws ShapeError on non-float, empty or mismatched score maps.
 */
export function raganLsDiscriminatorLoss(real: tf.Tensor, fake: tf.Tensor): tf.Scalar {
  checkScores('raganLsDiscriminatorLoss', real, fake);
  return tf.tidy(() => lsPair(real, fake));
}

/**
 * Relativistic average least-squares generator loss, the form the authors train with:
 *
 *   L_G = ½·[ mean((D(r) − mean D(f) + 1)²) + mean((D(f) − mean D(r) − 1)²) ]
 *
 * Equals `raganLsDiscriminatorLoss(fake, real)`.
 * @param real discriminator scores of real images, any shape, e.g. `[B, N, N, 1]`.
 * @param fake scores of generated images; same shape as `real` except possibly the batch (first) dim.
 * @returns a scalar `>= 0`.
 * @throws ShapeError on non-float, empty or mismatched score maps.
 */
export function raganLsGeneratorLoss(real: tf.Tensor, fake: tf.Tensor): tf.Scalar {
  checkScores('raganLsGeneratorLoss', real, fake);
  return tf.tidy(() => lsPair(fake, real));
}

/**
 * Relativistic average discriminator loss with sigmoid cross-entropy (the RaGAN the paper states):
 *
 *   L_D = −mean(log σ(D(r) − mean D(f))) − mean(log(1 − σ(D(f) − mean D(r))))
 *       =  mean(softplus(−(D(r) − mean D(f)))) + mean(softplus(D(f) − mean D(r)))
 *
 * computed in the second, stable form: finite for any finite scores.
 * @param real discriminator scores (logits) of real images, any shape.
 * @param fake scores of generated images; same shape as `real` except possibly the batch (first) dim.
 * @returns a scalar `> 0`.
 * @throws ShapeError on non-float, empty or mismatched score maps.
 */
export function raganBceDiscriminatorLoss(real: tf.Tensor, fake: tf.Tensor): tf.Scalar {
  checkScores('raganBceDiscriminatorLoss', real, fake);
  return tf.tidy(() => bcePair(real, fake));
}

/**
 * Relativistic average generator loss with sigmoid cross-entropy:
 *
 *   L_G = −mean(log σ(D(f) − mean D(r))) − mean(log(1 − σ(D(r) − mean D(f))))
 *       =  mean(softplus(−(D(f) − mean D(r)))) + mean(softplus(D(r) − mean D(f)))
 *
 * computed in the stable second form. Equals `raganBceDiscriminatorLoss(fake, real)`.
 * @param real discriminator scores (logits) of real images, any shape.
 * @param fake scores of generated images; same shape as `real` except possibly the batch (first) dim.
 * @returns a scalar `> 0`.
 * @throws ShapeError on non-float, empty or mismatched score maps.
 */
export function raganBceGeneratorLoss(real: tf.Tensor, fake: tf.Tensor): tf.Scalar {
  checkScores('raganBceGeneratorLoss', real, fake);
  return tf.tidy(() => bcePair(fake, real));
}

/** Weighted {@link raganLsDiscriminatorLoss}: `call(real, fake) = weight · L_D^LS(real, fake)`. */
export class RaganLsDiscriminatorLoss extends WeightedLoss {
  constructor(options: WeightedLossOptions = {}) {
    super('RaganLsDiscriminatorLoss', options.weight);
  }
  /** `weight · raganLsDiscriminatorLoss(real, fake)`; score maps → scalar. */
  call(real: tf.Tensor, fake: tf.Tensor): tf.Scalar {
    return this.weighted(() => raganLsDiscriminatorLoss(real, fake));
  }
}

/** Weighted {@link raganLsGeneratorLoss}: `call(real, fake) = weight · L_G^LS(real, fake)`. */
export class RaganLsGeneratorLoss extends WeightedLoss {
  constructor(options: WeightedLossOptions = {}) {
    super('RaganLsGeneratorLoss', options.weight);
  }
  /** `weight · raganLsGeneratorLoss(real, fake)`; score maps → scalar. */
  call(real: tf.Tensor, fake: tf.Tensor): tf.Scalar {
    return this.weighted(() => raganLsGeneratorLoss(real, fake));
  }
}

/** Weighted {@link raganBceDiscriminatorLoss}: `call(real, fake) = weight · L_D^BCE(real, fake)`. */
export class RaganBceDiscriminatorLoss extends WeightedLoss {
  constructor(options: WeightedLossOptions = {}) {
    super('RaganBceDiscriminatorLoss', options.weight);
  }
  /** `weight · raganBceDiscriminatorLoss(real, fake)`; score maps → scalar. */
  call(real: tf.Tensor, fake: tf.Tensor): tf.Scalar {
    return this.weighted(() => raganBceDiscriminatorLoss(real, fake));
  }
}

/** Weighted {@link raganBceGeneratorLoss}: `call(real, fake) = weight · L_G^BCE(real, fake)`. */
export class RaganBceGeneratorLoss extends WeightedLoss {
  constructor(options: WeightedLossOptions = {}) {
    super('RaganBceGeneratorLoss', options.weight);
  }
  /** `weight · raganBceGeneratorLoss(real, fake)`; score maps → scalar. */
  call(real: tf.Tensor, fake: tf.Tensor): tf.Scalar {
    return this.weighted(() => raganBceGeneratorLoss(real, fake));
  }
}
