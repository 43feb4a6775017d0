import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { expect, it } from 'vitest';
import { availableBackends, collectTensors, expectNoLeaks, featureMapArb, matrixArb } from '@tpfr/core/testing';
import { initBackend, ShapeError, TpfrError } from '@tpfr/core';

it('expectNoLeaks passes clean code and names a leak', async () => {
  await initBackend('cpu');
  await expect(expectNoLeaks(() => tf.tidy(() => tf.add(tf.ones([2]), 1)))).resolves.toBe(1);
  let leaked: tf.Tensor | undefined;
  await expect(expectNoLeaks(() => { leaked = tf.ones([2]); tf.ones([1]).clone(); }, 'leaky')).rejects.toThrow(/leaky leaked 3 tensor/);
  leaked?.dispose();
  tf.disposeVariables();
  expect(collectTensors({ a: [tf.scalar(1)], b: 'x' })).toHaveLength(1);
});

it('lists the backends that work here', async () => {
  expect(await availableBackends()).toEqual(['cpu', 'wasm']);
});

test.prop([featureMapArb({ integerRange: 2 }), matrixArb([1, 3], [2, 2])], { seed: 4, numRuns: 10 })('arbitraries honour their bounds', (fm, mat) => {
  expect(fm.data.length).toBe(fm.shape.reduce((a, b) => a * b, 1));
  expect(fm.data.every((v) => Number.isInteger(v) && Math.abs(v) <= 2)).toBe(true);
  expect(mat.shape[1]).toBe(2);
  void fc;
});

it('errors carry the function, the expectation and what was received', () => {
  const e = new ShapeError('knn', 'pool of rank 2 [M, d]', 'shape [2,2,2]');
  expect(e).toBeInstanceOf(TpfrError);
  expect(e.name).toBe('ShapeError');
  expect(e.fn).toBe('knn');
  expect(e.message).toBe('knn: expected pool of rank 2 [M, d], received shape [2,2,2]');
});
