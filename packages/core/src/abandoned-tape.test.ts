import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { initBackend, releaseAbandonedTape } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

it('frees the tensors a failed forward pass left on the tape, and nothing else', () => {
  const x = tf.variable(tf.ones([4]));
  const before = tf.memory().numTensors;
  expect(() =>
    tf.variableGrads(() => {
      const y = tf.sum(tf.mul(tf.exp(x), x));
      if (y.shape.length === 0) throw new Error('stand-in failure');
      return y as tf.Scalar;
    }, [x]),
  ).toThrow('stand-in failure');
  // tfjs keeps each op's saved inputs and outputs until a backward pass that never comes.
  expect(tf.memory().numTensors).toBeGreaterThan(before);
  expect(releaseAbandonedTape()).toBeGreaterThan(0);
  expect(tf.memory().numTensors).toBe(before);
  // Nothing left: a second call frees nothing, and gradients work again.
  expect(releaseAbandonedTape()).toBe(0);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(x)) as tf.Scalar, [x]);
  expect(Array.from(grads[x.name].dataSync())).toEqual([2, 2, 2, 2]);
  tf.dispose([value, ...Object.values(grads)]);
  expect(tf.memory().numTensors).toBe(before);
  x.dispose();
});
