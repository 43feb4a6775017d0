import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { colorStatistics, keepContentChroma, matchColors, rgbToYiq } from './color.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
const image = (seed: number, h: number, w: number, lo = -1, hi = 1) => tf.randomUniform([h, w, 3], lo, hi, 'float32', seed);

describe('keepContentChroma', () => {
  it("gives the result's luminance and the content's chroma (YIQ), on any pixel scale (seeded property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        (seed, h, w, bytes) => {
          const [lo, hi] = bytes ? [0, 255] : [-1, 1];
          const scale = hi - lo;
          tf.tidy(() => {
            const result = image(seed, h, w, lo, hi);
            const content = image(seed + 1, h, w, lo, hi);
            const out = keepContentChroma(result, content);
            const [yo, yr, yc] = [rgbToYiq(out), rgbToYiq(result), rgbToYiq(content)];
            const part = (x: tf.Tensor, c: number, n: number) => tf.slice(x, [0, 0, c], [h, w, n]);
            expect(maxAbs(part(yo, 0, 1), part(yr, 0, 1))).toBeLessThan(2e-6 * scale);
            expect(maxAbs(part(yo, 1, 2), part(yc, 1, 2))).toBeLessThan(2e-6 * scale);
          });
        },
      ),
      { seed: 27, numRuns: 60 },
    );
  });

  it('keeps a grey content grey and changes nothing when result and content are one image', () => {
    tf.tidy(() => {
      const x = image(3, 5, 7);
      expect(maxAbs(keepContentChroma(x, x), x)).toBeLessThan(1e-6);
      const grey = tf.tile(tf.randomUniform([5, 7, 1], -1, 1, 'float32', 4), [1, 1, 3]);
      const out = keepContentChroma(x, grey);
      // A grey pixel has no chroma: the output is grey, at the result's luminance.
      expect(maxAbs(tf.slice(out, [0, 0, 0], [5, 7, 1]), tf.slice(out, [0, 0, 1], [5, 7, 1]))).toBeLessThan(1e-6);
    });
  });
});

describe('matchColors', () => {
  it("gives the source the target's colour mean and covariance (seeded property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 4, max: 24 }), fc.integer({ min: 4, max: 24 }), (seed, h, w) => {
        tf.tidy(() => {
          // Correlated channels, as in photos: a random (well-conditioned) mix of a random image.
          const mix = tf.add(tf.eye(3), tf.randomUniform([3, 3], -0.5, 0.5, 'float32', seed + 2));
          const source = tf.reshape(tf.matMul(tf.reshape(image(seed, h, w), [-1, 3]), mix), [h, w, 3]);
          const target = image(seed + 1, w, h, 0, 1);
          const out = matchColors(source, target);
          const [o, t] = [colorStatistics(out), colorStatistics(target)];
          expect(maxAbs(o.mean, t.mean)).toBeLessThan(1e-4);
          expect(maxAbs(o.covariance, t.covariance)).toBeLessThan(1e-4);
          expect(out.shape).toEqual(source.shape);
        });
      }),
      { seed: 28, numRuns: 40 },
    );
  });

  it('turns a flat source into the target mean without NaN, and leaves nothing behind', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const flat = tf.fill([6, 6, 3], 0.25);
      const target = image(9, 6, 6);
      const out = matchColors(flat, target);
      expect(maxAbs(out, tf.broadcastTo(colorStatistics(target).mean, [6, 6, 3]))).toBeLessThan(1e-5);
      const grey = matchColors(image(10, 6, 6), tf.fill([6, 6, 3], -0.5));
      expect(Array.from(grey.dataSync()).every((v) => Number.isFinite(v))).toBe(true);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
