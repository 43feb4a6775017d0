import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { describeLayerContract } from '@tpfr/testing/layers';
import { ReflectionPadding2D, reflectionPadding2d } from './reflection-padding.js';

describeLayerContract({
  name: 'ReflectionPadding2D',
  make: () =>
    reflectionPadding2d({
      padding: [
        [1, 2],
        [2, 1],
      ],
    }),
  inputShapes: [[2, 4, 5, 3]],
  symbolicShapes: [[null, null, 3]],
  trainableWeights: 0,
});

describe('ReflectionPadding2D', () => {
  it('reflects without repeating the edge, as PyTorch ReflectionPad2d', () => {
    const x = tf.tensor4d([1, 2, 3], [1, 1, 3, 1]);
    const y = new ReflectionPadding2D({ padding: [0, 2] }).apply(x) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual([3, 2, 1, 2, 3, 2, 1]);
    tf.dispose([x, y]);
  });
  it('keeps unknown dims null in computeOutputShape', () => {
    expect(new ReflectionPadding2D({ padding: 3 }).computeOutputShape([null, null, 8, 3])).toEqual([null, null, 14, 3]);
  });
  it('rejects a pad not smaller than the side, naming the layer and shape', () => {
    expect(() => new ReflectionPadding2D({ padding: 2 }).apply(tf.zeros([1, 2, 5, 1]))).toThrow(
      /TpfrReflectionPadding2D: expected .*received shape \[1,2,5,1\]/,
    );
  });
});
