import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { hashSeed } from '@tpfr/core/utils';

/**
 * Re-draws every kernel of `models` from a seeded Glorot-uniform distribution, so a model built
 * twice with the same seed starts from identical weights (the layers create their kernels with
 * initializers given no seed, which draw from tfjs' global random state). Biases, norms and PReLU slopes keep their constant initial values. Kernels are
 * recognised by name (`…kernel…`) and rank ≥ 2; each weight's seed mixes `seed` and its name.
 */
export function seedKernels(models: tfl.LayersModel[], seed: number): number {
  let count = 0;
  for (const model of models) {
    for (const w of model.weights) {
      if (!/kernel/i.test(w.originalName ?? w.name) || w.shape.length < 2) continue;
      const shape = w.shape as number[];
      const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
      const fanIn = shape[shape.length - 2] * receptive;
      const fanOut = shape[shape.length - 1] * receptive;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      const s = hashSeed(seed, ...Array.from(w.originalName ?? w.name, (ch) => ch.charCodeAt(0)));
      tf.tidy(() => {
        w.write(tf.randomUniform(shape, -limit, limit, 'float32', s));
      });
      count++;
    }
  }
  return count;
}
