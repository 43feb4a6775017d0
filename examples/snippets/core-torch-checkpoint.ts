import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { readTorchCheckpoint, torchTensorToFloat32 } from '@tpfr/core/torch';

const { format, tensors } = readTorchCheckpoint(new Uint8Array(await readFile('latest_net_G.pth')));
const w = tensors.get('model_enc.0.weight')!; // { name, dtype: 'float32', shape: [32, 16, 3, 3], data: Float32Array }
const x = tf.tensor(torchTensorToFloat32(w), w.shape); // still PyTorch's layout (OIHW here)
console.log(format, x.shape);
