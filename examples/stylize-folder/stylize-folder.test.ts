import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { fromModelRange } from '@tpfr/models';
import { stylize } from '@tpfr/models';
import { renderPhoto } from '@tpfr/models/data';
import { readImage, saveModel, writeImage } from '@tpfr/models/node';
import { TpfrTrainer } from '@tpfr/models/train';
import { MICRO_MODEL } from '@tpfr/testing';
import { stylizeFolder } from './stylize-folder.js';

it('stylizes every image of a folder (odd sizes included) as stylize does, one PNG each', async () => {
  await initBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'tpfr-stylize-folder-'));
  try {
    const model = TpfrTrainer.createModel(MICRO_MODEL, 1);
    await saveModel(model, join(dir, 'model'));
    mkdirSync(join(dir, 'photos'));
    const bytes = (x: tf.Tensor3D) => tf.tidy(() => tf.round(fromModelRange(x)));
    const images = [renderPhoto(1, 36), renderPhoto(2, 33)].map(bytes);
    images.forEach((im, i) => writeImage(join(dir, 'photos', `p${i}.png`), im));
    writeImage(join(dir, 'style.png'), images[1]);
    const written = await stylizeFolder({
      model: join(dir, 'model'),
      contents: join(dir, 'photos'),
      styles: [join(dir, 'style.png')],
      out: join(dir, 'out'),
    });
    expect(written.map((f) => f.slice(dir.length))).toEqual(['/out/p0.png', '/out/p1.png']);
    for (const [i, f] of written.entries()) {
      const got = readImage(f);
      const want = tf.tidy(() => tf.round(stylize(model, readImage(join(dir, 'photos', `p${i}.png`)), readImage(join(dir, 'style.png')))));
      expect(got.shape).toEqual(images[i].shape);
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0])).toBeLessThanOrEqual(1);
      tf.dispose([got, want]);
    }
    tf.dispose(images);
    model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
