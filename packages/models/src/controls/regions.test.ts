import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { regionWeights, uncoveredPixels, REGION_BLEND_RADIUS } from './regions.js';

beforeAll(async () => {
  await initBackend('cpu');
});

it('a mask of ones gives its style weight exactly 1 and the others exactly 0, whatever the weights', () => {
  tf.tidy(() => {
    const masks = tf.stack([tf.zeros([32, 24, 1]), tf.ones([32, 24, 1]), tf.zeros([32, 24, 1])]) as tf.Tensor4D;
    const w = regionWeights(masks, 4, [0.2, 0.5, 0.3]);
    expect(w.shape).toEqual([3, 8, 6, 1]);
    expect(Array.from(tf.slice(w, [1], [1]).dataSync()).every((v) => v === 1)).toBe(true);
    expect(Array.from(tf.slice(w, [0], [1]).dataSync()).every((v) => v === 0)).toBe(true);
  });
});

it('weights sum to 1 everywhere, are pure away from a border and blend within the blend radius of it (seeded property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 3, max: 12 }),
      fc.integer({ min: 3, max: 12 }),
      fc.integer({ min: 1, max: 11 }),
      fc.double({ min: 0.1, max: 5, noNaN: true }),
      (h, w, split, other) => {
        const cut = Math.min(split, w - 1);
        tf.tidy(() => {
          // Left of column `cut` (latent) style 0, right style 1, at 4× the latent size.
          const left = tf.concat([tf.ones([4 * h, 4 * cut, 1]), tf.zeros([4 * h, 4 * (w - cut), 1])], 1);
          const masks = tf.stack([left, tf.sub(1, left)]) as tf.Tensor4D;
          const weights = regionWeights(masks, 4, [1, other]);
          const v = weights.arraySync() as number[][][][];
          for (let r = 0; r < h; r++) {
            for (let c = 0; c < w; c++) {
              expect(v[0][r][c][0] + v[1][r][c][0]).toBeCloseTo(1, 5);
              const distance = c < cut ? cut - 1 - c : c - cut;
              if (distance >= REGION_BLEND_RADIUS) expect(v[c < cut ? 0 : 1][r][c][0]).toBe(1);
            }
          }
        });
      },
    ),
    { seed: 271, numRuns: 40 },
  );
});

it('names the pixels no weighted mask covers, and falls back to the style weights there', () => {
  tf.tidy(() => {
    const a = tf.concat([tf.ones([8, 5, 1]), tf.zeros([8, 3, 1])], 1);
    const b = tf.concat([tf.zeros([8, 6, 1]), tf.ones([8, 2, 1])], 1);
    const masks = tf.stack([a, b]) as tf.Tensor4D;
    expect(uncoveredPixels(masks, [1, 1])).toEqual({ count: 8, rows: [0, 7], columns: [5, 5] });
    expect(uncoveredPixels(masks, [1, 0])).toEqual({ count: 24, rows: [0, 7], columns: [5, 7] });
    expect(uncoveredPixels(tf.ones([2, 4, 4, 1]) as tf.Tensor4D, [1, 1])).toBeNull();
    const none = regionWeights(tf.zeros([2, 8, 8, 1]) as tf.Tensor4D, 4, [3, 1]);
    expect(Array.from(none.dataSync())).toEqual([0.75, 0.75, 0.75, 0.75, 0.25, 0.25, 0.25, 0.25]);
  });
});
