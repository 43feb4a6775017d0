import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { PeerRecombination } from '@tpfr/layers';

declare const model: tfl.LayersModel, zC: tf.Tensor4D, zS: tf.Tensor4D, pC: tf.Tensor5D, pS: tf.Tensor5D;
// #region doc
const layer = model.getLayer('tpfr') as PeerRecombination;
const [c3, s3] = layer.apply([zC, zS, pC, pS], { k: 8, stages: 'style-only', training: false });
// #endregion
console.log(c3.shape, s3.shape);
