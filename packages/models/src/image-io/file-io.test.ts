import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { ImageIoError } from './errors.js';
import { readImage, writeImage } from './file-io.js';
import { fromModelRange, toModelRange } from '../model/pixel-range.js';

let dir = '';
beforeAll(async () => {
  await initBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'tpfr-image-io-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readImage / writeImage', () => {
  it('writes and reads PNG (exact) and JPEG (close) by extension, creating folders', () => {
    const img = tf.tidy(() => tf.cast(tf.mul(tf.randomUniform([8, 12, 3], 0, 1, 'float32', 1), 255), 'int32') as tf.Tensor3D);
    writeImage(join(dir, 'sub', 'a.png'), img);
    writeImage(join(dir, 'a.JPG'), img, { quality: 100 });
    const png = readImage(join(dir, 'sub', 'a.png'));
    const jpg = readImage(join(dir, 'a.JPG'));
    expect(Array.from(png.dataSync())).toEqual(Array.from(img.dataSync()));
    expect(jpg.shape).toEqual([8, 12, 3]);
    tf.dispose([img, png, jpg]);
  });

  it('names missing files, directories, unsupported extensions and corrupt files', () => {
    const missing = join(dir, 'nope.png');
    expect(() => readImage(missing)).toThrow(ImageIoError);
    expect(() => readImage(missing)).toThrow(`readImage: no such file: ${missing}`);
    expect(() => readImage(join(dir, 'x.gif'))).toThrow(/readImage: expected a .png, .jpg or .jpeg file, received '.gif'/);
    expect(() => readImage(join(dir, 'noext'))).toThrow(/received no extension/);
    writeFileSync(join(dir, 'bad.png'), 'not an image at all');
    expect(() => readImage(join(dir, 'bad.png'))).toThrow(
      /readImage: .*bad\.png: decodeImage: expected a PNG or JPEG image, received 19 bytes starting 0x6e6f7420616e2069/,
    );
    const img = tf.zeros([2, 2, 3]) as tf.Tensor3D;
    expect(() => writeImage(join(dir, 'a.bmp'), img)).toThrow(/writeImage: expected a .png, .jpg or .jpeg file/);
    img.dispose();
  });

  it('converts between 0-255 and [-1, 1]', async () => {
    const x = tf.tensor1d([0, 127.5, 255], 'float32');
    const m = toModelRange(x);
    expect(Array.from(m.dataSync())).toEqual([-1, 0, 1]);
    const back = fromModelRange(tf.tensor1d([-2, -1, 0, 1, 3]));
    expect(Array.from(back.dataSync())).toEqual([0, 0, 127.5, 255, 255]);
    const path = join(dir, 'r.png');
    const zeros = tf.zeros([2, 2, 3]) as tf.Tensor3D;
    await expectNoLeaks(() => writeImage(path, zeros), 'writeImage');
    zeros.dispose();
    await expectNoLeaks(() => readImage(path), 'readImage');
    await expectNoLeaks(() => toModelRange(x), 'toModelRange');
    await expectNoLeaks(() => fromModelRange(m), 'fromModelRange');
    tf.dispose([x, m, back]);
  });
});
