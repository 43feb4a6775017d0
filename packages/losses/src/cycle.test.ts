import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import { ShapeError } from '@tpfr/core';
import { describeEachBackend, expectNoLeaks, featureMapArb } from '@tpfr/testing';
import {
  ContentFeatureCycleLoss,
  LatentCycleLoss,
  TransferLatentCycleLoss,
  contentFeatureCycleLoss,
  latentCycleLoss,
  transferLatentCycleLoss,
  type LatentParts,
} from './cycle.js';
import { latentDistance } from './latent-distance.js';

const opts = { seed: 42, numRuns: 20 };
/** A `[1, 1, 1, C]` map filled with v: its distance to zeros is C · SmoothL1(v). */
const filled = (v: number, c = 2) => tf.fill([1, 1, 1, c], v) as tf.Tensor4D;

describeEachBackend('cycle losses', () => {
  it('contentFeatureCycleLoss averages the latent distances of its pairs', async () => {
    const z = filled(0);
    const a = filled(1); // 2 · 0.5 = 1
    const b = filled(3); // 2 · 2.5 = 5
    await expectNoLeaks(() => {
      const l = contentFeatureCycleLoss([
        [a, z],
        [b, z],
      ]);
      expect(l.dataSync()[0]).toBeCloseTo(3, 6);
      const c = new ContentFeatureCycleLoss({ weight: 2 }).call([[a, z]]);
      expect(c.dataSync()[0]).toBeCloseTo(2, 6);
      return [l, c];
    }, 'contentFeatureCycleLoss');
    tf.dispose([z, a, b]);
  });

  it('latentCycleLoss averages over the five terms of the spec', async () => {
    const z = (c: number) => tf.zeros([1, 1, 1, c]) as tf.Tensor4D;
    const origA: LatentParts = { content: z(2), style: z(4), middle: z(1) };
    const cycA: LatentParts = { content: filled(1, 2), style: filled(3, 4), middle: filled(0.5, 1) }; // 1, 10, 0.125
    const origB: LatentParts = { style: z(4), middle: z(1) };
    const cycB: LatentParts = { content: filled(9, 2), style: filled(1, 4), middle: filled(2, 1) }; // (content ignored), 2, 1.5
    await expectNoLeaks(() => {
      const l = latentCycleLoss([
        [origA, cycA],
        [origB, cycB],
      ]);
      expect(l.dataSync()[0]).toBeCloseTo((1 + 10 + 0.125 + 2 + 1.5) / 5, 5);
      const onlyStyle = latentCycleLoss(
        [
          [origA, cycA],
          [origB, cycB],
        ],
        { parts: ['style'] },
      );
      expect(onlyStyle.dataSync()[0]).toBeCloseTo((10 + 2) / 2, 5);
      const c = new LatentCycleLoss({ weight: 0.5, parts: ['middle'] }).call([[origA, cycA]]);
      expect(c.dataSync()[0]).toBeCloseTo(0.0625, 6);
      return [l, onlyStyle, c];
    }, 'latentCycleLoss');
    expect(() => latentCycleLoss([[origA, { content: cycA.content, style: cycA.style }]])).toThrow(
      /^latentCycleLoss: expected pairs\[0\]\[1\]\.middle to be a \[B, H, W, C\] tensor/,
    );
    expect(() => latentCycleLoss([[origA, { ...cycA, style: z(3) }]])).toThrow(
      /latentCycleLoss: expected pairs\[0\]\[0\]\.style of shape \[1,1,1,3\].*received shape \[1,1,1,4\]/,
    );
    expect(() => latentCycleLoss([[{}, cycA]])).toThrow(ShapeError);
    expect(() => latentCycleLoss([])).toThrow(/at least one/);
    tf.dispose([...Object.values(origA), ...Object.values(cycA), ...Object.values(origB), ...Object.values(cycB)]);
  });

  it('transferLatentCycleLoss is half the sum of content and style distances', async () => {
    const s = { content: filled(1, 2), style: filled(3, 4) }; // 1 and 10
    const t = { content: tf.zeros([1, 1, 1, 2]) as tf.Tensor4D, style: tf.zeros([1, 1, 1, 4]) as tf.Tensor4D };
    await expectNoLeaks(() => {
      const l = transferLatentCycleLoss(s, t);
      expect(l.dataSync()[0]).toBeCloseTo(5.5, 5);
      const c = new TransferLatentCycleLoss({ weight: 2 }).call(s, t);
      expect(c.dataSync()[0]).toBeCloseTo(11, 5);
      return [l, c];
    }, 'transferLatentCycleLoss');
    expect(() => transferLatentCycleLoss(s, { content: t.content, style: t.content })).toThrow(
      /^transferLatentCycleLoss: expected target\.style of shape \[1,1,1,4\]/,
    );
    expect(() => transferLatentCycleLoss(s, { content: t.content } as never)).toThrow(ShapeError);
    tf.dispose([s.content, s.style, t.content, t.style]);
  });

  test.prop([featureMapArb({ height: [1, 3], width: [1, 3], channels: [1, 4] })], opts)(
    'every cycle loss is zero at identity',
    ({ shape, data }) => {
      const x = tf.tensor4d(data, shape as [number, number, number, number]);
      const out = [
        contentFeatureCycleLoss([[x, x]]),
        latentCycleLoss([
          [
            { content: x, style: x, middle: x },
            { content: x, style: x, middle: x },
          ],
        ]),
        transferLatentCycleLoss({ content: x, style: x }, { content: x, style: x }),
      ];
      out.forEach((t) => expect(t.dataSync()[0]).toBe(0));
      tf.dispose([x, ...out]);
    },
  );

  it('gradients are finite and match the latent distance', async () => {
    const a = tf.tensor4d([0.2, -3, 1, 0], [1, 2, 1, 2]);
    const b = tf.zeros([1, 2, 1, 2]) as tf.Tensor4D;
    await expectNoLeaks(() => {
      const g1 = tf.grad((x: tf.Tensor) => latentCycleLoss([[{ style: b }, { style: x as tf.Tensor4D }]]))(a);
      const g2 = tf.grad((x: tf.Tensor) => latentDistance(x as tf.Tensor4D, b))(a);
      const g3 = tf.grad((x: tf.Tensor) =>
        transferLatentCycleLoss({ content: x as tf.Tensor4D, style: x as tf.Tensor4D }, { content: b, style: b }),
      )(a);
      const v1 = g1.dataSync(),
        v2 = g2.dataSync(),
        v3 = g3.dataSync();
      v1.forEach((v, i) => {
        expect(Number.isFinite(v)).toBe(true);
        expect(v).toBeCloseTo(v2[i], 6);
        expect(v3[i]).toBeCloseTo(v2[i], 6);
      });
      return [g1, g2, g3];
    }, 'grad cycle');
    tf.dispose([a, b]);
  });
});
