import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, expect, it } from 'vitest';
import { initBackend, ShapeError } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { renderPhoto } from '../data/synthetic.js';
import { edgeCorrelation } from './edge-correlation.js';

beforeAll(async () => {
  await initBackend('cpu');
});

test.prop([fc.integer({ min: 0, max: 1e6 }), fc.double({ min: -0.5, max: 0.5, noNaN: true })], { seed: 42, numRuns: 10 })(
  'edgeCorrelation(x, x) = 1 and is invariant to a constant offset',
  (seed, offset) => {
    const x = renderPhoto(seed, 24);
    const y = tf.tidy(() => tf.add(x, offset) as tf.Tensor3D);
    expect(edgeCorrelation(x, x)).toBeCloseTo(1, 5);
    expect(edgeCorrelation(y, x)).toBeCloseTo(1, 4);
    tf.dispose([x, y]);
  },
);

it('is lower for blurred or noisy results and ~0 for unrelated images', () => {
  const x = renderPhoto(5, 48);
  const blurred = tf.tidy(() => tf.squeeze(tf.avgPool(tf.expandDims(x, 0) as tf.Tensor4D, 5, 1, 'same'), [0]) as tf.Tensor3D);
  const noisy = tf.tidy(() => tf.add(x, tf.randomUniform(x.shape, -0.6, 0.6, 'float32', 7)) as tf.Tensor3D);
  const other = renderPhoto(6, 48);
  const rBlur = edgeCorrelation(blurred, x);
  const rNoise = edgeCorrelation(noisy, x);
  const rOther = edgeCorrelation(other, x);
  expect(rBlur).toBeLessThan(0.95);
  expect(rNoise).toBeLessThan(0.9);
  expect(rOther).toBeLessThan(rBlur);
  expect(rOther).toBeLessThan(rNoise);
  tf.dispose([x, blurred, noisy, other]);
});

it('resizes the result to the content size, handles flat images, names bad shapes and leaks nothing', async () => {
  const x = renderPhoto(8, 32);
  const big = tf.tidy(() => tf.image.resizeBilinear(x, [64, 64], false, true) as tf.Tensor3D);
  expect(edgeCorrelation(big, x)).toBeGreaterThan(0.9);
  const flat = tf.fill([16, 16, 3], 0.2) as tf.Tensor3D;
  const flat2 = tf.fill([16, 16, 3], -0.7) as tf.Tensor3D;
  expect(edgeCorrelation(flat, flat2)).toBe(1);
  expect(edgeCorrelation(flat, x)).toBe(0);
  const bad = tf.zeros([16, 16]) as unknown as tf.Tensor3D;
  expect(() => edgeCorrelation(bad, x)).toThrow(ShapeError);
  expect(() => edgeCorrelation(x, bad)).toThrow(/edgeCorrelation: expected content of shape \[H, W, 3\]/);
  await expectNoLeaks(() => edgeCorrelation(big, x), 'edgeCorrelation');
  tf.dispose([x, big, flat, flat2, bad]);
});
