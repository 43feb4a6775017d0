import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoLeaks } from '@tpfr/testing';
import { spatialMean } from '@tpfr/core';

describeEachBackend('spatialMean', () => {
  it('equals tf.mean over H and W, and so does its gradient (seeded shapes)', async () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 5 }), fc.integer(), (b, h, w, c, seed) => {
      tf.tidy(() => {
        const x = tf.randomNormal([b, h, w, c], 0, 1, 'float32', seed) as tf.Tensor4D;
        const want = tf.mean(x, [1, 2], true);
        const got = spatialMean(x);
        expect(got.shape).toEqual([b, 1, 1, c]);
        expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-6);
        const probe = tf.randomNormal([b, 1, 1, c], 0, 1, 'float32', seed + 1);
        const g = tf.grad((q: tf.Tensor) => tf.sum(tf.mul(spatialMean(q as tf.Tensor4D), probe)))(x);
        const gWant = tf.grad((q: tf.Tensor) => tf.sum(tf.mul(tf.mean(q, [1, 2], true), probe)))(x);
        expect(tf.max(tf.abs(tf.sub(g, gWant))).dataSync()[0]).toBeLessThan(1e-7);
      });
    }), { seed: 17, numRuns: 25 });
  });

  it('keeps no tensors and names itself on a wrong rank', async () => {
    const x = tf.randomNormal([2, 16, 12, 8], 0, 1, 'float32', 3) as tf.Tensor4D;
    await expectNoLeaks(() => spatialMean(x));
    await expectNoLeaks(() => tf.grad((q: tf.Tensor) => tf.sum(spatialMean(q as tf.Tensor4D)))(x));
    expect(() => spatialMean(tf.zeros([4, 4, 3]) as unknown as tf.Tensor4D)).toThrow(/spatialMean: expected x of rank 4 \[B, H, W, C\], received shape \[4, 4, 3\]/);
    x.dispose();
  });
});
