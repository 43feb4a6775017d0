import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, ShapeError, ValueError } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { decodeImage, encodeImage } from './codec.js';
import { ImageIoError } from './errors.js';
import { detectImageFormat, formatFromPath } from './format.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const imageArb = fc
  .tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }))
  .chain(([h, w]) => fc.array(fc.integer({ min: 0, max: 255 }), { minLength: h * w * 3, maxLength: h * w * 3 }).map((v) => ({ h, w, v })));

describe('decodeImage / encodeImage', () => {
  test.prop([imageArb], { seed: 42, numRuns: 10 })('PNG round trip is exact', ({ h, w, v }) => {
    const img = tf.tensor3d(v, [h, w, 3], 'int32');
    const bytes = encodeImage(img, 'png');
    expect(detectImageFormat(bytes)).toBe('png');
    const back = decodeImage(bytes);
    expect(back.shape).toEqual([h, w, 3]);
    expect(back.dtype).toBe('int32');
    expect(Array.from(back.dataSync())).toEqual(v);
    tf.dispose([img, back]);
  });

  it('JPEG round trip is close', () => {
    // A smooth image: JPEG keeps it within a few levels.
    const h = 24,
      w = 32;
    const v = new Int32Array(h * w * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        v[o] = x * 8;
        v[o + 1] = y * 10;
        v[o + 2] = 128;
      }
    const img = tf.tensor3d(v, [h, w, 3], 'int32');
    const bytes = encodeImage(img, 'jpeg', { quality: 95 });
    expect(detectImageFormat(bytes)).toBe('jpeg');
    const back = decodeImage(bytes);
    expect(back.shape).toEqual([h, w, 3]);
    const err = tf.tidy(() => tf.mean(tf.abs(tf.sub(tf.cast(back, 'float32'), tf.cast(img, 'float32')))).dataSync()[0]);
    expect(err).toBeLessThan(3);
    tf.dispose([img, back]);
  });

  it('accepts float and [H, W, 1] input, rounding and clipping', () => {
    const img = tf.tensor3d([-5, 0.4, 0.6, 300], [2, 2, 1]);
    const back = decodeImage(encodeImage(img));
    expect(Array.from(back.dataSync())).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 255, 255, 255]);
    tf.dispose([img, back]);
  });

  it('drops alpha and expands grayscale PNGs to RGB', () => {
    const rgba = new PNG({ width: 2, height: 1 });
    rgba.data = Buffer.from([10, 20, 30, 0, 40, 50, 60, 128]);
    const a = decodeImage(new Uint8Array(PNG.sync.write(rgba)));
    expect(Array.from(a.dataSync())).toEqual([10, 20, 30, 40, 50, 60]);
    const gray = new PNG({ width: 2, height: 1 });
    gray.data = Buffer.from([7, 7, 7, 255, 200, 200, 200, 255]);
    const g = decodeImage(new Uint8Array(PNG.sync.write(gray, { colorType: 0 })));
    expect(g.shape).toEqual([1, 2, 3]);
    expect(Array.from(g.dataSync())).toEqual([7, 7, 7, 200, 200, 200]);
    tf.dispose([a, g]);
  });

  it('names corrupt and unsupported input', () => {
    const junk = new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 2, 3, 4, 5, 6]);
    expect(() => decodeImage(junk)).toThrow('decodeImage: expected a PNG or JPEG image, received 12 bytes starting 0x4749463839610102');
    expect(() => decodeImage(new Uint8Array(0))).toThrow(/received 0 bytes/);
    const png = encodeImage(tf.tidy(() => tf.zeros([4, 4, 3]) as tf.Tensor3D));
    expect(() => decodeImage(png.slice(0, 40))).toThrow(ImageIoError);
    expect(() => decodeImage(png.slice(0, 40))).toThrow(/decodeImage: expected a valid PNG image, received corrupt data/);
    expect(() => decodeImage(new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2]))).toThrow(/decodeImage: expected a valid JPEG image/);
    const bad = tf.zeros([2, 2, 2]) as tf.Tensor3D;
    expect(() => encodeImage(bad)).toThrow(ShapeError);
    bad.dispose();
    const ok = tf.zeros([2, 2, 3]) as tf.Tensor3D;
    expect(() => encodeImage(ok, 'gif' as 'png')).toThrow(ValueError);
    expect(() => encodeImage(ok, 'jpeg', { quality: 0 })).toThrow(/quality in \[1, 100\]/);
    ok.dispose();
    expect(() => formatFromPath('/x/a.gif', 'writeImage')).toThrow(
      "writeImage: expected a .png, .jpg or .jpeg file, received '.gif' (/x/a.gif)",
    );
    expect(formatFromPath('A.JPEG')).toBe('jpeg');
  });

  it('leaks no tensors', async () => {
    const img = tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 2, 3], 'int32');
    const bytes = encodeImage(img);
    await expectNoLeaks(() => encodeImage(img, 'jpeg'), 'encodeImage');
    await expectNoLeaks(() => decodeImage(bytes), 'decodeImage');
    img.dispose();
  });
});
