import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { expectNoLeaks } from '@tpfr/testing';
import { initBackend, ShapeError, ValueError } from '@tpfr/core';
import { padToMultiple, toModelBatch, toPixelRange } from './images.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const values = (t: tf.Tensor) => Array.from(t.dataSync());

it('toModelBatch guesses the range from the dtype and the maximum (> 1 means 0–255) and maps to [−1, 1]', () => {
  tf.tidy(() => {
    // [1, 2, 3] levels 0, 127.5, 255 → −1, 0, 1; the rank-3 image gains a batch axis.
    const bytes = tf.tensor3d([0, 127.5, 255, 255, 0, 51], [1, 2, 3]);
    const a = toModelBatch('f', 'x', bytes);
    expect(a.range).toBe('0-255');
    expect(a.batch.shape).toEqual([1, 1, 2, 3]);
    expect(a.batch.dtype).toBe('float32');
    expect(values(a.batch)).toEqual([-1, 0, 1, 1, -1, 51 / 127.5 - 1].map((v) => Math.fround(v)));
    // The maximum exactly 1 (or within 1e−6 of it) is the model range, kept as it is.
    const unit = tf.tensor4d([-1, 0.5, 1, 1 + 5e-7, 0, -0.25], [1, 1, 2, 3]);
    const b = toModelBatch('f', 'x', unit);
    expect(b.range).toBe('-1-1');
    expect(b.batch.shape).toEqual([1, 1, 2, 3]);
    expect(values(b.batch)).toEqual(values(unit));
    // Just above 1 + 1e−6: bytes.
    expect(toModelBatch('f', 'x', tf.tensor3d([0, 0, 1.00001], [1, 1, 3])).range).toBe('0-255');
    // int32 is 0–255 whatever its values, even all 0 and 1.
    const ints = toModelBatch('f', 'x', tf.tensor3d([0, 1, 1], [1, 1, 3], 'int32'));
    expect(ints.range).toBe('0-255');
    expect(values(ints.batch)).toEqual([-1, 1 / 127.5 - 1, 1 / 127.5 - 1].map((v) => Math.fround(v)));
    // An explicit range overrides the guess both ways.
    const forced = toModelBatch('f', 'x', tf.tensor3d([0, 0.5, 1], [1, 1, 3]), '0-255');
    expect(forced.range).toBe('0-255');
    expect(values(forced.batch)).toEqual([-1, 0.5 / 127.5 - 1, 1 / 127.5 - 1].map((v) => Math.fround(v)));
    const kept = toModelBatch('f', 'x', tf.tensor3d([0, 2, 3], [1, 1, 3], 'int32'), '-1-1');
    expect(kept.range).toBe('-1-1');
    expect(kept.batch.dtype).toBe('float32');
    expect(values(kept.batch)).toEqual([0, 2, 3]);
  });
});

it('toModelBatch rejects non-tensors, other ranks and channels, empty and non-finite images and unknown ranges, naming fn and the image', async () => {
  const cases: Array<[() => unknown, typeof ShapeError | typeof ValueError, RegExp]> = [
    [
      () => toModelBatch('fnA', 'pic', [1, 2, 3] as unknown as tf.Tensor),
      ShapeError,
      /fnA: expected pic of shape \[H, W, 3\] or \[B, H, W, 3\], received object/,
    ],
    [
      () => toModelBatch('fnA', 'pic', tf.zeros([4, 3])),
      ShapeError,
      /fnA: expected pic of shape \[H, W, 3\] or \[B, H, W, 3\], received shape \[4,3\]/,
    ],
    [() => toModelBatch('fnA', 'pic', tf.zeros([1, 1, 2, 2, 3])), ShapeError, /received shape \[1,1,2,2,3\]/],
    [
      () => toModelBatch('fnA', 'pic', tf.zeros([1, 2, 2, 4])),
      ShapeError,
      /fnA: expected pic with 3 \(RGB\) channels, \[H, W, 3\] or \[B, H, W, 3\], received shape \[1,2,2,4\]/,
    ],
    [
      () => toModelBatch('fnA', 'pic', tf.zeros([0, 2, 3])),
      ShapeError,
      /fnA: expected pic with at least one pixel, received shape \[0,2,3\]/,
    ],
    [() => toModelBatch('fnA', 'pic', tf.tensor3d([0, Infinity, 0], [1, 1, 3])), ValueError, /fnA: expected pic to be finite/],
    [
      () => toModelBatch('fnA', 'pic', tf.zeros([1, 1, 3]), 'bytes' as never),
      ValueError,
      /fnA: expected range 'auto', '0-255' or '-1-1', received bytes/,
    ],
  ];
  for (const [f, type, message] of cases) {
    tf.tidy(() => {
      expect(f).toThrow(type);
      expect(f).toThrow(message);
    });
  }
  // A rank-4 batch is accepted as it is; nothing but the result is kept.
  const x = tf.zeros([2, 1, 1, 3]);
  await expectNoLeaks(() => toModelBatch('f', 'x', x).batch, 'toModelBatch');
  x.dispose();
});

it('toPixelRange maps [−1, 1] to 0–255 (clipped, not rounded) or clips to [−1, 1]', () => {
  tf.tidy(() => {
    const x = tf.tensor4d([-2, -1, -0.5, 0.001, 1, 3], [1, 1, 2, 3]);
    expect(values(toPixelRange(x, '0-255'))).toEqual([0, 0, 63.75, Math.fround(1.001) * 127.5, 255, 255].map((v) => Math.fround(v)));
    expect(values(toPixelRange(x, '-1-1'))).toEqual([-1, -1, -0.5, 0.001, 1, 1].map((v) => Math.fround(v)));
  });
});

it('padToMultiple mirrors the bottom and right up to the multiple and refuses images below the minimum side', () => {
  tf.tidy(() => {
    // [1, 3, 5, 1→3] with value 10·y + x in every channel.
    const img = tf.tile(
      tf.tensor4d(
        Array.from({ length: 15 }, (_, i) => 10 * Math.floor(i / 5) + (i % 5)),
        [1, 3, 5, 1],
      ),
      [1, 1, 1, 3],
    ) as tf.Tensor4D;
    const { padded, height, width } = padToMultiple('f', img, 4, 2);
    expect([height, width]).toEqual([3, 5]);
    expect(padded.shape).toEqual([1, 4, 8, 3]);
    const ch0 = values(tf.slice(padded, [0, 0, 0, 0], [1, 4, 8, 1]));
    // Reflect (edge not repeated): row 3 is row 1, columns 5–7 are 3, 2, 1.
    const want = [0, 1, 2].concat([1]).flatMap((y) => [0, 1, 2, 3, 4, 3, 2, 1].map((x) => 10 * y + x));
    expect(ch0).toEqual(want);
    // Already a multiple: a copy, not the same tensor.
    const square = tf.zeros([2, 4, 8, 3]) as tf.Tensor4D;
    const same = padToMultiple('f', square, 4, 4);
    expect(same.padded.shape).toEqual([2, 4, 8, 3]);
    expect(same.padded).not.toBe(square);
    // Only the width short of the multiple, then only the height.
    expect(padToMultiple('f', tf.zeros([1, 4, 6, 3]) as tf.Tensor4D, 4, 1).padded.shape).toEqual([1, 4, 8, 3]);
    expect(padToMultiple('f', tf.zeros([1, 6, 4, 3]) as tf.Tensor4D, 4, 1).padded.shape).toEqual([1, 8, 4, 3]);
    // The minimum side is allowed; one below it, in either side, is not.
    expect(padToMultiple('f', tf.zeros([1, 8, 8, 3]) as tf.Tensor4D, 4, 8).padded.shape).toEqual([1, 8, 8, 3]);
    expect(() => padToMultiple('fnB', tf.zeros([1, 7, 9, 3]) as tf.Tensor4D, 4, 8)).toThrow(ValueError);
    expect(() => padToMultiple('fnB', tf.zeros([1, 7, 9, 3]) as tf.Tensor4D, 4, 8)).toThrow(
      /fnB: expected images of at least 8×8 pixels for this network, received 7×9/,
    );
    expect(() => padToMultiple('fnB', tf.zeros([1, 9, 7, 3]) as tf.Tensor4D, 4, 8)).toThrow(
      /fnB: expected images of at least 8×8 pixels for this network, received 9×7/,
    );
  });
});

it("asks for an explicit range for float32 images on WebGPU, where 'auto' would need a synchronous read", async () => {
  const { MathBackendCPU } = await import('@tensorflow/tfjs-backend-cpu');
  const image = tf.zeros([2, 2, 3]);
  const ints = tf.zeros([2, 2, 3], 'int32');
  // A stand-in registered under the name: only the name matters before any op runs.
  tf.registerBackend('webgpu', () => new MathBackendCPU(), -1);
  try {
    await tf.setBackend('webgpu');
    expect(() => toModelBatch('stylize', 'content', image)).toThrow(
      /stylize: expected range '0-255' or '-1-1' for a float32 content on webgpu \('auto' reads the image's maximum back synchronously, which this backend cannot\), received 'auto'/,
    );
    expect(() => toModelBatch('stylize', 'content', ints, 'auto')).not.toThrow(/range/);
  } finally {
    await initBackend('wasm');
    tf.removeBackend('webgpu');
    tf.dispose([image, ints]);
  }
});
