import { initBackend } from '@tpfr/core';
import { stylize } from '@tpfr/models';
import { loadModel, readImage, writeImage } from '@tpfr/models/node';

await initBackend('wasm');
const model = await loadModel('out/demo/model');
const result = stylize(model, readImage('photo.jpg'), [readImage('painting1.jpg'), readImage('painting2.jpg')]);
writeImage('stylized.png', result); // same size and range (0–255) as photo.jpg
