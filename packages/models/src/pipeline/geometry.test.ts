import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { expectNoLeaks } from '@tpfr/testing';
import { initBackend, ShapeError, ValueError } from '@tpfr/core';
import { authorsContentPad, centerCrop, centerCropOffsets, cropBorder, reflectPad } from './index.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/** `[h, w, 3]` int32 whose value at (y, x, c) is `100·y + 10·x + c`. */
const indexImage = (h: number, w: number) =>
  tf.tensor3d(
    Array.from({ length: h * w * 3 }, (_, i) => 100 * Math.floor(i / (3 * w)) + 10 * (Math.floor(i / 3) % w) + (i % 3)),
    [h, w, 3],
    'int32',
  );

it("centre-crops with torchvision's rounding: int(round((H − h) / 2)), halves to even", () => {
  // Surplus 0…8 px: Python's round(0.5) = 0, round(1.5) = 2, round(2.5) = 2, round(3.5) = 4.
  expect(Array.from({ length: 9 }, (_, d) => centerCropOffsets([10 + d, 10], [10, 10])[0])).toEqual([0, 0, 1, 2, 2, 2, 3, 4, 4]);
  expect(centerCropOffsets([7, 12], [4, 5])).toEqual([2, 4]);
  expect(() => centerCropOffsets([4, 4], [5, 4])).toThrow(
    /centerCropOffsets: expected a crop no larger than the image \(4×4\), received 5×4/,
  );
  tf.tidy(() => {
    const img = indexImage(5, 8);
    // Square crop 2: top round(1.5) = 2, left round(3) = 3.
    const sq = centerCrop(img, 2);
    expect(sq.shape).toEqual([2, 2, 3]);
    expect(sq.dtype).toBe('int32');
    expect(Array.from(sq.dataSync()).filter((_, i) => i % 3 === 0)).toEqual([230, 240, 330, 340]);
    // [h, w] = [4, 3]: top round(0.5) = 0, left round(2.5) = 2.
    const r = centerCrop(img, [4, 3]);
    expect(Array.from(r.dataSync()).filter((_, i) => i % 3 === 0)).toEqual([20, 30, 40, 120, 130, 140, 220, 230, 240, 320, 330, 340]);
    // A batch: every image the same way.
    const b = centerCrop(tf.stack([img, tf.add(img, tf.scalar(1000, 'int32'))]) as tf.Tensor4D, [4, 3]);
    expect(b.shape).toEqual([2, 4, 3, 3]);
    expect(Array.from(b.dataSync()).slice(36)).toEqual(Array.from(r.dataSync()).map((v) => v + 1000));
    expect(Array.from(centerCrop(img, [5, 8]).dataSync())).toEqual(Array.from(img.dataSync()));
    expect(() => centerCrop(img, 6)).toThrow(/centerCrop: expected a crop no larger than the image \(5×8\), received 6×6/);
    expect(() => centerCrop(img, 0)).toThrow(ValueError);
    expect(() => centerCrop(img, [2, 2, 2] as unknown as [number, number])).toThrow(/centerCrop: expected size S or \[height, width\]/);
    expect(() => centerCrop(tf.zeros([5, 8]) as unknown as tf.Tensor3D, 2)).toThrow(ShapeError);
  });
});

it("computes the authors' content pad 8·⌊S/256⌋", () => {
  expect([1, 255, 256, 384, 511, 512, 768, 1024].map(authorsContentPad)).toEqual([0, 0, 8, 8, 8, 16, 24, 32]);
  expect(() => authorsContentPad(0)).toThrow(/authorsContentPad: expected size an integer >= 1, received 0/);
  expect(() => authorsContentPad(12.5)).toThrow(ValueError);
});

it("reflect-pads as numpy's 'reflect' (edge not repeated) and cropBorder undoes it", async () => {
  tf.tidy(() => {
    const row = tf.tensor3d(
      [1, 2, 3, 4].flatMap((v) => [v, v, v]),
      [1, 4, 3],
    );
    const tall = tf.tile(row, [3, 1, 1]) as tf.Tensor3D;
    const p = reflectPad(tall, 2);
    expect(p.shape).toEqual([7, 8, 3]);
    expect(
      Array.from(p.dataSync())
        .filter((_, i) => i % 3 === 0)
        .slice(0, 8),
    ).toEqual([3, 2, 1, 2, 3, 4, 3, 2]);
    const img = indexImage(6, 9);
    const padded = reflectPad(img, 3);
    expect(padded.dtype).toBe('int32');
    // Rows mirror too: padded rows 0–2 are image rows 3, 2, 1.
    expect(Array.from(tf.slice(padded, [0, 3, 0], [3, 1, 1]).dataSync())).toEqual([300, 200, 100]);
    expect(Array.from(cropBorder(padded, 3).dataSync())).toEqual(Array.from(img.dataSync()));
    const batch = tf.stack([img, tf.add(img, tf.scalar(1, 'int32'))]) as tf.Tensor4D;
    const pb = reflectPad(batch, 5);
    expect(pb.shape).toEqual([2, 16, 19, 3]);
    expect(Array.from(cropBorder(pb, 5).dataSync())).toEqual(Array.from(batch.dataSync()));
    expect(Array.from(reflectPad(img, 0).dataSync())).toEqual(Array.from(img.dataSync()));
    expect(cropBorder(img, 0).shape).toEqual([6, 9, 3]);
  });
  // Nothing kept but the results.
  const img = indexImage(6, 9);
  const batch = tf.stack([img, img]) as tf.Tensor4D;
  await expectNoLeaks(
    () => [reflectPad(img, 2), reflectPad(batch, 0), cropBorder(batch, 1), centerCrop(batch, [3, 4])],
    'reflectPad/cropBorder/centerCrop',
  );
  tf.dispose([img, batch]);
  tf.tidy(() => {
    const img = indexImage(6, 9);
    expect(() => reflectPad(img, 6)).toThrow(/reflectPad: expected pad <= 5 \(the shorter side − 1\) for a 6×9 image, received 6/);
    expect(() => reflectPad(img, -1)).toThrow(/reflectPad: expected pad an integer >= 0, received -1/);
    expect(() => cropBorder(img, 3)).toThrow(/cropBorder: expected 2·border < 6 \(the shorter side\) for a 6×9 image, received 3/);
    expect(() => cropBorder(tf.zeros([2, 6, 9, 4]) as tf.Tensor4D, 1)).toThrow(/cropBorder: expected image with 3 \(RGB\) channels/);
  });
});
