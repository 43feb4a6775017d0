import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, ValueError } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { writeImage } from '../image-io/file-io.js';
import { DatasetError } from './errors.js';
import { createImageFolderDataset } from './image-folder.js';

let tmp = '';
let root = '';

/** A tiny image of constant colour `v` with a vertical edge. */
function writeTiny(path: string, v: number, h = 12, w = 16): void {
  const img = tf.tidy(() => tf.concat([tf.fill([h, w / 2, 3], v), tf.fill([h, w / 2, 3], 255 - v)], 1) as tf.Tensor3D);
  writeImage(path, img);
  img.dispose();
}

beforeAll(async () => {
  await initBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'tpfr-folder-'));
  root = join(tmp, 'ok');
  writeTiny(join(root, 'photo', 'p1.png'), 10);
  writeTiny(join(root, 'photo', 'p2.jpg'), 60, 20, 10);
  writeTiny(join(root, 'photo', 'p3.JPEG'), 90);
  writeFileSync(join(root, 'photo', '.DS_Store'), 'x');
  writeTiny(join(root, 'monet', 'm1.png'), 200);
  writeTiny(join(root, 'monet', 'm2.png'), 220);
  writeTiny(join(root, 'kandinsky', 'k1.jpg'), 30, 16, 16);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('createImageFolderDataset', () => {
  it('lists photos and style classes and samples deterministic batches', () => {
    const ds = createImageFolderDataset(root, { size: 8, seed: 3 });
    expect(ds.styleClasses).toEqual(['kandinsky', 'monet']);
    expect(ds.photos).toHaveLength(3);
    expect(ds.paintings.get('monet')).toHaveLength(2);
    const a = ds.sampleBatch(5, 3);
    const b = ds.sampleBatch(5, 3);
    for (const k of ['photoA', 'paintingB', 'photoA2', 'paintingB2'] as const) {
      expect(a[k].shape).toEqual([3, 8, 8, 3]);
      const [lo, hi] = tf.tidy(() => [tf.min(a[k]).dataSync()[0], tf.max(a[k]).dataSync()[0]]);
      expect(lo).toBeGreaterThanOrEqual(-1);
      expect(hi).toBeLessThanOrEqual(1);
      expect(Array.from(a[k].dataSync())).toEqual(Array.from(b[k].dataSync()));
    }
    expect(a.styleClass).toEqual(b.styleClass);
    expect(a.styleClass.every((c) => c === 'monet' || c === 'kandinsky')).toBe(true);
    tf.dispose([a.photoA, a.paintingB, a.photoA2, a.paintingB2, b.photoA, b.paintingB, b.photoA2, b.paintingB2]);
  });

  it('pairs B and B2 from the same class folder', () => {
    // monet paintings are light (>= 200 on one half), kandinsky dark/light halves around 30.
    const ds = createImageFolderDataset(root, { size: 4, styleClasses: ['monet'], cacheSize: 0, flip: false });
    const batch = ds.sampleBatch(0, 4);
    expect(batch.styleClass).toEqual(['monet', 'monet', 'monet', 'monet']);
    tf.dispose([batch.photoA, batch.paintingB, batch.photoA2, batch.paintingB2]);
  });

  it('leaks no tensors', async () => {
    const ds = createImageFolderDataset(root, { size: 6 });
    await expectNoLeaks(() => ds.sampleBatch(0, 2), 'sampleBatch (cold cache)');
    await expectNoLeaks(() => ds.sampleBatch(1, 2), 'sampleBatch (warm cache)');
  });

  it('names a missing root, photo folder, style classes, empty folders and unsupported files', () => {
    const missing = join(tmp, 'missing');
    expect(() => createImageFolderDataset(missing)).toThrow(DatasetError);
    expect(() => createImageFolderDataset(missing)).toThrow(
      `createImageFolderDataset: expected a dataset folder, received a missing path: ${missing}`,
    );

    const noPhoto = join(tmp, 'no-photo');
    writeTiny(join(noPhoto, 'monet', 'a.png'), 1);
    expect(() => createImageFolderDataset(noPhoto)).toThrow(/expected a photo folder 'photo' in .*no-photo, received folders: monet/);
    writeTiny(join(noPhoto, 'content', 'c.png'), 1);
    const custom = createImageFolderDataset(noPhoto, { photoFolder: 'content' });
    expect(custom.photos).toHaveLength(1);
    expect(custom.styleClasses).toEqual(['monet']);

    const noStyle = join(tmp, 'no-style');
    writeTiny(join(noStyle, 'photo', 'a.png'), 1);
    expect(() => createImageFolderDataset(noStyle)).toThrow(/expected at least 1 style class folder beside 'photo'/);

    const empty = join(tmp, 'empty');
    writeTiny(join(empty, 'photo', 'a.png'), 1);
    mkdirSync(join(empty, 'monet'), { recursive: true });
    expect(() => createImageFolderDataset(empty)).toThrow(/expected at least 1 .jpg, .jpeg or .png image in .*monet, received none/);

    const unsupported = join(tmp, 'unsupported');
    writeTiny(join(unsupported, 'photo', 'a.png'), 1);
    writeTiny(join(unsupported, 'monet', 'a.png'), 1);
    writeFileSync(join(unsupported, 'monet', 'b.gif'), 'GIF89a');
    expect(() => createImageFolderDataset(unsupported)).toThrow(
      /expected only .jpg, .jpeg or .png images in .*monet, received 1 unsupported file\(s\): .*b\.gif/,
    );
    expect(createImageFolderDataset(unsupported, { ignoreUnsupported: true }).paintings.get('monet')).toHaveLength(1);

    expect(() => createImageFolderDataset(root, { styleClasses: ['turner'] })).toThrow(/expected a style class folder 'turner'/);
    expect(() => createImageFolderDataset(root, { cropScale: [0, 1] })).toThrow(ValueError);
  });

  it('names a corrupt image when a batch needs it', () => {
    const corrupt = join(tmp, 'corrupt');
    writeTiny(join(corrupt, 'monet', 'a.png'), 1);
    mkdirSync(join(corrupt, 'photo'), { recursive: true });
    writeFileSync(join(corrupt, 'photo', 'a.png'), 'garbage');
    const ds = createImageFolderDataset(corrupt, { size: 4 });
    const before = tf.memory().numTensors;
    expect(() => ds.sampleBatch(0, 1)).toThrow(/readImage: .*a\.png: decodeImage: expected a PNG or JPEG image/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
