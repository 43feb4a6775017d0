import * as tf from '@tensorflow/tfjs-core';
import jpegJs from 'jpeg-js';
import { PNG } from 'pngjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it, vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { decodeImage, encodeImage } from './codec.js';
import { ImageIoError } from './errors.js';
import { readImage } from './file-io.js';

// pngjs and jpeg-js are optional peer dependencies, required on first use: played missing here.
vi.mock('node:module', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:module')>();
  const missing = (id: string): never => {
    throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
  };
  return { ...actual, createRequire: () => missing };
});

const message = (fn: string, name: string, format: string) =>
  `${fn}: expected the package '${name}' for ${format} images, an optional peer dependency of @tpfr/models that is not installed: npm i pngjs jpeg-js`;

beforeAll(async () => {
  await initBackend('cpu');
});

it('without pngjs and jpeg-js, encoding and decoding say which package to install, naming the function', () => {
  const image = tf.zeros([2, 3, 3]) as tf.Tensor3D;
  const rgba = { width: 3, height: 2, data: Buffer.alloc(24, 128) };
  const png = new PNG({ width: 3, height: 2 });
  png.data = rgba.data;
  const pngBytes = new Uint8Array(PNG.sync.write(png));
  const jpegBytes = new Uint8Array(jpegJs.encode(rgba, 90).data);
  for (const [format, name, bytes] of [
    ['png', 'pngjs', pngBytes],
    ['jpeg', 'jpeg-js', jpegBytes],
  ] as const) {
    const label = format.toUpperCase();
    expect(() => encodeImage(image, format)).toThrow(ImageIoError);
    expect(() => encodeImage(image, format)).toThrow(message('encodeImage', name, label));
    expect(() => decodeImage(bytes)).toThrow(ImageIoError);
    expect(() => decodeImage(bytes)).toThrow(message('decodeImage', name, label));
  }
  image.dispose();
});

it('readImage passes the reason on, naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tpfr-codec-optional-'));
  try {
    const file = join(dir, 'a.png');
    const png = new PNG({ width: 1, height: 1 });
    png.data = Buffer.alloc(4, 255);
    writeFileSync(file, PNG.sync.write(png));
    expect(() => readImage(file)).toThrow(`readImage: ${file}: ${message('decodeImage', 'pngjs', 'PNG')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
