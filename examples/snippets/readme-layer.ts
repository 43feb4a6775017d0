import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { peerRecombination, stackPeers } from '@tpfr/layers';

// Inputs: content [B, h, w, 64], style [B, h, w, 128], the exemplars' codes [B, P, h′, w′, 64 | 128].
const inputs = [
  [null, null, 64],
  [null, null, 128],
  [null, null, null, 64],
  [null, null, null, 128],
].map((shape) => tfl.input({ shape }));
const [content, style] = peerRecombination({ k: 5 }).apply(inputs) as tfl.SymbolicTensor[];
const merged = tfl.layers
  .conv2d({ filters: 32, kernelSize: 1 })
  .apply(tfl.layers.concatenate().apply([content, style])) as tfl.SymbolicTensor;
const model = tfl.model({ inputs, outputs: merged }); // your own model around the TPFR layer

const [zC, zS] = [tf.randomNormal([4, 24, 24, 64]), tf.randomNormal([4, 24, 24, 128])]; // B = 4 samples
const [eC, eS] = [tf.randomNormal([2, 16, 20, 64]), tf.randomNormal([2, 16, 20, 128])] as tf.Tensor4D[]; // P = 2 exemplars
const _out = model.predict([zC, zS, stackPeers(eC, 4), stackPeers(eS, 4)], { batchSize: 2 }) as tf.Tensor; // [4, 24, 24, 32]
