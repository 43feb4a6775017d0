import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';
import { assertNonEmptyArray } from './validate.js';
import { meanOf } from './mean-of.js';

/**
 * Averages a loss over several conditioning exemplars, for the conditional discriminator
 * (method §4), which judges an image together with an exemplar of the style class:
 *
 *   L = (1/E) · Σ_{e=1..E} loss(exemplar_e, e)
 *
 * e.g. `meanOverExemplars(styleImages, (s) => raganLsDiscriminatorLoss(D(real, s), D(fake, s)))`.
 * Runs in one `tf.tidy`: everything `loss` creates is freed, only the mean is returned, and the
 * mean is differentiable (usable inside `optimizer.minimize`).
 * @param exemplars conditioning exemplars (typically `[B, H, W, 3]` images), at least one.
 * @param loss maps one exemplar (and its index) to a scalar loss.
 * @returns a scalar, the mean of the E losses.
 * @throws ShapeError on an empty list or when `loss` returns anything but a scalar tensor.
 */
export function meanOverExemplars<T>(exemplars: readonly T[], loss: (exemplar: T, index: number) => tf.Scalar): tf.Scalar {
  const fn = 'meanOverExemplars';
  assertNonEmptyArray(fn, 'exemplars', exemplars, 'conditioning exemplar');
  return tf.tidy(() => {
    const values = exemplars.map((e, i) => {
      const v = loss(e, i);
      if (!(v instanceof tf.Tensor) || v.rank !== 0) {
        const got = v instanceof tf.Tensor ? `shape ${formatShape(v.shape)}` : typeof v;
        throw new ShapeError(fn, `loss(exemplars[${i}]) to return a scalar tensor`, got);
      }
      return v;
    });
    return meanOf(values);
  });
}
