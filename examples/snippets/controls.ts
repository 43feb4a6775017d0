import { initBackend } from '@tpfr/core';
import { stylize } from '@tpfr/models';
import { loadModel, readImage, writeImage } from '@tpfr/models/node';

await initBackend('wasm');
const model = await loadModel('out/demo/model');
const photo = readImage('photo.jpg'); // [H, W, 3], 0–255
const [monet, hokusai] = [readImage('monet.jpg'), readImage('hokusai.jpg')];

// #region strength
const gentle = stylize(model, photo, monet, { strength: 0.6 }); // 0: the photo's reconstruction, 1: full style
// #endregion strength
// #region weights
const blend = stylize(model, photo, [monet, hokusai], { styleWeights: [0.7, 0.3] }); // each style on its own, mixed
// #endregion weights
// #region colour
const ownColours = stylize(model, photo, monet, { preserveColor: 'luminance' }); // or 'histogram'
// #endregion colour
// #region regions
const sky = readImage('sky-mask.png'); // white where Monet applies, any size
const ground = readImage('ground-mask.png'); // white where Hokusai applies
const regions = stylize(model, photo, [monet, hokusai], { masks: [sky, ground] });
// #endregion regions

for (const [name, image] of Object.entries({ gentle, blend, ownColours, regions })) writeImage(`${name}.png`, image);
