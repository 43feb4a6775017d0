import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { GlobalStyle, globalStyle } from './global-style.js';
import { describeLayerContract } from './layer-contract.js';

describeLayerContract({ name: 'GlobalStyle', make: () => globalStyle({ filters: 4 }), inputShapes: [[2, 9, 8, 3]], symbolicShapes: [[null, null, 3]], trainableWeights: 6, atol: 1e-5 });

describeLayerContract({ name: 'GlobalStyle without instance norm', make: () => globalStyle({ filters: 4, normalize: false }), inputShapes: [[2, 9, 8, 3]], symbolicShapes: [[null, null, 3]], trainableWeights: 6, atol: 1e-5 });

describe('GlobalStyle', () => {
  it('without instance norm keeps a signal where the last map is 1×1 (with it: zeros)', () => {
    const x = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 6);
    const normed = new GlobalStyle({ filters: 6 }).apply(x) as tf.Tensor4D;
    const plain = new GlobalStyle({ filters: 6, normalize: false }).apply(x) as tf.Tensor4D;
    expect(tf.max(tf.abs(normed)).dataSync()[0]).toBe(0);
    expect(tf.max(tf.abs(plain)).dataSync()[0]).toBeGreaterThan(0);
    expect(new GlobalStyle({ normalize: false }).getConfig().normalize).toBe(false);
    tf.dispose([x, normed, plain]);
  });

  it('is constant over H×W and follows PyTorch stride-2 padding-1 sizes', () => {
    const x = tf.randomNormal([2, 16, 12, 3], 0, 1, 'float32', 5);
    const y = new GlobalStyle({ filters: 5 }).apply(x) as tf.Tensor4D;
    expect(y.shape).toEqual([2, 16, 12, 5]);
    const spread = tf.sub(tf.max(y, [1, 2]), tf.min(y, [1, 2]));
    expect(tf.max(spread).dataSync()[0]).toBe(0);
    tf.dispose([x, y, spread]);
  });
});
