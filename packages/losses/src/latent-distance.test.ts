import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { ShapeError, ValueError } from '@tpfr/core';
import { describeEachBackend, expectNoLeaks, featureMapArb } from '@tpfr/testing';
import { LatentDistance, latentDistance, perSampleLatentDistance, smoothL1 } from './latent-distance.js';

const sl1 = (x: number, beta = 1) => (Math.abs(x) < beta ? (0.5 * x * x) / beta : Math.abs(x) - 0.5 * beta);

/** Plain-JS per-sample distances of two NHWC arrays. */
function refPerSample(shape: number[], a: Float32Array, b: Float32Array, beta = 1): number[] {
  const [B, H, W, C] = shape;
  const out: number[] = [];
  for (let n = 0; n < B; n++) {
    let s = 0;
    for (let p = 0; p < H * W; p++)
      for (let c = 0; c < C; c++) {
        const i = (n * H * W + p) * C + c;
        s += sl1(a[i] - b[i], beta);
      }
    out.push(s / (H * W));
  }
  return out;
}

/** Two feature maps of one random shape. */
const pairArb = featureMapArb({ batch: [1, 2], height: [1, 3], width: [1, 3], channels: [1, 4] }).chain((a) =>
  fc
    .array(fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true }), { minLength: a.data.length, maxLength: a.data.length })
    .map((bs) => ({ shape: a.shape, a: a.data, b: Float32Array.from(bs) })),
);

const opts = { seed: 42, numRuns: 25 };

describeEachBackend('latentDistance', () => {
  it('matches hand-computed values (β = 1 and β = 2)', async () => {
    // pixel 1: diff (0, 0) → 0; pixel 2: diff (3, 0.5) → 2.5 + 0.125 = 2.625 (β = 1)
    const a = tf.tensor4d([0, 0, 3, 0.5], [1, 1, 2, 2]);
    const b = tf.zeros([1, 1, 2, 2]) as tf.Tensor4D;
    await expectNoLeaks(() => {
      const d1 = latentDistance(a, b);
      const d2 = latentDistance(a, b, 2); // 3 → 3 − 1 = 2; 0.5 → 0.0625
      expect(d1.rank).toBe(0);
      expect(d1.dataSync()[0]).toBeCloseTo(2.625 / 2, 6);
      expect(d2.dataSync()[0]).toBeCloseTo(2.0625 / 2, 6);
      return [d1, d2];
    }, 'latentDistance');
    tf.dispose([a, b]);
  });

  it('per-sample distances average over H·W within each image', async () => {
    const a = tf.tensor4d([2, 0, 0, 0, 0.5, -0.5, 1, 1], [2, 2, 1, 2]);
    const b = tf.zeros([2, 2, 1, 2]) as tf.Tensor4D;
    await expectNoLeaks(() => {
      const d = perSampleLatentDistance(a, b);
      expect(d.shape).toEqual([2]);
      // sample 0: (1.5 + 0) / 2; sample 1: (0.125 + 0.125 + 0.5 + 0.5) / 2
      const v = d.dataSync();
      expect(v[0]).toBeCloseTo(0.75, 6);
      expect(v[1]).toBeCloseTo(0.625, 6);
      return d;
    }, 'perSampleLatentDistance');
    tf.dispose([a, b]);
  });

  it('smoothL1 is 0.5x²/β inside and |x| − 0.5β outside; β = 0 is |x|', async () => {
    const x = tf.tensor1d([-3, -1, -0.5, 0, 0.5, 1, 3]);
    await expectNoLeaks(() => {
      const y = smoothL1(x);
      const y0 = smoothL1(x, 0);
      Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(sl1([-3, -1, -0.5, 0, 0.5, 1, 3][i]), 6));
      expect(Array.from(y0.dataSync())).toEqual([3, 1, 0.5, 0, 0.5, 1, 3]);
      return [y, y0];
    }, 'smoothL1');
    x.dispose();
  });

  test.prop([pairArb], opts)('matches a plain-JS reference, is symmetric and zero at identity', ({ shape, a, b }) => {
    const ta = tf.tensor4d(a, shape as [number, number, number, number]);
    const tb = tf.tensor4d(b, shape as [number, number, number, number]);
    const ref = refPerSample(shape, a, b);
    const [dab, dba, daa, per] = [latentDistance(ta, tb), latentDistance(tb, ta), latentDistance(ta, ta), perSampleLatentDistance(ta, tb)];
    const mean = ref.reduce((s, v) => s + v, 0) / ref.length;
    expect(dab.dataSync()[0]).toBeCloseTo(mean, 3);
    expect(dba.dataSync()[0]).toBeCloseTo(dab.dataSync()[0], 5);
    expect(daa.dataSync()[0]).toBe(0);
    Array.from(per.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(ref[i], 3));
    tf.dispose([ta, tb, dab, dba, daa, per]);
  });

  it('has finite gradients, also at zero difference and at |x| = β', async () => {
    const a = tf.tensor4d([0, 1, -1, 2.5], [1, 2, 1, 2]);
    const b = tf.zeros([1, 2, 1, 2]) as tf.Tensor4D;
    await expectNoLeaks(() => {
      const g = tf.grad((x: tf.Tensor) => latentDistance(x as tf.Tensor4D, b))(a);
      const v = Array.from(g.dataSync());
      v.forEach((x) => expect(Number.isFinite(x)).toBe(true));
      // d/dx of channel-sum SmoothL1 / (B·H·W = 2): x/β inside, sign(x) outside
      expect(v[0]).toBeCloseTo(0, 6);
      expect(v[3]).toBeCloseTo(0.5, 6);
      expect(v[2]).toBeCloseTo(-0.5, 6);
      return g;
    }, 'grad latentDistance');
    tf.dispose([a, b]);
  });

  it('throws ShapeError naming the function and both shapes on mismatch', () => {
    const a = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const b = tf.zeros([1, 2, 2, 4]) as tf.Tensor4D;
    const c = tf.zeros([2, 2, 3]) as unknown as tf.Tensor4D;
    expect(() => latentDistance(a, b)).toThrow(ShapeError);
    expect(() => latentDistance(a, b)).toThrow(/^latentDistance: expected b of shape \[1,2,2,3\].*received shape \[1,2,2,4\]/);
    expect(() => perSampleLatentDistance(c, c)).toThrow(
      /perSampleLatentDistance: expected a of rank 4 \[B, H, W, C\], received shape \[2,2,3\]/,
    );
    expect(() => latentDistance(a, a, -1)).toThrow(ValueError);
    tf.dispose([a, b, c]);
  });

  it('LatentDistance class scales by its weight', async () => {
    const a = tf.ones([1, 1, 1, 2]) as tf.Tensor4D;
    const b = tf.zeros([1, 1, 1, 2]) as tf.Tensor4D;
    await expectNoLeaks(() => {
      const l = new LatentDistance({ weight: 3, beta: 1 }).call(a, b);
      expect(l.dataSync()[0]).toBeCloseTo(3 * (0.5 + 0.5), 6);
      return l;
    }, 'LatentDistance.call');
    expect(() => new LatentDistance({ weight: -1 })).toThrow(/LatentDistance: expected weight/);
    tf.dispose([a, b]);
  });
});
