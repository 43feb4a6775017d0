import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { stackPeers, stackPeersPerSample } from './peers.js';

// Errors of the peer builders for every mismatch.

describe('stackPeers, stackPeersPerSample: every mismatch is named', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it.each([
    [
      'h',
      [1, 3, 2, 3],
      /stackPeers: expected exemplars\[1\] \[P, h, w, C\] with h, w, C = 2, 2, 3 as exemplars\[0\] \(resize the exemplars to one size\), received shape \[1,3,2,3\]/,
    ],
    ['w', [2, 2, 1, 3], /expected exemplars\[1\] \[P, h, w, C\] with h, w, C = 2, 2, 3 as exemplars\[0\].*, received shape \[2,2,1,3\]/],
    ['C', [1, 2, 2, 4], /expected exemplars\[1\] \[P, h, w, C\] with h, w, C = 2, 2, 3 as exemplars\[0\].*, received shape \[1,2,2,4\]/],
  ])('stackPeers: a list entry of another %s', (_, shape, message) => {
    const a = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const b = tf.zeros(shape) as tf.Tensor as tf.Tensor4D;
    expect(() => stackPeers([a, b], 2)).toThrow(message);
    tf.dispose([a, b]);
  });

  it('names the list entry of the wrong rank, and counts P over the whole list', () => {
    const a = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const bad = tf.zeros([2, 2, 3]) as unknown as tf.Tensor4D;
    expect(() => stackPeers([a, bad], 1)).toThrow(/stackPeers: expected exemplars\[1\] of rank 4 \[P, h, w, C\], received shape \[2,2,3\]/);
    const empty = tf.zeros([0, 2, 2, 3]) as tf.Tensor4D;
    expect(() => stackPeers([empty, empty], 1)).toThrow(
      /stackPeers: expected at least one exemplar in exemplars, received P = 0 \(shape \[0,2,2,3\]\)/,
    );
    // An empty stack beside a full one is fine: P counts both.
    const p = stackPeers([empty, a, a], 2);
    expect(p.shape).toEqual([2, 2, 2, 2, 3]);
    expect(() => stackPeers(a, 1.5)).toThrow(/stackPeers: expected batch to be an integer >= 1, received 1\.5/);
    tf.dispose([a, bad, empty, p]);
  });

  it('batch 1 gives the exemplars with a batch axis; larger batches repeat them', () => {
    const x = tf.tensor4d(
      Array.from({ length: 12 }, (_, i) => i),
      [2, 1, 2, 3],
    );
    const one = stackPeers(x, 1);
    expect(one.shape).toEqual([1, 2, 1, 2, 3]);
    expect(Array.from(one.dataSync())).toEqual(Array.from(x.dataSync()));
    const two = stackPeers([tf.slice(x, [0], [1]) as tf.Tensor4D, tf.slice(x, [1], [1]) as tf.Tensor4D], 2);
    expect(Array.from(two.dataSync())).toEqual([...x.dataSync(), ...x.dataSync()]);
    tf.dispose([x, one, two]);
  });

  it('stackPeersPerSample names the sample in errors, and checks h, w and C as well as P', () => {
    const a = tf.zeros([2, 2, 2, 3]) as tf.Tensor4D;
    const fn = stackPeersPerSample;
    expect(() => fn(a as never)).toThrow(/stackPeersPerSample: expected at least one sample, received object/);
    expect(() => fn([a, []])).toThrow(/stackPeersPerSample: expected at least one exemplar in samples\[1\], received an empty list/);
    const rank3 = tf.zeros([2, 2, 3]) as unknown as tf.Tensor4D;
    expect(() => fn([a, rank3])).toThrow(/stackPeersPerSample: expected samples\[1\] of rank 4 \[P, h, w, C\], received shape \[2,2,3\]/);
    expect(() => fn([a, [rank3]])).toThrow(/stackPeersPerSample: expected samples\[1\]\[0\] of rank 4/);
    for (const shape of [
      [2, 3, 2, 3],
      [2, 2, 3, 3],
      [2, 2, 2, 4],
    ]) {
      const b = tf.zeros(shape) as tf.Tensor as tf.Tensor4D;
      expect(() => fn([a, b])).toThrow(
        new RegExp(
          `stackPeersPerSample: expected samples\\[1\\]'s exemplars \\[P, h, w, C\\] of P, h, w, C = 2, 2, 2, 3 as samples\\[0\\]'s, received shape \\[${shape.join(',')}\\]`,
        ),
      );
      tf.dispose(b);
    }
    const ok = fn([a, [tf.slice(a, [0], [1]) as tf.Tensor4D, tf.slice(a, [1], [1]) as tf.Tensor4D]]);
    expect(ok.shape).toEqual([2, 2, 2, 2, 3]);
    tf.dispose([a, rank3, ok]);
  });
});
