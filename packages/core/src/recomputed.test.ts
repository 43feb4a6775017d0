import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, recomputed } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';

beforeAll(async () => {
  await initBackend('cpu');
});

/** A small deterministic two-output function of x, reading the weights w1, w2. */
function net(x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor): tf.Tensor[] {
  const h = tf.relu(tf.matMul(x, w1));
  const y = tf.tanh(tf.matMul(h, w2));
  return [y, tf.sum(tf.square(h), 1, true)];
}

describe('recomputed (gradient checkpointing)', () => {
  it('gives the plain gradients of the inputs and weights, for one and several outputs (seeded)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 1e6 }),
        fc.boolean(),
        (b, d, seed, both) => {
          tf.tidy(() => {
            const x = tf.randomNormal([b, d], 0, 1, 'float32', seed);
            const w1 = tf.variable(tf.randomNormal([d, 6], 0, 1, 'float32', seed + 1));
            const w2 = tf.variable(tf.randomNormal([6, 3], 0, 1, 'float32', seed + 2));
            const loss = (outs: tf.Tensor[]) => tf.add(tf.sum(tf.mul(outs[0], outs[0])), both ? tf.sum(outs[1]) : 0) as tf.Scalar;
            const pick = (o: tf.Tensor[]) => (both ? o : [o[0]]);
            const plain = tf.grads((xi: tf.Tensor, a: tf.Tensor, c: tf.Tensor) => loss(pick(net(xi, a, c))))([x, w1, w2]);
            const viaRecompute = tf.grads((xi: tf.Tensor) =>
              loss(recomputed(([v]) => pick(net(v, w1, w2)), { inputs: [xi], weights: [w1, w2] })),
            )([x]);
            const { grads } = tf.variableGrads(
              () => loss(recomputed(([v]) => pick(net(v, w1, w2)), { inputs: [x], weights: [w1, w2] })),
              [w1, w2],
            );
            expect(Array.from(viaRecompute[0].dataSync())).toEqual(Array.from(plain[0].dataSync()));
            expect(Array.from(grads[w1.name].dataSync())).toEqual(Array.from(plain[1].dataSync()));
            expect(Array.from(grads[w2.name].dataSync())).toEqual(Array.from(plain[2].dataSync()));
            tf.dispose([w1, w2]);
          });
        },
      ),
      { seed: 30, numRuns: 25 },
    );
  });

  it('keeps only its inputs and outputs on the tape: the peak of a chain of blocks drops', async () => {
    const w = tf.variable(tf.randomNormal([64, 64], 0, 0.1, 'float32', 1));
    const x = tf.randomNormal([256, 64], 0, 1, 'float32', 2);
    // Each block makes 8 maps of x's size on the way to its output.
    const block = (v: tf.Tensor) => {
      let h = v;
      for (let i = 0; i < 8; i++) h = tf.tanh(tf.matMul(h, w));
      return h;
    };
    const chain = (wrap: boolean) => () => {
      let h = x;
      for (let i = 0; i < 6; i++) h = wrap ? recomputed(([v]) => [block(v)], { inputs: [h], weights: [w] })[0] : block(h);
      return tf.sum(h) as tf.Scalar;
    };
    const peak = async (f: () => tf.Scalar) => {
      const before = tf.memory().numBytes;
      const info = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(f, [w]);
        tf.dispose([value, grads[w.name]]);
      });
      return info.peakBytes - before;
    };
    const plain = await peak(chain(false));
    const wrapped = await peak(chain(true));
    expect(wrapped).toBeLessThan(plain / 3);
    tf.dispose([w, x]);
  });

  it('is the plain call outside a gradient computation, and leaks nothing either way', async () => {
    const w = tf.variable(tf.ones([3, 2]));
    const x = tf.ones([2, 3]);
    const [y] = recomputed(([v]) => [tf.matMul(v, w)], { inputs: [x], weights: [w] });
    expect(Array.from(y.dataSync())).toEqual([3, 3, 3, 3]);
    y.dispose();
    await expectNoLeaks(() =>
      tf.variableGrads(
        () => tf.sum(recomputed(([v]) => [tf.matMul(v, w), tf.relu(v)], { inputs: [x], weights: [w] })[0]) as tf.Scalar,
        [w],
      ),
    );
    await expectNoLeaks(() =>
      tf.grads((v: tf.Tensor) =>
        tf.sum(recomputed(([u], [c]) => [tf.matMul(tf.add(u, c), w)], { inputs: [v], constants: [tf.mul(v, 2)] })[0]),
      )([x]),
    );
    tf.dispose([w, x]);
  });
});
