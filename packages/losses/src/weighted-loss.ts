import * as tf from '@tensorflow/tfjs-core';
import { assertFiniteNumber } from './validate.js';

/** Options every loss class takes. */
export interface WeightedLossOptions {
  /** Factor the loss is multiplied by in `call` (default 1). Must be finite and `>= 0`. */
  weight?: number;
}

/**
 * Base of the loss classes: holds the weight and scales a loss by it. A subclass holds its
 * options and exposes `call(...)`, which returns `weight · fn(...)` for its pure function `fn`.
 */
export abstract class WeightedLoss {
  /** Factor applied to the loss by `call`. */
  readonly weight: number;

  /** @param name the class name, used in errors. */
  protected constructor(name: string, weight = 1) {
    assertFiniteNumber(`${name}`, 'weight', weight, 0);
    this.weight = weight;
  }

  /** `weight · compute()`, inside one `tf.tidy`. */
  protected weighted(compute: () => tf.Scalar): tf.Scalar {
    return tf.tidy(() => {
      const loss = compute();
      return this.weight === 1 ? loss : tf.mul(loss, this.weight);
    });
  }
}
