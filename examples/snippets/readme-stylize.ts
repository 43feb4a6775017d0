import { initBackend } from '@tpfr/core';
import { stylize } from '@tpfr/models';
import { loadModel, readImage, writeImage } from '@tpfr/models/node';

await initBackend('wasm');
const model = await loadModel('out/demo/model'); // written by `pnpm demo`, `tpfr train` or `tpfr import-torch`
const photo = readImage('photo.jpg'); // [H, W, 3], 0–255, any size
const paintings = [readImage('monet-1.jpg'), readImage('monet-2.jpg')]; // the exemplars: one peer pool
const result = stylize(model, photo, paintings, { strength: 0.8 }); // [H, W, 3], 0–255; strength 1 is the full style
writeImage('stylized.png', result);
