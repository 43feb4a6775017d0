import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tpfr/core';
import { stylize } from '@tpfr/models';
import { loadModel, readImage, writeImage } from '@tpfr/models/node';

await initBackend('wasm');
const model = await loadModel('out/demo/model'); // a folder written by saveModel / tpfr train

const content = readImage('photo.jpg'); // [H, W, 3] int32, 0–255
const styles = [readImage('style-1.jpg'), readImage('style-2.png')]; // one peer pool

const result = stylize(model, content, styles, { stages: 'two-stage', k: 5 }); // [H, W, 3], 0–255
writeImage('result.png', result);

tf.dispose([content, ...styles, result]);
model.dispose();
