import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { WeightAverage } from './weight-average.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const values = (vs: readonly tf.Tensor[]) => vs.map((v) => Array.from(v.dataSync()));

it('does nothing with a decay of 0', () => {
  const w = [tf.variable(tf.tensor1d([1, 2]))];
  const avg = new WeightAverage(0);
  const before = tf.memory().numTensors;
  avg.update(w);
  avg.update(w);
  expect(avg.count).toBe(0);
  expect(avg.values).toEqual([]);
  expect(tf.memory().numTensors).toBe(before);
  expect(avg.applyTo(w)).toBe(false);
  tf.dispose(w);
});

it('starts from a copy of the weights, then moves by (1 − d)·(w − avg) with d = min(decay, (1 + t) / (10 + t))', () => {
  const w: tf.Variable[] = [tf.variable(tf.tensor1d([1, -2])), tf.variable(tf.scalar(4))];
  const avg = new WeightAverage(0.2);
  avg.update(w);
  expect(avg.count).toBe(1);
  expect(values(avg.values)).toEqual([[1, -2], [4]]);
  expect(avg.values.every((v) => !v.trainable)).toBe(true);
  // A copy: changing the weights does not change the average.
  w[0].assign(tf.tensor1d([11, 8]));
  w[1].assign(tf.scalar(14));
  expect(values(avg.values)).toEqual([[1, -2], [4]]);
  // t = 1: d = min(0.2, 2/11) = 2/11.
  const before = tf.memory().numTensors;
  avg.update(w);
  expect(tf.memory().numTensors).toBe(before);
  expect(avg.count).toBe(2);
  const d1 = 2 / 11;
  const [a, b] = values(avg.values);
  [1 + (1 - d1) * 10, -2 + (1 - d1) * 10].forEach((x, i) => expect(a[i]).toBeCloseTo(x, 5));
  expect(b[0]).toBeCloseTo(4 + (1 - d1) * 10, 5);
  // t = 2: (1 + 2) / (10 + 2) = 0.25 > 0.2, so d = 0.2.
  const prev = values(avg.values);
  w[0].assign(tf.tensor1d([0, 0]));
  avg.update(w);
  values(avg.values)[0].forEach((x, i) => expect(x).toBeCloseTo(prev[0][i] * 0.2, 5));
  expect(values(avg.values)[1][0]).toBeCloseTo(prev[1][0] + 0.8 * (14 - prev[1][0]), 5);
  // applyTo copies the average into the weights.
  expect(avg.applyTo(w)).toBe(true);
  expect(values(w)).toEqual(values(avg.values));
  avg.dispose();
  expect(avg.values).toEqual([]);
  tf.dispose(w);
});

it('restores a saved average (copied) with its update count', () => {
  const w = [tf.variable(tf.tensor1d([0, 0]))];
  const avg = new WeightAverage(0.9);
  avg.update(w); // replaced (and freed) by the restore
  const held = tf.memory().numTensors;
  const saved = [tf.tensor1d([3, 5])];
  avg.restore(saved, 7);
  saved[0].dispose();
  expect(tf.memory().numTensors).toBe(held);
  expect(avg.count).toBe(7);
  expect(values(avg.values)).toEqual([[3, 5]]);
  expect(avg.values[0].trainable).toBe(false);
  // t = 7: d = min(0.9, 8/17) = 8/17.
  avg.update(w);
  expect(avg.count).toBe(8);
  values(avg.values)[0].forEach((x, i) => expect(x).toBeCloseTo([3, 5][i] * (8 / 17), 5));
  const n = tf.memory().numTensors;
  avg.dispose();
  expect(tf.memory().numTensors).toBe(n - 1);
  tf.dispose(w);
});
