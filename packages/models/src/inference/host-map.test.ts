import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { hostRows, toHostMap, writeHostRows, hostMap } from './host-map.js';

it('host maps give and take rows of every sample of a batch, and refuse rows that do not fit', async () => {
  await initBackend('cpu');
  const x = tf.tidy(() => tf.reshape(tf.range(0, 2 * 5 * 3 * 2), [2, 5, 3, 2])) as tf.Tensor4D;
  const m = toHostMap(x);
  const rows = hostRows(m, 1, 4);
  expect(rows.arraySync()).toEqual(tf.tidy(() => tf.slice(x, [0, 1, 0, 0], [2, 3, 3, 2]).arraySync()));
  const y = hostMap([2, 5, 3, 2]);
  const parts = [tf.slice(x, [0, 0, 0, 0], [2, 1, 3, 2]), tf.slice(x, [0, 1, 0, 0], [2, 4, 3, 2])] as tf.Tensor4D[];
  writeHostRows(y, 0, parts[0]);
  writeHostRows(y, 1, parts[1]);
  expect(Array.from(y.data)).toEqual(Array.from(m.data));
  expect(() => writeHostRows(y, 3, rows)).toThrow(/do not fit/);
  tf.dispose([x, rows, ...parts]);
});
