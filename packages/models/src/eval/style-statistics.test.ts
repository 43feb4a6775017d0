import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { expect, it } from 'vitest';
import { ShapeError } from '@tpfr/core';
import { describeEachBackend, expectNoLeaks } from '@tpfr/testing';
import { renderPhoto } from '../data/synthetic.js';
import { disposeStyleStatistics, styleDistance, styleStatistics } from './style-statistics.js';

describeEachBackend('styleStatistics / styleDistance', () => {
  it('has the documented shapes', () => {
    const img = renderPhoto(1, 32);
    const s = styleStatistics(img);
    expect(s.colourGram.shape).toEqual([3, 3]);
    expect(s.textureGrams.shape).toEqual([3, 7, 7]);
    expect(s.mean.shape).toEqual([3]);
    expect(s.std.shape).toEqual([3]);
    disposeStyleStatistics(s);
    img.dispose();
  });

  it('is 0 on identical images, symmetric, and positive on different ones', () => {
    const a = renderPhoto(1, 32);
    const b = renderPhoto(2, 32);
    expect(styleDistance(a, a)).toBeCloseTo(0, 6);
    const ab = styleDistance(a, b);
    expect(ab).toBeGreaterThan(0.05);
    expect(styleDistance(b, a)).toBeCloseTo(ab, 5);
    tf.dispose([a, b]);
  });

  it('names bad shapes and leaks nothing', async () => {
    const small = tf.zeros([8, 8, 3]) as tf.Tensor3D;
    expect(() => styleStatistics(small)).toThrow(ShapeError);
    expect(() => styleStatistics(small)).toThrow('styleStatistics: expected image of shape [H, W, 3] with H, W >= 16, received [8,8,3]');
    const a = renderPhoto(3, 16);
    const b = renderPhoto(4, 24);
    await expectNoLeaks(() => styleStatistics(a), 'styleStatistics');
    await expectNoLeaks(() => styleDistance(a, b), 'styleDistance');
    tf.dispose([small, a, b]);
  });
});

test.prop([fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 })], { seed: 42, numRuns: 10 })(
  'style distance is symmetric, finite and >= 0',
  (i, j) => {
    const a = renderPhoto(i, 16);
    const b = renderPhoto(j, 16);
    const d = styleDistance(a, b);
    expect(Number.isFinite(d) && d >= 0).toBe(true);
    expect(styleDistance(b, a)).toBeCloseTo(d, 5);
    tf.dispose([a, b]);
  },
);
