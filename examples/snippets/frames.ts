import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tpfr/core';
import { createStylizer } from '@tpfr/models';
import { loadModel, readImage, writeImage } from '@tpfr/models/node';

await initBackend('wasm');
const model = await loadModel('out/demo/model');
// The exemplars are encoded once; each frame costs one encoding, the searches and one decoding.
const stylizer = createStylizer(model, readImage('monet.jpg'), { strength: 0.9 }); // coherence on by default
for (let i = 1; i <= 120; i++) {
  const name = `frame-${String(i).padStart(4, '0')}.png`;
  const frame = readImage(`frames/${name}`); // [H, W, 3], 0–255
  const result = stylizer.stylize(frame); // kept coherent with the frame before
  writeImage(`out/${name}`, result);
  tf.dispose([frame, result]);
}
const softer = stylizer.restyle(0.5) as tf.Tensor3D; // the last frame again at another strength: one decoding
writeImage('out/last-softer.png', softer);
softer.dispose();
stylizer.dispose(); // frees the exemplars' codes and the last frame
