import { readFileSync } from 'node:fs';
import { initBackend } from '@tpfr/core';
import { readTorchCheckpoint } from '@tpfr/core/torch';
import { importTorchGenerator, stylize } from '@tpfr/models';
import { readImage, saveModel, writeImage } from '@tpfr/models/node';

await initBackend('wasm');
const { model, report } = importTorchGenerator(readTorchCheckpoint(readFileSync('200_net_G.pth')));
console.log(`ngf ${report.ngf}, ${report.parameterCount} parameters`);
const result = stylize(model, readImage('photo.jpg'), readImage('painting.jpg'), { pipeline: { size: 512 } });
writeImage('out.png', result); // [512, 512, 3]
await saveModel(model, 'models/authors'); // a model folder, as any other
