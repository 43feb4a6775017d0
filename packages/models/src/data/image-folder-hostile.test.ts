import * as tf from '@tensorflow/tfjs-core';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { writeImage } from '../image-io/file-io.js';
import { DatasetError } from './errors.js';
import { createImageFolderDataset } from './image-folder.js';

const isRoot = process.getuid?.() === 0;
let tmp = '';

function writeTiny(path: string, v: number): void {
  const img = tf.tidy(() => tf.fill([8, 8, 3], v) as tf.Tensor3D);
  writeImage(path, img);
  img.dispose();
}

/** A dataset root with one good photo and one good painting, `extra` run on its monet folder. */
function root(name: string, extra: (monet: string) => void): string {
  const r = join(tmp, name);
  writeTiny(join(r, 'photo', 'p.png'), 10);
  writeTiny(join(r, 'monet', 'a.png'), 200);
  extra(join(r, 'monet'));
  return r;
}

beforeAll(async () => {
  await initBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'tpfr-folder-hostile-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('createImageFolderDataset: hostile folder entries', () => {
  it('a non-image file is refused by default, naming it, and skipped with ignoreUnsupported (the documented behaviour)', () => {
    const r = root('text', (m) => writeFileSync(join(m, 'notes.txt'), 'hello'));
    expect(() => createImageFolderDataset(r)).toThrow(DatasetError);
    expect(() => createImageFolderDataset(r)).toThrow(
      /createImageFolderDataset: expected only .jpg, .jpeg or .png images in .*monet, received 1 unsupported file\(s\): .*notes\.txt \(pass ignoreUnsupported to skip them\)/,
    );
    expect(createImageFolderDataset(r, { ignoreUnsupported: true }).paintings.get('monet')).toEqual([join(r, 'monet', 'a.png')]);
  });

  it('a folder named like an image and a broken symbolic link are not image files: skipped', () => {
    const r = root('not-files', (m) => {
      mkdirSync(join(m, 'b.png'));
      symlinkSync(join(m, 'gone.jpg'), join(m, 'c.jpg'));
    });
    const ds = createImageFolderDataset(r, { size: 4 });
    expect(ds.paintings.get('monet')).toEqual([join(r, 'monet', 'a.png')]);
    const batch = ds.sampleBatch(0, 2);
    expect(batch.paintingB.shape).toEqual([2, 4, 4, 3]);
    tf.dispose([batch.photoA, batch.paintingB, batch.photoA2, batch.paintingB2]);
  });

  it('a folder holding only entries that are not image files is an empty folder', () => {
    const r = join(tmp, 'only-links');
    writeTiny(join(r, 'photo', 'p.png'), 10);
    mkdirSync(join(r, 'monet', 'x.png'), { recursive: true });
    symlinkSync(join(r, 'nowhere.png'), join(r, 'monet', 'y.png'));
    expect(() => createImageFolderDataset(r)).toThrow(
      /^createImageFolderDataset: expected at least 1 .jpg, .jpeg or .png image in .*monet, received none$/,
    );
  });

  it('a zero-byte or truncated image: the batch that needs it names the file, and leaves no tensor', () => {
    const r = join(tmp, 'zero');
    writeTiny(join(r, 'monet', 'a.png'), 1);
    mkdirSync(join(r, 'photo'), { recursive: true });
    writeFileSync(join(r, 'photo', 'p.png'), '');
    const ds = createImageFolderDataset(r, { size: 4 });
    const before = tf.memory().numTensors;
    expect(() => ds.sampleBatch(0, 1)).toThrow(DatasetError);
    expect(() => ds.sampleBatch(0, 1)).toThrow(
      /^sampleBatch: expected readable images in .*zero, received an error: readImage: .*p\.png: decodeImage: expected a PNG or JPEG image, received 0 bytes$/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it.skipIf(isRoot)('an unreadable image (chmod 000; skipped as root, whose reads chmod does not stop): the batch names it', () => {
    const r = root('locked', (m) => {
      writeTiny(join(m, 'b.png'), 100);
      chmodSync(join(m, 'b.png'), 0o000);
    });
    const ds = createImageFolderDataset(r, { size: 4, styleClasses: ['monet'] });
    let error: unknown;
    for (let step = 0; step < 20 && !error; step++) {
      try {
        const b = ds.sampleBatch(step, 2);
        tf.dispose([b.photoA, b.paintingB, b.photoA2, b.paintingB2]);
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toMatch(/readImage: expected a readable file, could not read .*b\.png: EACCES/);
  });
});
