import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoLeaks } from '@tpfr/testing';
import { spatialMean } from '@tpfr/core';
import { PAPER, U32 } from '@tpfr/testing/kernel-references';

/** Integers in [−8, 8] from a seed: every partial sum of up to 2²¹ of them is exact in float32. */
function smallIntegers(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (s >>> 28) - 8 + ((s >>> 27) & 1);
  }
  return v;
}

/** The mean over H and W of `x [B, H, W, C]` by index arithmetic, in float64: `[B·C]`, and the means of |x|. */
function meanReference(x: Float32Array, [b, h, w, c]: number[]): { mean: Float64Array; absMean: Float64Array } {
  const mean = new Float64Array(b * c);
  const absMean = new Float64Array(b * c);
  for (let n = 0; n < b; n++)
    for (let r = 0; r < h; r++)
      for (let q = 0; q < w; q++)
        for (let k = 0; k < c; k++) {
          const v = x[((n * h + r) * w + q) * c + k];
          mean[n * c + k] += v / (h * w);
          absMean[n * c + k] += Math.abs(v) / (h * w);
        }
  return { mean, absMean };
}

describeEachBackend('spatialMean', () => {
  it('equals tf.mean over H and W, and so does its gradient (seeded shapes)', async () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer(),
        (b, h, w, c, seed) => {
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
        },
      ),
      { seed: 17, numRuns: 25 },
    );
  });

  it('keeps no tensors and names itself on a wrong rank', async () => {
    const x = tf.randomNormal([2, 16, 12, 8], 0, 1, 'float32', 3) as tf.Tensor4D;
    await expectNoLeaks(() => spatialMean(x));
    await expectNoLeaks(() => tf.grad((q: tf.Tensor) => tf.sum(spatialMean(q as tf.Tensor4D)))(x));
    expect(() => spatialMean(tf.zeros([4, 4, 3]) as unknown as tf.Tensor4D)).toThrow(
      /spatialMean: expected x of rank 4 \[B, H, W, C\], received shape \[4, 4, 3\]/,
    );
    x.dispose();
  });
});

describeEachBackend('spatialMean on exact sums', () => {
  it("equals the index arithmetic's mean (and gradient) for batches, non-square maps and several channels (integer values, seeded)", () => {
    // Integer values. Summing n = H·W values (or their quotients by n: tf.mean's order, on cpu)
    // in float32 is within (n + 1) unit roundoffs of the mean of |x| (first order, any order of
    // the sum; on wasm the integer sums are exact and only the scaling rounds). Any pixel, image
    // or channel missed or counted twice moves a mean by at least 1/n, some 10³ times more.
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 3 }),
        fc.integer({ min: 2, max: 11 }),
        fc.integer({ min: 2, max: 11 }),
        fc.integer({ min: 2, max: 6 }),
        fc.nat(),
        (b, h, w, c, seed) => {
          const shape = [b, h, w, c];
          const xv = smallIntegers(b * h * w * c, seed);
          const { mean, absMean } = meanReference(xv, shape);
          const got = tf.tidy(() => spatialMean(tf.tensor4d(xv, shape as [number, number, number, number])).dataSync() as Float32Array);
          expect(got.length).toBe(b * c);
          mean.forEach((m, i) =>
            expect(Math.abs(got[i] - m), `${JSON.stringify(shape)} mean ${i}`).toBeLessThanOrEqual((h * w + 1) * U32 * absMean[i]),
          );
          // The gradient: dy / (H·W) at every pixel of its image and channel (one rounding).
          const dyv = smallIntegers(b * c, seed + 1);
          const g = tf.tidy(() =>
            tf.grad((q: tf.Tensor) => tf.sum(tf.mul(spatialMean(q as tf.Tensor4D), tf.tensor4d(dyv, [b, 1, 1, c]))))(tf.zeros(shape)),
          );
          const gv = g.dataSync();
          g.dispose();
          for (let i = 0; i < gv.length; i++) {
            const want = dyv[Math.floor(i / (h * w * c)) * c + (i % c)] / (h * w);
            expect(Math.abs(gv[i] - want), `${JSON.stringify(shape)} gradient ${i}`).toBeLessThanOrEqual(U32 * Math.abs(want));
          }
        },
      ),
      { seed: 23, numRuns: 40 },
    );
  });

  it("equals it exactly on the paper's maps (instance norms of the encoder, decoder, latent and global style), and so does its gradient", async () => {
    // H·W a power of two: the integers, their quotients by H·W and every partial sum are exact.
    for (const [i, shape] of [...PAPER.maps, PAPER.latent, ...PAPER.globalStyleMaps].entries()) {
      const xv = smallIntegers(
        shape.reduce((p, q) => p * q, 1),
        100 + i,
      );
      const want = meanReference(xv, shape).mean;
      const t = tf.tidy(() => spatialMean(tf.tensor4d(xv, shape)));
      expect(t.shape).toEqual([1, 1, 1, shape[3]]);
      const got = t.dataSync();
      t.dispose();
      const wrong = Array.from(want).findIndex((m, k) => got[k] !== m);
      expect(wrong, `${JSON.stringify(shape)}: channel ${wrong}`).toBe(-1);
    }
    const [, h, w, c] = PAPER.maps[2];
    const dyv = smallIntegers(c, 7);
    const g = tf.tidy(() =>
      tf.grad((q: tf.Tensor) => tf.sum(tf.mul(spatialMean(q as tf.Tensor4D), tf.tensor4d(dyv, [1, 1, 1, c]))))(tf.zeros(PAPER.maps[2])),
    );
    const gv = g.dataSync();
    g.dispose();
    let wrong = -1;
    for (let p = 0; p < h * w && wrong < 0; p++)
      for (let k = 0; k < c; k++)
        if (gv[p * c + k] !== dyv[k] / (h * w)) {
          wrong = p * c + k;
          break;
        }
    expect(wrong, 'gradient: dy / (H·W) at every pixel').toBe(-1);
  });
});
