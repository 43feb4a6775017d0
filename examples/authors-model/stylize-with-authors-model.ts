/**
 * Stylize a photo with the authors' pretrained generator, read straight from their PyTorch file:
 * `node --import tsx examples/authors-model/stylize-with-authors-model.ts 200_net_G.pth photo.jpg painting.jpg out.png [S]`.
 * docs/guides/authors-model.md shows the short form of the same steps.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tpfr/core';
import { readTorchCheckpoint } from '@tpfr/core/torch';
import { importTorchGenerator, stylize, type TorchImportReport } from '@tpfr/models';
import { readImage, saveModel, writeImage } from '@tpfr/models/node';

/** Options of {@link stylizeWithAuthorsModel}. */
export interface AuthorsModelOptions {
  /** Their generator checkpoint (`200_net_G.pth`, legacy or zip format). */
  checkpoint: string;
  content: string;
  style: string;
  /** The result image (`[S, S, 3]`). */
  out: string;
  /** Their `test.py` size S (default 512). */
  size?: number;
  /** Also save the imported model as a model folder here. */
  modelDir?: string;
}

/** Imports their generator and runs their test-time pipeline; returns what the import found. */
export async function stylizeWithAuthorsModel(o: AuthorsModelOptions): Promise<TorchImportReport> {
  // Bytes in, named typed arrays out, then the authors' 156 keys mapped onto a TpfrModel with
  // their padding and their tie rule.
  const { model, report } = importTorchGenerator(readTorchCheckpoint(readFileSync(o.checkpoint)));
  try {
    // Their test.py: resize + centre crop to S, content reflect-padded by 8·⌊S/256⌋, min–max stretch.
    const content = readImage(o.content); // [H, W, 3], 0–255
    const style = readImage(o.style);
    const result = stylize(model, content, style, { pipeline: { size: o.size ?? 512 } }); // [S, S, 3]
    writeImage(o.out, result);
    tf.dispose([content, style, result]);
    if (o.modelDir) await saveModel(model, o.modelDir); // loads back with loadModel like any other model
  } finally {
    model.dispose();
  }
  return report;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [checkpoint, content, style, out, size = '512'] = process.argv.slice(2);
  await initBackend('wasm');
  const report = await stylizeWithAuthorsModel({ checkpoint, content, style, out, size: Number(size), modelDir: 'models/authors' });
  console.log(`ngf ${report.ngf}, ${report.parameterCount} parameters; wrote ${out} and models/authors`);
}
