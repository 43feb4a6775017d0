import * as tf from '@tensorflow/tfjs-core';

/** The mean of scalar loss terms, `(1/n) Σ xs` (the term itself when n = 1). Call inside a tidy. */
export function meanOf(xs: readonly tf.Scalar[]): tf.Scalar {
  return (xs.length === 1 ? xs[0] : tf.div(tf.addN(xs as tf.Scalar[]), xs.length)) as tf.Scalar;
}
