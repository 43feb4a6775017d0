import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { expect, it } from 'vitest';
import { expectNoLeaks, featureMapArb } from '@tpfr/testing';
import { initBackend } from '@tpfr/core';
import { featureMapToRows, rowsToFeatureMap } from '@tpfr/core/utils';
import { peerPoolRows, queryRows } from './pixels.js';

test.prop([featureMapArb()], { seed: 1, numRuns: 25 })('rows follow b·H·W + h·W + w and map back exactly', async ({ shape, data }) => {
  await initBackend('cpu');
  const x = tf.tensor4d(data, shape as [number, number, number, number]);
  const [b, h, w, c] = x.shape;
  await expectNoLeaks(() => {
    const rows = featureMapToRows(x);
    expect(rows.shape).toEqual([b * h * w, c]);
    const r = rows.arraySync();
    const xs = x.arraySync();
    expect(r[(b - 1) * h * w + (h - 1) * w + (w - 1)]).toEqual(xs[b - 1][h - 1][w - 1]);
    const back = rowsToFeatureMap(rows, [b, h, w]);
    expect(back.arraySync()).toEqual(xs);
    return [rows, back];
  });
  x.dispose();
});

it('groups queries and peers per sample or in one shared pool', async () => {
  await initBackend('cpu');
  const x = tf.tensor4d(
    Array.from({ length: 2 * 2 * 1 * 1 }, (_, i) => i),
    [2, 2, 1, 1],
  );
  const peers = tf.tensor5d(
    Array.from({ length: 6 * 1 * 2 * 1 }, (_, i) => 10 + i),
    [2, 3, 1, 2, 1],
  ); // B=2, P=3
  await expectNoLeaks(() => {
    const qs = queryRows(x, 'per-sample');
    expect(qs.map((q) => q.arraySync())).toEqual([
      [[0], [1]],
      [[2], [3]],
    ]);
    const shared = queryRows(x, 'shared');
    expect(shared).toHaveLength(1);
    expect(shared[0].shape).toEqual([4, 1]);
    const pools = peerPoolRows(peers, 'per-sample');
    expect(pools.map((p) => p.arraySync().flat())).toEqual([
      [10, 11, 12, 13, 14, 15],
      [16, 17, 18, 19, 20, 21],
    ]);
    const one = peerPoolRows(peers, 'shared');
    expect(one[0].shape).toEqual([12, 1]);
    return [qs, shared, pools, one];
  });
  expect(() => peerPoolRows(tf.zeros([6, 1, 2, 1]) as unknown as tf.Tensor5D, 'per-sample')).toThrow(
    /peerPoolRows: expected peers of rank 5 \[B, P, h, w, C\], received shape \[6,1,2,1\]/,
  );
  expect(() => rowsToFeatureMap(featureMapToRows(x), [3, 2, 1])).toThrow(/rowsToFeatureMap: expected rows/);
  expect(() => featureMapToRows(tf.zeros([2, 2]) as unknown as tf.Tensor4D)).toThrow(
    /featureMapToRows: expected x of rank 4 \[B, H, W, C\], received shape \[2,2\]/,
  );
  tf.dispose([x, peers]);
  void fc;
});
