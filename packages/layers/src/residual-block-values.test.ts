import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { residualBlock } from './residual-block.js';

/** `x + IN(conv2(pad(PReLU(IN(conv1(pad(x)))))))` written out with tfjs ops, independently of the layer. */
function byHand(x: tf.Tensor4D, w: tf.Tensor[]): tf.Tensor4D {
  const [k1, b1, alpha, k2, b2] = w;
  return tf.tidy(() => {
    const inorm = (y: tf.Tensor4D) => {
      const { mean, variance } = tf.moments(y, [1, 2], true);
      return tf.div(tf.sub(y, mean), tf.sqrt(tf.add(variance, 1e-5))) as tf.Tensor4D;
    };
    const conv = (y: tf.Tensor4D, k: tf.Tensor, b: tf.Tensor) =>
      tf.add(
        tf.conv2d(
          tf.mirrorPad(
            y,
            [
              [0, 0],
              [1, 1],
              [1, 1],
              [0, 0],
            ],
            'reflect',
          ),
          k as tf.Tensor4D,
          1,
          'valid',
        ),
        b,
      ) as tf.Tensor4D;
    const h = inorm(conv(x, k1, b1));
    const p = tf.add(tf.relu(h), tf.mul(alpha, tf.neg(tf.relu(tf.neg(h)))));
    return tf.add(x, inorm(conv(p as tf.Tensor4D, k2, b2))) as tf.Tensor4D;
  });
}

it('the residual block is x plus its branch: the identity when the branch is zero, the formula otherwise', async () => {
  await initBackend('cpu');
  const x = tf.randomNormal([2, 6, 7, 4], 0, 1, 'float32', 3) as tf.Tensor4D;
  const block = residualBlock();
  tf.dispose(block.apply(x) as tf.Tensor); // builds the weights
  // conv2 with a zero kernel gives a constant map per channel, which instance norm turns into 0.
  const w = block.getWeights(); // conv1/kernel, conv1/bias, prelu/alpha, conv2/kernel, conv2/bias
  expect(w.map((t) => t.shape)).toEqual([[3, 3, 4, 4], [4], [1], [3, 3, 4, 4], [4]]);
  const zero = tf.zerosLike(w[3]);
  block.setWeights([w[0], w[1], w[2], zero, w[4]]);
  const same = block.apply(x) as tf.Tensor;
  expect(tf.tidy(() => tf.max(tf.abs(tf.sub(same, x))).dataSync()[0])).toBeLessThan(1e-5);
  // Random weights: the layer equals the formula written out by hand, and is not x.
  const random = [
    tf.randomNormal([3, 3, 4, 4], 0, 0.3, 'float32', 4),
    tf.randomNormal([4], 0, 0.1, 'float32', 5),
    tf.tensor1d([0.2]),
    tf.randomNormal([3, 3, 4, 4], 0, 0.3, 'float32', 6),
    tf.randomNormal([4], 0, 0.1, 'float32', 7),
  ];
  block.setWeights(random);
  const y = block.apply(x) as tf.Tensor4D;
  const want = byHand(x, random);
  expect(tf.tidy(() => tf.max(tf.abs(tf.sub(y, want))).dataSync()[0])).toBeLessThan(1e-4);
  expect(tf.tidy(() => tf.max(tf.abs(tf.sub(y, x))).dataSync()[0])).toBeGreaterThan(0.1);
  tf.dispose([x, same, y, want, zero, ...random]);
  block.dispose();
});
