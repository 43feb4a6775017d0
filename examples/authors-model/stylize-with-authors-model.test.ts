import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { fromModelRange } from '@tpfr/models';
import { writeTorchCheckpoint } from '@tpfr/testing';
import { renderPhoto } from '@tpfr/models/data';
import { loadModel, readImage, writeImage } from '@tpfr/models/node';
import { authorsGeneratorKeys, syntheticAuthorsStateDict } from '@tpfr/models/torch';
import { stylizeWithAuthorsModel } from './stylize-with-authors-model.js';

it("stylizes with a checkpoint in the authors' legacy format (small: ngf 8) and saves the imported model", async () => {
  await initBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'tpfr-authors-example-'));
  try {
    const tensors = syntheticAuthorsStateDict(authorsGeneratorKeys({ ngf: 8, residualBlocks: 1 }), 3);
    writeFileSync(
      join(dir, 'G.pth'),
      writeTorchCheckpoint([...tensors].map(([name, t]) => ({ name, ...t })) as Parameters<typeof writeTorchCheckpoint>[0], {
        format: 'legacy',
      }),
    );
    const bytes = (x: tf.Tensor3D) => tf.tidy(() => tf.round(fromModelRange(x)));
    const [photo, painting] = [bytes(renderPhoto(1, 90)), bytes(renderPhoto(2, 70))];
    writeImage(join(dir, 'photo.png'), photo);
    writeImage(join(dir, 'painting.png'), painting);
    const report = await stylizeWithAuthorsModel({
      checkpoint: join(dir, 'G.pth'),
      content: join(dir, 'photo.png'),
      style: join(dir, 'painting.png'),
      out: join(dir, 'out.png'),
      size: 64,
      modelDir: join(dir, 'model'),
    });
    expect([report.format, report.ngf]).toEqual(['legacy', 8]);
    const out = readImage(join(dir, 'out.png'));
    expect(out.shape).toEqual([64, 64, 3]);
    // The authors' stretch: the darkest value is 0 and the brightest 255.
    expect(tf.tidy(() => [tf.min(out).dataSync()[0], tf.max(out).dataSync()[0]])).toEqual([0, 255]);
    const model = await loadModel(join(dir, 'model'));
    expect(model.config).toMatchObject({ ngf: 8, downsamplePadding: 'symmetric', ties: 'include' });
    model.dispose();
    tf.dispose([photo, painting, out]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
