import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { PNG } from 'pngjs';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, ValueError } from '@tpfr/core';
import { byteMutationArb, crc32, mutateBytes } from '@tpfr/testing';
import { decodeImage, encodeImage } from './codec.js';
import { ImageIoError } from './errors.js';
import { readImage } from './file-io.js';
import { MAX_IMAGE_PIXELS, readImageHeader } from './format.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/** A small seeded image with some structure, encoded as `format`. */
function sample(format: 'png' | 'jpeg', h = 6, w = 7): Uint8Array {
  const img = tf.tidy(() => tf.mul(tf.randomUniform([h, w, 3], 0, 1, 'float32', 5), 255) as tf.Tensor3D);
  const bytes = encodeImage(img, format, { quality: 80 });
  img.dispose();
  return bytes;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A PNG whose IHDR claims `width × height` (RGB, 8 bits), with `idat` as its image data. */
function pngClaiming(width: number, height: number, idat: Uint8Array = deflateSync(new Uint8Array(16)), interlace = 0): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, interlace], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', new Uint8Array(0)),
  ];
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** A valid JPEG whose frame header (SOF) is rewritten to claim `width × height`. */
function jpegClaiming(width: number, height: number): Uint8Array {
  const bytes = sample('jpeg').slice();
  for (let at = 2; at < bytes.length; ) {
    const marker = bytes[at + 1];
    if (marker >= 0xc0 && marker <= 0xc2) {
      new DataView(bytes.buffer).setUint16(at + 5, height);
      new DataView(bytes.buffer).setUint16(at + 7, width);
      return bytes;
    }
    at += 2 + ((bytes[at + 2] << 8) | bytes[at + 3]);
  }
  throw new Error('no SOF in the sample JPEG');
}

/** Runs `f` and returns what it threw (fails when it does not throw). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('decodeImage: hostile headers are refused before decoding allocates', () => {
  it('a PNG header claiming 100,000 × 100,000 pixels, with the claimed size and the limit', () => {
    const bomb = pngClaiming(100_000, 100_000);
    expect(readImageHeader(bomb)).toMatchObject({ format: 'png', width: 100_000, height: 100_000 });
    const before = process.memoryUsage().arrayBuffers;
    const e = thrown(() => decodeImage(bomb));
    expect(e).toBeInstanceOf(ImageIoError);
    expect(e.message).toBe(
      `decodeImage: expected an image of at most ${MAX_IMAGE_PIXELS} pixels (maxPixels), received a PNG header claiming 100000 × 100000 = 10000000000 pixels`,
    );
    // Refused from the header: nothing near the 40 GB of RGBA was allocated.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });

  it('a JPEG frame header claiming 60,000 × 50,000 pixels', () => {
    const bomb = jpegClaiming(60_000, 50_000);
    expect(readImageHeader(bomb)).toMatchObject({ format: 'jpeg', width: 60_000, height: 50_000 });
    expect(() => decodeImage(bomb)).toThrow(
      `decodeImage: expected an image of at most ${MAX_IMAGE_PIXELS} pixels (maxPixels), received a JPEG header claiming 60000 × 50000 = 3000000000 pixels`,
    );
  });

  it('maxPixels lowers (or raises) the limit; a bad maxPixels is a ValueError', () => {
    const png = sample('png', 6, 7);
    expect(() => decodeImage(png, { maxPixels: 41 })).toThrow(
      /at most 41 pixels \(maxPixels\), received a PNG header claiming 7 × 6 = 42 pixels/,
    );
    const ok = decodeImage(png, { maxPixels: 42 });
    expect(ok.shape).toEqual([6, 7, 3]);
    ok.dispose();
    expect(() => decodeImage(sample('jpeg', 6, 7), { maxPixels: 41 })).toThrow(/received a JPEG header claiming 7 × 6 = 42 pixels/);
    expect(() => decodeImage(png, { maxPixels: 0 })).toThrow(ValueError);
    expect(() => decodeImage(png, { maxPixels: 1.5 })).toThrow('decodeImage: expected maxPixels an integer >= 1, received 1.5');
  });

  it('a PNG or JPEG header claiming 0 pixels', () => {
    expect(() => decodeImage(pngClaiming(0, 10))).toThrow(/decodeImage: expected a PNG header with width and height >= 1, received 0 × 10/);
    expect(() => decodeImage(jpegClaiming(10, 0))).toThrow(
      /decodeImage: expected a JPEG header with width and height >= 1, received 10 × 0/,
    );
  });

  it('an interlaced PNG whose data inflates beyond what its header allows (a zip bomb)', () => {
    const bomb = pngClaiming(4, 4, deflateSync(new Uint8Array(8 * 2 ** 20)), 1);
    expect(bomb.length).toBeLessThan(16_000);
    const e = thrown(() => decodeImage(bomb));
    expect(e).toBeInstanceOf(ImageIoError);
    expect(e.message).toMatch(
      /^decodeImage: expected interlaced PNG data of at most \d+ bytes once inflated \(4 × 4\), received data that does not inflate within it/,
    );
  });

  it('an interlaced PNG within its bound decodes', () => {
    const png = new PNG({ width: 5, height: 3 });
    png.data = Buffer.from(Array.from({ length: 60 }, (_, i) => (i % 4 === 3 ? 255 : i * 4)));
    // pngjs writes no interlaced PNGs: the Adam7 passes of a 5 × 3 RGBA image by hand.
    const passes: number[][] = [
      [0, 0, 8, 8],
      [4, 0, 8, 8],
      [0, 4, 4, 8],
      [2, 0, 4, 4],
      [0, 2, 2, 4],
      [1, 0, 2, 2],
      [0, 1, 1, 2],
    ];
    const rows: number[] = [];
    for (const [x0, y0, dx, dy] of passes) {
      for (let y = y0; y < 3; y += dy) {
        const row = [0];
        for (let x = x0; x < 5; x += dx) row.push(...png.data.subarray((y * 5 + x) * 4, (y * 5 + x) * 4 + 4));
        if (row.length > 1) rows.push(...row);
      }
    }
    const ihdr = pngClaiming(5, 3, deflateSync(Uint8Array.from(rows)), 1);
    ihdr[25] = 6; // RGBA
    // Fix the IHDR CRC after the colour type change.
    new DataView(ihdr.buffer).setUint32(29, crc32(ihdr.subarray(12, 29)));
    const img = decodeImage(ihdr);
    expect(img.shape).toEqual([3, 5, 3]);
    expect(Array.from(img.dataSync()).slice(0, 6)).toEqual([0, 4, 8, 16, 20, 24]);
    img.dispose();
  });
});

describe('decodeImage: zero-byte, truncated and corrupt files', () => {
  it.each(['png', 'jpeg'] as const)('%s: zero bytes, every cut of the header, a cut in the data, garbage after the magic', (format) => {
    const bytes = sample(format);
    expect(() => decodeImage(new Uint8Array(0))).toThrow('decodeImage: expected a PNG or JPEG image, received 0 bytes');
    for (let cut = 0; cut < Math.min(bytes.length, 64); cut++) {
      expect(thrown(() => decodeImage(bytes.subarray(0, cut)))).toBeInstanceOf(ImageIoError);
    }
    expect(thrown(() => decodeImage(bytes.subarray(0, bytes.length >> 1)))).toBeInstanceOf(ImageIoError);
    const garbage = Uint8Array.from([...bytes.subarray(0, format === 'png' ? 8 : 3), ...new Uint8Array(200).fill(0x5a)]);
    expect(thrown(() => decodeImage(garbage)).message).toMatch(
      format === 'png'
        ? /^decodeImage: expected the PNG's first chunk to be IHDR/
        : /^decodeImage: expected a valid JPEG image, received corrupt data/,
    );
  });

  it('names a PNG cut inside its header, with its size', () => {
    expect(() => decodeImage(sample('png').subarray(0, 20))).toThrow(
      'decodeImage: expected a PNG header (signature and IHDR chunk, 33 bytes), received a truncated PNG (20 bytes starting 0x89504e470d0a1a0a)',
    );
  });
});

const mutation = byteMutationArb(8);
const mutate = mutateBytes;

describe('decodeImage: mutated valid files (seeded property)', () => {
  it('each decodes to a valid [H, W, 3] int32 tensor or throws an ImageIoError', () => {
    const files = [sample('png', 5, 6), sample('jpeg', 9, 11), sample('jpeg', 17, 16)];
    const before = tf.memory().numTensors;
    let decoded = 0;
    fc.assert(
      fc.property(fc.nat({ max: files.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), (which, edits) => {
        let img: tf.Tensor3D;
        try {
          // Small limit: a mutated header claiming a large size is refused, not decoded.
          img = decodeImage(mutate(files[which], edits), { maxPixels: 4096 });
        } catch (e) {
          if (!(e instanceof ImageIoError)) throw e;
          return;
        }
        decoded++;
        const [h, w, c] = img.shape;
        const values = img.dataSync();
        img.dispose();
        expect(img.dtype).toBe('int32');
        expect(c).toBe(3);
        expect(h * w).toBeGreaterThan(0);
        expect(h * w).toBeLessThanOrEqual(4096);
        expect(values.every((v) => v >= 0 && v <= 255)).toBe(true);
      }),
      { seed: 7, numRuns: 400 },
    );
    expect(decoded).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('readImage: entries that are not readable image files', () => {
  const isRoot = process.getuid?.() === 0;
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tpfr-hostile-read-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a zero-byte file, a truncated file, a broken symbolic link and a folder named like an image', () => {
    writeFileSync(join(dir, 'zero.png'), '');
    expect(() => readImage(join(dir, 'zero.png'))).toThrow(
      `readImage: ${join(dir, 'zero.png')}: decodeImage: expected a PNG or JPEG image, received 0 bytes`,
    );
    writeFileSync(join(dir, 'cut.jpg'), sample('jpeg').subarray(0, 200));
    expect(() => readImage(join(dir, 'cut.jpg'))).toThrow(ImageIoError);
    symlinkSync(join(dir, 'gone.png'), join(dir, 'link.png'));
    expect(() => readImage(join(dir, 'link.png'))).toThrow(`readImage: no such file: ${join(dir, 'link.png')}`);
    mkdirSync(join(dir, 'folder.jpg'));
    expect(() => readImage(join(dir, 'folder.jpg'))).toThrow(
      `readImage: expected a file, received a directory: ${join(dir, 'folder.jpg')}`,
    );
  });

  it('a header above maxPixels, with the file named', () => {
    writeFileSync(join(dir, 'big.png'), pngClaiming(100_000, 100_000));
    expect(() => readImage(join(dir, 'big.png'))).toThrow(
      `readImage: ${join(dir, 'big.png')}: decodeImage: expected an image of at most ${MAX_IMAGE_PIXELS} pixels (maxPixels), received a PNG header claiming 100000 × 100000 = 10000000000 pixels`,
    );
    writeFileSync(join(dir, 'small.png'), sample('png', 6, 7));
    expect(() => readImage(join(dir, 'small.png'), { maxPixels: 10 })).toThrow(/at most 10 pixels/);
  });

  it.skipIf(isRoot)('a file without read permission (chmod 000; skipped as root, whose reads chmod does not stop)', () => {
    const file = join(dir, 'locked.png');
    writeFileSync(file, sample('png'));
    chmodSync(file, 0o000);
    expect(() => readImage(file)).toThrow(
      new RegExp(`^readImage: expected a readable file, could not read ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: EACCES`),
    );
  });
});
