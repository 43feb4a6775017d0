import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { stackPeers, stackPeersPerSample } from './peers.js';

const PROP = { seed: 7, numRuns: 20 };
const same = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('stackPeers, stackPeersPerSample', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  test.prop(
    [
      fc.record({
        b: fc.integer({ min: 1, max: 3 }),
        sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
        h: fc.integer({ min: 1, max: 3 }),
        w: fc.integer({ min: 1, max: 3 }),
        seed: fc.integer({ min: 0, max: 99 }),
      }),
    ],
    PROP,
  )('stackPeers: each of the B samples gets the exemplars in order, a list concatenated', async ({ b, sizes, h, w, seed }) => {
    const list = sizes.map((n, i) => tf.randomNormal([n, h, w, 2], 0, 1, 'float32', seed + i) as tf.Tensor4D);
    const whole = tf.concat(list, 0) as tf.Tensor4D;
    await expectNoLeaks(() => {
      const fromList = stackPeers(list, b);
      const fromStack = stackPeers(whole, b);
      expect(fromList.shape).toEqual([b, whole.shape[0], h, w, 2]);
      for (let i = 0; i < b; i++)
        tf.tidy(() => {
          expect(same(tf.squeeze(tf.slice(fromList, [i], [1]), [0]), whole)).toBe(0);
        });
      expect(same(fromList, fromStack)).toBe(0);
      return [fromList, fromStack];
    }, 'stackPeers');
    tf.dispose([...list, whole]);
  });

  it('stackPeersPerSample: sample b gets its own exemplars', async () => {
    const a = [tf.fill([1, 2, 2, 3], 1), tf.fill([1, 2, 2, 3], 2)] as tf.Tensor4D[];
    const b = tf.concat([tf.fill([1, 2, 2, 3], 3), tf.fill([1, 2, 2, 3], 4)], 0) as tf.Tensor4D;
    await expectNoLeaks(() => {
      const peers = stackPeersPerSample([a, b]);
      expect(peers.shape).toEqual([2, 2, 2, 2, 3]);
      expect(Array.from(tf.tidy(() => tf.mean(peers, [2, 3, 4]).dataSync()))).toEqual([1, 2, 3, 4]);
      return peers;
    }, 'stackPeersPerSample');
    expect(() => stackPeersPerSample([a, tf.slice(b, [0], [1]) as tf.Tensor4D])).toThrow(
      /stackPeersPerSample: expected samples\[1\]'s exemplars \[P, h, w, C\] of P, h, w, C = 2, 2, 2, 3 as samples\[0\]'s, received shape \[1,2,2,3\]/,
    );
    expect(() => stackPeersPerSample([])).toThrow(/stackPeersPerSample: expected at least one sample, received an empty list/);
    tf.dispose([...a, b]);
  });

  it('passes gradients back to the codes', () => {
    const x = tf.randomNormal([2, 2, 2, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const g = tf.grad((t: tf.Tensor) => tf.sum(stackPeers(t as tf.Tensor4D, 3)))(x);
    expect(Array.from(g.dataSync()).every((v) => v === 3)).toBe(true);
    const g2 = tf.grad((t: tf.Tensor) => tf.sum(stackPeersPerSample([[t as tf.Tensor4D], [tf.mul(t, 2) as tf.Tensor4D]])))(x);
    expect(Array.from(g2.dataSync()).every((v) => v === 3)).toBe(true);
    tf.dispose([x, g, g2]);
  });

  it('names the function, the expected and the received in errors', () => {
    const a = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const other = tf.zeros([1, 2, 3, 3]) as tf.Tensor4D;
    expect(() => stackPeers([a, other], 1)).toThrow(
      /stackPeers: expected exemplars\[1\] \[P, h, w, C\] with h, w, C = 2, 2, 3 as exemplars\[0\] \(resize the exemplars to one size\), received shape \[1,2,3,3\]/,
    );
    expect(() => stackPeers(tf.zeros([2, 2, 3]) as unknown as tf.Tensor4D, 1)).toThrow(
      /stackPeers: expected exemplars of rank 4 \[P, h, w, C\], received shape \[2,2,3\]/,
    );
    expect(() => stackPeers([], 1)).toThrow(/stackPeers: expected at least one exemplar in exemplars, received an empty list/);
    expect(() => stackPeers(a, 0)).toThrow(/stackPeers: expected batch to be an integer >= 1, received 0/);
    expect(() => stackPeers(tf.zeros([0, 2, 2, 3]) as tf.Tensor4D, 1)).toThrow(
      /stackPeers: expected at least one exemplar in exemplars, received P = 0/,
    );
    tf.dispose([a, other]);
  });
});
