import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { ShapeError } from '@tpfr/core';
import { describeEachBackend, expectNoLeaks } from '@tpfr/testing';
import {
  RaganBceDiscriminatorLoss,
  RaganBceGeneratorLoss,
  RaganLsDiscriminatorLoss,
  RaganLsGeneratorLoss,
  raganBceDiscriminatorLoss,
  raganBceGeneratorLoss,
  raganLsDiscriminatorLoss,
  raganLsGeneratorLoss,
} from './ragan.js';

const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
const refLsD = (r: number[], f: number[]) =>
  0.5 * (mean(r.map((x) => (x - mean(f) - 1) ** 2)) + mean(f.map((x) => (x - mean(r) + 1) ** 2)));
const refBceD = (r: number[], f: number[]) => mean(r.map((x) => softplus(-(x - mean(f))))) + mean(f.map((x) => softplus(x - mean(r))));

const ALL = { raganLsDiscriminatorLoss, raganLsGeneratorLoss, raganBceDiscriminatorLoss, raganBceGeneratorLoss };
const scoresArb = fc
  .integer({ min: 1, max: 6 })
  .chain((n) =>
    fc.tuple(
      fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: n, maxLength: n }),
      fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: n, maxLength: n }),
    ),
  );
const opts = { seed: 42, numRuns: 30 };

describeEachBackend('ragan', () => {
  it('matches hand-computed values', async () => {
    const real = tf.tensor4d([1, 3], [2, 1, 1, 1]);
    const fake = tf.tensor4d([0, 2], [2, 1, 1, 1]);
    await expectNoLeaks(() => {
      const out = [
        raganLsDiscriminatorLoss(real, fake), // ½[mean((±1)²) + mean((∓1)²)] = 1
        raganLsGeneratorLoss(real, fake), // ½[mean(1, 9) + mean(9, 1)] = 5
        raganBceDiscriminatorLoss(real, fake), // mean(sp(0), sp(−2)) + mean(sp(−2), sp(0))
        raganBceGeneratorLoss(real, fake), // mean(sp(2), sp(0)) + mean(sp(0), sp(2))
      ];
      const v = out.map((t) => t.dataSync()[0]);
      expect(v[0]).toBeCloseTo(1, 6);
      expect(v[1]).toBeCloseTo(5, 6);
      expect(v[2]).toBeCloseTo(softplus(0) + softplus(-2), 5);
      expect(v[3]).toBeCloseTo(softplus(0) + softplus(2), 5);
      out.forEach((t) => expect(t.rank).toBe(0));
      return out;
    }, 'ragan losses');
    tf.dispose([real, fake]);
  });

  test.prop([scoresArb], opts)('match a plain-JS reference; G and D forms swap when real and fake swap', ([r, f]) => {
    const real = tf.tensor2d(r, [r.length, 1]);
    const fake = tf.tensor2d(f, [f.length, 1]);
    const v = (t: tf.Scalar) => {
      const x = t.dataSync()[0];
      t.dispose();
      return x;
    };
    const lsD = v(raganLsDiscriminatorLoss(real, fake));
    const bceD = v(raganBceDiscriminatorLoss(real, fake));
    expect(lsD).toBeCloseTo(refLsD(r, f), 2);
    expect(bceD).toBeCloseTo(refBceD(r, f), 3);
    expect(v(raganLsGeneratorLoss(real, fake))).toBeCloseTo(v(raganLsDiscriminatorLoss(fake, real)), 4);
    expect(v(raganBceGeneratorLoss(real, fake))).toBeCloseTo(v(raganBceDiscriminatorLoss(fake, real)), 4);
    expect(v(raganLsDiscriminatorLoss(real, fake))).toBeCloseTo(v(raganLsGeneratorLoss(fake, real)), 4);
    tf.dispose([real, fake]);
  });

  test.prop([fc.constantFrom(80, -80), fc.constantFrom(80, -80), fc.integer({ min: 1, max: 4 })], { seed: 42, numRuns: 12 })(
    'BCE forms and their gradients are finite for scores of ±80',
    (rv, fv, n) => {
      const real = tf.fill([n, 2, 2, 1], rv) as tf.Tensor4D;
      const fake = tf.fill([n, 2, 2, 1], fv) as tf.Tensor4D;
      for (const fn of [raganBceDiscriminatorLoss, raganBceGeneratorLoss]) {
        const l = fn(real, fake);
        expect(Number.isFinite(l.dataSync()[0])).toBe(true);
        const [gr, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) => fn(a, b))([real, fake]);
        [...gr.dataSync(), ...gf.dataSync()].forEach((x) => expect(Number.isFinite(x)).toBe(true));
        tf.dispose([l, gr, gf]);
      }
      // a saturated discriminator: loss ≈ 160 for the losing side, ≈ 0 for the winning side
      if (rv !== fv) {
        const d = raganBceDiscriminatorLoss(real, fake);
        expect(d.dataSync()[0]).toBeCloseTo(rv > fv ? 0 : 2 * 160, 3);
        d.dispose();
      }
      tf.dispose([real, fake]);
    },
  );

  it('all four have finite gradients on random score maps and leak nothing', async () => {
    const real = tf.tensor4d([0.3, -1.2, 2, 0.1], [1, 2, 2, 1]);
    const fake = tf.tensor4d([-0.7, 0.4, 1.5, -2], [1, 2, 2, 1]);
    for (const [name, fn] of Object.entries(ALL)) {
      await expectNoLeaks(() => {
        const gs = tf.grads((a: tf.Tensor, b: tf.Tensor) => fn(a, b))([real, fake]);
        gs.forEach((g) => Array.from(g.dataSync()).forEach((x) => expect(Number.isFinite(x)).toBe(true)));
        return gs;
      }, `grad ${name}`);
    }
    tf.dispose([real, fake]);
  });

  it('accepts a different batch size but throws ShapeError on other mismatches', async () => {
    const real = tf.zeros([2, 3, 3, 1]);
    const fake4 = tf.zeros([4, 3, 3, 1]);
    const bad = tf.zeros([2, 4, 3, 1]);
    const r2 = tf.zeros([2, 9]);
    await expectNoLeaks(() => raganLsGeneratorLoss(real, fake4), 'raganLsGeneratorLoss');
    for (const [name, fn] of Object.entries(ALL)) {
      expect(() => fn(real, bad)).toThrow(ShapeError);
      expect(() => fn(real, bad)).toThrow(new RegExp(`^${name}: expected fake of shape \\[\\?,3,3,1\\].*received shape \\[2,4,3,1\\]`));
      expect(() => fn(real, r2)).toThrow(ShapeError);
      expect(() => fn(tf.zeros([0]), tf.zeros([0]))).toThrow(/non-empty/);
    }
    tf.dispose([real, fake4, bad, r2]);
  });

  it('classes scale by their weight', async () => {
    const real = tf.tensor1d([1, 3]);
    const fake = tf.tensor1d([0, 2]);
    await expectNoLeaks(() => {
      const out = [
        new RaganLsDiscriminatorLoss({ weight: 2 }).call(real, fake),
        new RaganLsGeneratorLoss({ weight: 2 }).call(real, fake),
        new RaganBceDiscriminatorLoss().call(real, fake),
        new RaganBceGeneratorLoss({ weight: 0.5 }).call(real, fake),
      ];
      expect(out[0].dataSync()[0]).toBeCloseTo(2, 6);
      expect(out[1].dataSync()[0]).toBeCloseTo(10, 6);
      expect(out[2].dataSync()[0]).toBeCloseTo(softplus(0) + softplus(-2), 5);
      expect(out[3].dataSync()[0]).toBeCloseTo(0.5 * (softplus(0) + softplus(2)), 5);
      return out;
    }, 'ragan classes');
    tf.dispose([real, fake]);
  });
});
