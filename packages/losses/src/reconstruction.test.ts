import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { ShapeError, ValueError } from '@tpfr/core';
import { describeEachBackend, expectNoLeaks, featureMapArb } from '@tpfr/testing';
import { ReconstructionLoss, l1Loss, mseLoss, reconstructionLoss } from './reconstruction.js';

const opts = { seed: 42, numRuns: 25 };
/** Two images of one random shape. */
const samePairArb = featureMapArb({ height: [1, 4], width: [1, 4], channels: [1, 3] }).chain((x) =>
  fc
    .array(fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true }), { minLength: x.data.length, maxLength: x.data.length })
    .map((ys) => ({ shape: x.shape, a: x.data, b: Float32Array.from(ys) })),
);
const img = (data: number[]) => tf.tensor4d(data, [1, 1, data.length / 3, 3]);

describeEachBackend('reconstruction', () => {
  it('MSE and L1 match hand-computed values; pairs are averaged', async () => {
    const o1 = img([1, -1, 0, 0.5, 0, 0]);
    const t1 = img([0, 0, 0, 0, 0, 0]); // squares 1,1,0,0.25,0,0 → 2.25/6; abs → 2.5/6
    const o2 = img([1, 1, 1]);
    const t2 = img([-1, 1, 1]); // squares 4 → 4/3; abs 2/3
    await expectNoLeaks(() => {
      const out = [
        mseLoss(o1, t1),
        l1Loss(o1, t1),
        reconstructionLoss([
          [o1, t1],
          [o2, t2],
        ]),
        reconstructionLoss(
          [
            [o1, t1],
            [o2, t2],
          ],
          'l1',
        ),
      ];
      const v = out.map((t) => t.dataSync()[0]);
      expect(v[0]).toBeCloseTo(2.25 / 6, 6);
      expect(v[1]).toBeCloseTo(2.5 / 6, 6);
      expect(v[2]).toBeCloseTo((2.25 / 6 + 4 / 3) / 2, 6);
      expect(v[3]).toBeCloseTo((2.5 / 6 + 2 / 3) / 2, 6);
      return out;
    }, 'reconstruction');
    tf.dispose([o1, t1, o2, t2]);
  });

  test.prop([samePairArb], opts)('zero at identity, symmetric, non-negative', ({ shape, a: xa, b: xb }) => {
    const a = tf.tensor4d(xa, shape as [number, number, number, number]);
    const b = tf.tensor4d(xb, shape as [number, number, number, number]);
    for (const fn of [mseLoss, l1Loss]) {
      const [aa, ab, ba] = [fn(a, a), fn(a, b), fn(b, a)];
      expect(aa.dataSync()[0]).toBe(0);
      expect(ab.dataSync()[0]).toBeGreaterThanOrEqual(0);
      expect(ab.dataSync()[0]).toBeCloseTo(ba.dataSync()[0], 5);
      tf.dispose([aa, ab, ba]);
    }
    tf.dispose([a, b]);
  });

  it('has finite gradients (MSE gradient 2(x − y)/n)', async () => {
    const o = img([1, 2, 3]);
    const t = img([0, 0, 0]);
    await expectNoLeaks(() => {
      const g = tf.grad((x: tf.Tensor) => reconstructionLoss([[x as tf.Tensor4D, t]]))(o);
      Array.from(g.dataSync()).forEach((v, i) => expect(v).toBeCloseTo((2 * (i + 1)) / 3, 5));
      const g1 = tf.grad((x: tf.Tensor) => l1Loss(x, t))(t); // at zero difference
      Array.from(g1.dataSync()).forEach((v) => expect(Number.isFinite(v)).toBe(true));
      return [g, g1];
    }, 'grad reconstruction');
    tf.dispose([o, t]);
  });

  it('throws clear errors', () => {
    const a = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const b = tf.zeros([1, 2, 3, 3]) as tf.Tensor4D;
    expect(() => mseLoss(a, b)).toThrow(/^mseLoss: expected target of shape \[1,2,2,3\] \(same as output\), received shape \[1,2,3,3\]/);
    expect(() => l1Loss(a, b)).toThrow(ShapeError);
    expect(() => reconstructionLoss([[a, b]])).toThrow(/reconstructionLoss: expected pairs\[0\]\[1\] of shape \[1,2,2,3\]/);
    expect(() => reconstructionLoss([])).toThrow(/reconstructionLoss: expected pairs to hold at least one/);
    expect(() => reconstructionLoss([[tf.zeros([2, 2]) as unknown as tf.Tensor4D, a]])).toThrow(/rank 4/);
    expect(() => reconstructionLoss([[a, a]], 'l2' as never)).toThrow(ValueError);
    tf.dispose([a, b]);
  });

  it('ReconstructionLoss class holds kind and weight', async () => {
    const o = img([1, 1, 1]);
    const t = img([0, 0, 3]);
    await expectNoLeaks(() => {
      const m = new ReconstructionLoss({ weight: 25 }).call([[o, t]]);
      const l = new ReconstructionLoss({ kind: 'l1' }).call([[o, t]]);
      expect(m.dataSync()[0]).toBeCloseTo((25 * 6) / 3, 4);
      expect(l.dataSync()[0]).toBeCloseTo(4 / 3, 5);
      return [m, l];
    }, 'ReconstructionLoss.call');
    tf.dispose([o, t]);
  });
});
