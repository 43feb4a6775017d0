/**
 * wasm's BatchMatMul with a transposed operand (`wasm-batch-mat-mul.ts`): the operand transposed
 * first, then XNNPACK. The same values bit for bit as the product of the operands transposed by
 * hand, for shapes and flags drawn at random (seeded); batched products keep wasm's own kernel;
 * no tensors left behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { takesTransposed } from './wasm-batch-mat-mul.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** The last two axes swapped. */
const swapped = (x: tf.Tensor) =>
  tf.transpose(
    x,
    [...x.shape.keys()].map((i, _, all) => (i < all.length - 2 ? i : 2 * all.length - 3 - i)),
  );

it('equals the product of the operands transposed by hand (bit for bit where it transposes first), for ranks 2 and 3 (seeded)', () => {
  let ours = 0;
  const arb = fc.record({
    m: fc.integer({ min: 1, max: 64 }),
    k: fc.integer({ min: 1, max: 64 }),
    n: fc.integer({ min: 1, max: 64 }),
    rank: fc.constantFrom(2, 3),
    transposeA: fc.boolean(),
    transposeB: fc.boolean(),
  });
  fc.assert(
    fc.property(arb, fc.nat(), (c, seed) => {
      tf.tidy(() => {
        const lead = c.rank === 3 ? [1] : [];
        const a = tf.randomNormal([...lead, ...(c.transposeA ? [c.k, c.m] : [c.m, c.k])], 0, 1, 'float32', seed);
        const b = tf.randomNormal([...lead, ...(c.transposeB ? [c.n, c.k] : [c.k, c.n])], 0, 1, 'float32', seed + 1);
        const got = tf.matMul(a, b, c.transposeA, c.transposeB);
        const want = tf.matMul(c.transposeA ? swapped(a) : a, c.transposeB ? swapped(b) : b);
        expect(got.shape, JSON.stringify(c)).toEqual([...lead, c.m, c.n]);
        if (takesTransposed(a.shape, b.shape, c.transposeA, c.transposeB)) {
          ours++;
          expect(got.dataSync(), JSON.stringify(c)).toEqual(want.dataSync());
        } else {
          // wasm's own loop: the same products, summed in another order.
          expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0], JSON.stringify(c)).toBeLessThan(1e-4 * Math.sqrt(c.k));
        }
      });
    }),
    { seed: 31, numRuns: 80 },
  );
  // The domain reached: both paths, each many times (about 1 in 3 drawn products is transposed first).
  expect(ours).toBeGreaterThan(20);
  expect(ours).toBeLessThan(60);
});

it('transposes first only where the product pays for the copy: not xᵀ·x of a long [N, 3]', () => {
  expect(takesTransposed([1024, 512], [1024, 256], true, false)).toBe(true);
  expect(takesTransposed([1024, 256], [512, 256], false, true)).toBe(true);
  expect(takesTransposed([4096, 3], [4096, 3], true, false)).toBe(false);
  expect(takesTransposed([8, 8], [8, 8], false, false)).toBe(false);
});

it('leaves batched products to wasm (the same values as each batch on its own), and keeps no tensors', async () => {
  tf.tidy(() => {
    const a = tf.randomNormal([3, 7, 5], 0, 1, 'float32', 1);
    const b = tf.randomNormal([3, 6, 5], 0, 1, 'float32', 2);
    const got = tf.matMul(a, b, false, true);
    const each = tf.stack(tf.unstack(a).map((ai, i) => tf.matMul(ai, tf.unstack(b)[i], false, true)));
    expect(tf.max(tf.abs(tf.sub(got, each))).dataSync()[0]).toBeLessThan(1e-5);
  });
  const a = tf.randomNormal([64, 32], 0, 1, 'float32', 3);
  const b = tf.randomNormal([64, 16], 0, 1, 'float32', 4);
  const ids = tf.engine().backend.numDataIds();
  await expectNoLeaks(() => tf.matMul(a, b, true, false));
  await expectNoLeaks(() => tf.matMul(b, a, true, false));
  expect(tf.engine().backend.numDataIds()).toBe(ids);
  tf.dispose([a, b]);
});
