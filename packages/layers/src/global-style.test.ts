import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { GlobalStyle, globalStyle } from './global-style.js';
import { describeLayerContract } from '@tpfr/testing/layers';

describeLayerContract({
  name: 'GlobalStyle',
  make: () => globalStyle({ filters: 4 }),
  inputShapes: [[2, 9, 8, 3]],
  symbolicShapes: [[null, null, 3]],
  trainableWeights: 6,
  atol: 1e-5,
});

describeLayerContract({
  name: 'GlobalStyle without instance norm',
  make: () => globalStyle({ filters: 4, normalize: false }),
  inputShapes: [[2, 9, 8, 3]],
  symbolicShapes: [[null, null, 3]],
  trainableWeights: 6,
  atol: 1e-5,
});

describe('GlobalStyle', () => {
  it('without instance norm keeps a signal where the last map is 1×1 (with it: zeros)', () => {
    // Positive input and positive weights: every ReLU passes, so the plain branch cannot come
    // out all zeros by chance (the layers' initializers are given no seed).
    const before = tf.memory().numTensors;
    const x = tf.tidy(() => tf.abs(tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 6)));
    const layers = [new GlobalStyle({ filters: 6 }), new GlobalStyle({ filters: 6, normalize: false })];
    const [normed, plain] = layers.map((layer) => {
      tf.dispose(layer.apply(x) as tf.Tensor); // builds the weights
      const weights = layer.getWeights().map((w) => tf.fill(w.shape, 0.1));
      layer.setWeights(weights);
      tf.dispose(weights);
      return layer.apply(x) as tf.Tensor4D;
    });
    expect(tf.tidy(() => tf.max(tf.abs(normed)).dataSync()[0])).toBe(0);
    expect(tf.tidy(() => tf.min(plain).dataSync()[0])).toBeGreaterThan(0);
    expect(new GlobalStyle({ normalize: false }).getConfig().normalize).toBe(false);
    layers.forEach((layer) => layer.dispose());
    tf.dispose([x, normed, plain]);
    expect(tf.memory().numTensors).toBe(before);
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
