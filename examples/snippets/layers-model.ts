import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '@tpfr/core';
import { peerRecombination, stackPeers } from '@tpfr/layers';
import { fileSystemIO } from '@tpfr/layers/node';

declare const zC: tf.Tensor4D, zS: tf.Tensor4D, exemplarC: tf.Tensor4D, exemplarS: tf.Tensor4D, B: number;
// #region doc
await initBackend('wasm');
// content [B, H, W, 256], style [B, H, W, 512], P peers per sample: [B, P, h, w, 256|512]
const ins = [
  [null, null, 256],
  [null, null, 512],
  [null, null, null, 256],
  [null, null, null, 512],
].map((shape) => tfl.input({ shape }));
const [content, style] = peerRecombination({ k: 5 }).apply(ins);
const model = tfl.model({ inputs: ins, outputs: [content, style] });
// The exemplars' codes [P, h, w, C], the same for each of the B samples.
const [peerC, peerS] = [stackPeers(exemplarC, B), stackPeers(exemplarS, B)];
const [c2, s2] = model.predict([zC, zS, peerC, peerS], { batchSize: 1 }) as tf.Tensor[]; // = the eager layer.apply
await model.save(fileSystemIO('./tpfr-model')); // Node, without tfjs-node (@tpfr/layers/node)
const again = await tfl.loadLayersModel(fileSystemIO('./tpfr-model'));
// #endregion
console.log(c2.shape, s2.shape, again.name);
