/**
 * Stylize a photo with the authors' pretrained generator, read straight from their PyTorch file:
 * `node --import tsx examples/authors-model/stylize-with-authors-model.ts 200_net_G.pth photo.jpg painting.jpg out.png [S]`.
 * The same code is in docs/guides/authors-model.md.
 */
import { readFileSync } from 'node:fs';
import { initBackend, readTorchCheckpoint } from '@tpfr/core';
import { importTorchGenerator, readImage, stylize, writeImage } from '@tpfr/models';
import type * as tf from '@tensorflow/tfjs-core';

const [checkpoint, contentFile, styleFile, outFile, size = '512'] = process.argv.slice(2);
await initBackend('wasm');

// Bytes in, named typed arrays out (legacy or zip format), then the authors' 156 keys mapped onto
// a TpfrModel with their padding and their tie rule.
const { model, report } = importTorchGenerator(readTorchCheckpoint(readFileSync(checkpoint)));
console.log(`ngf ${report.ngf}, ${report.parameterCount} parameters`);

// Their test.py: resize + centre crop to S, content reflect-padded by 8·⌊S/256⌋, min–max stretch.
const content = readImage(contentFile); // [H, W, 3], 0–255
const style = readImage(styleFile);
const result = stylize(model, content, style, { pipeline: { size: Number(size) } }) as tf.Tensor3D;
writeImage(outFile, result); // [S, S, 3]

await model.save('models/authors'); // loads back with TpfrModel.load like any other model
model.dispose();
