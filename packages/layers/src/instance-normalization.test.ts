import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { InstanceNormalization, instanceNormalization } from './instance-normalization.js';
import { describeLayerContract } from '@tpfr/testing/layers';

describeLayerContract({
  name: 'InstanceNormalization',
  make: () => instanceNormalization(),
  inputShapes: [[2, 4, 5, 3]],
  symbolicShapes: [[null, null, 3]],
  trainableWeights: 0,
});
describeLayerContract({
  name: 'InstanceNormalization (affine)',
  make: () => instanceNormalization({ affine: true }),
  inputShapes: [[2, 4, 5, 3]],
  symbolicShapes: [[null, null, 3]],
  trainableWeights: 2,
});

describe('InstanceNormalization', () => {
  it('normalises each image and channel to mean 0 and variance 1 over H×W', () => {
    const x = tf.randomNormal([2, 5, 6, 3], 3, 2, 'float32', 1);
    const y = new InstanceNormalization({ epsilon: 0 }).apply(x) as tf.Tensor;
    const { mean, variance } = tf.moments(y, [1, 2]);
    expect(Math.max(...Array.from(tf.abs(mean).dataSync()))).toBeLessThan(1e-5);
    expect(Math.max(...Array.from(tf.abs(tf.sub(variance, 1)).dataSync()))).toBeLessThan(1e-4);
    tf.dispose([x, y, mean, variance]);
  });
  it('names itself in shape errors', () => {
    expect(() => new InstanceNormalization().apply(tf.zeros([2, 3]))).toThrow(/TpfrInstanceNormalization: expected .*\[B, H, W, C\]/);
  });
});
