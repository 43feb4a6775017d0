import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { initBackend, ShapeError, ValueError } from '@tpfr/core';
import { centerCrop, centerCropOffsets, cropBorder, reflectPad } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** `[h, w, 3]` int32 whose value at (y, x, c) is `100·y + 10·x + c`. */
const indexImage = (h: number, w: number) =>
  tf.tensor3d(
    Array.from({ length: h * w * 3 }, (_, i) => 100 * Math.floor(i / (3 * w)) + 10 * (Math.floor(i / 3) % w) + (i % 3)),
    [h, w, 3],
    'int32',
  );
/** Channel 0 of an image as rows of values. */
const rows = (t: tf.Tensor3D) => {
  const [h, w] = t.shape;
  const v = Array.from(t.dataSync());
  return Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => v[3 * (y * w + x)]));
};

it('centerCropOffsets rounds each side on its own, halves to even, and checks every side', () => {
  // Width surplus 1, 3, 5, 7 → left 0, 2, 2, 4 (round half to even); height surplus 0.
  expect([1, 3, 5, 7].map((d) => centerCropOffsets([6, 6 + d], [6, 6])[1])).toEqual([0, 2, 2, 4]);
  // Non-half fractions never occur (surplus / 2), whole surpluses halve exactly.
  expect(centerCropOffsets([20, 31], [4, 5])).toEqual([8, 13]);
  expect(centerCropOffsets([5, 5], [5, 5])).toEqual([0, 0]);
  const bad: Array<[[number, number], [number, number], RegExp]> = [
    [[0, 4], [1, 1], /centerCropOffsets: expected height an integer >= 1, received 0/],
    [[4, 2.5], [1, 1], /centerCropOffsets: expected width an integer >= 1, received 2.5/],
    [[4, 4], [0, 1], /centerCropOffsets: expected crop height an integer >= 1, received 0/],
    [[4, 4], [1, -2], /centerCropOffsets: expected crop width an integer >= 1, received -2/],
    [[4, 4], [4, 5], /centerCropOffsets: expected a crop no larger than the image \(4×4\), received 4×5/],
  ];
  for (const [sides, crop, message] of bad) {
    expect(() => centerCropOffsets(sides, crop)).toThrow(ValueError);
    expect(() => centerCropOffsets(sides, crop)).toThrow(message);
  }
});

it('centerCrop cuts the window its offsets give, from images and batches, and refuses bad sizes by name', () => {
  tf.tidy(() => {
    const img = indexImage(7, 9);
    // Crop [4, 4]: top round(1.5) = 2, left round(2.5) = 2.
    expect(rows(centerCrop(img, [4, 4]))).toEqual([2, 3, 4, 5].map((y) => [2, 3, 4, 5].map((x) => 100 * y + 10 * x)));
    // Crop [3, 8]: top 2, left round(0.5) = 0.
    expect(rows(centerCrop(img, [3, 8]))).toEqual([2, 3, 4].map((y) => [0, 1, 2, 3, 4, 5, 6, 7].map((x) => 100 * y + 10 * x)));
    // A batch: each image's window, the batch kept.
    const batch = tf.stack([img, tf.neg(img)]) as tf.Tensor4D;
    const b = centerCrop(batch, 3);
    expect(b.shape).toEqual([2, 3, 3, 3]);
    expect(rows(tf.squeeze(tf.slice(b, [1], [1]), [0]) as tf.Tensor3D)).toEqual(rows(tf.neg(centerCrop(img, 3)) as tf.Tensor3D));
    const bad: Array<[unknown, RegExp]> = [
      [[3], /centerCrop: expected size S or \[height, width\], received \[3\]/],
      ['3', /centerCrop: expected size S or \[height, width\], received "3"/],
      [[0, 3], /centerCrop: expected crop height an integer >= 1, received 0/],
      [[3, 1.5], /centerCrop: expected crop width an integer >= 1, received 1.5/],
      [[8, 9], /centerCrop: expected a crop no larger than the image \(7×9\), received 8×9/],
      [[7, 10], /centerCrop: expected a crop no larger than the image \(7×9\), received 7×10/],
    ];
    for (const [size, message] of bad) {
      expect(() => centerCrop(img, size as number), JSON.stringify(size)).toThrow(ValueError);
      expect(() => centerCrop(img, size as number), JSON.stringify(size)).toThrow(message);
    }
    expect(centerCrop(img, [7, 9]).shape).toEqual([7, 9, 3]);
    expect(centerCrop(batch, [7, 1]).shape).toEqual([2, 7, 1, 3]);
    expect(() => centerCrop(tf.zeros([7, 9, 4]) as tf.Tensor3D, 2)).toThrow(/centerCrop: expected image with 3 \(RGB\) channels/);
  });
});

it('reflectPad allows pads up to the shorter side − 1 and cropBorder borders below half of it, for tall and wide images', () => {
  tf.tidy(() => {
    const tall = indexImage(5, 3);
    const wide = indexImage(3, 5);
    // Pad 2 = shorter side − 1: the largest mirror; columns of the tall image mirror as 2, 1, 0, 1, 2, 1, 0.
    const p = reflectPad(tall, 2);
    expect(p.shape).toEqual([9, 7, 3]);
    expect(rows(p)[2]).toEqual([2, 1, 0, 1, 2, 1, 0].map((x) => 10 * x));
    expect(reflectPad(wide, 2).shape).toEqual([7, 9, 3]);
    expect(() => reflectPad(tall, 3)).toThrow(/reflectPad: expected pad <= 2 \(the shorter side − 1\) for a 5×3 image, received 3/);
    expect(() => reflectPad(wide, 3)).toThrow(/reflectPad: expected pad <= 2 \(the shorter side − 1\) for a 3×5 image, received 3/);
    expect(() => reflectPad(tall, 1.5)).toThrow(/reflectPad: expected pad an integer >= 0, received 1.5/);
    // A batch, padded image by image.
    const pb = reflectPad(tf.stack([tall, tall]) as tf.Tensor4D, 1);
    expect(pb.shape).toEqual([2, 7, 5, 3]);
    expect(Array.from(tf.slice(pb, [1, 0, 0, 0], [1, 7, 5, 3]).dataSync())).toEqual(Array.from(reflectPad(tall, 1).dataSync()));
    // cropBorder: 2·border < shorter side; border 1 of a 3-pixel side leaves 1.
    expect(rows(cropBorder(tall, 1))).toEqual([[110], [210], [310]]);
    expect(cropBorder(wide, 1).shape).toEqual([1, 3, 3]);
    expect(cropBorder(tf.stack([wide, wide]) as tf.Tensor4D, 1).shape).toEqual([2, 1, 3, 3]);
    expect(() => cropBorder(tall, 2)).toThrow(/cropBorder: expected 2·border < 3 \(the shorter side\) for a 5×3 image, received 2/);
    expect(() => cropBorder(wide, 2)).toThrow(/cropBorder: expected 2·border < 3 \(the shorter side\) for a 3×5 image, received 2/);
    expect(() => cropBorder(tall, -1)).toThrow(/cropBorder: expected border an integer >= 0, received -1/);
    expect(() => cropBorder(tf.zeros([5, 5]) as unknown as tf.Tensor3D, 1)).toThrow(ShapeError);
    expect(() => reflectPad(tf.zeros([1, 5, 5, 1]) as tf.Tensor4D, 1)).toThrow(/reflectPad: expected image with 3 \(RGB\) channels/);
  });
});
