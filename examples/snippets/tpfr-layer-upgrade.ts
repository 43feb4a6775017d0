import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { upgradePeerInputs } from '@tpfr/layers';
import { fileSystemIO } from '@tpfr/layers/node';

// #region doc
const { artifacts, upgraded } = upgradePeerInputs(await fileSystemIO('./old-model').load!());
const model = await tfl.loadLayersModel(tf.io.fromMemory(artifacts)); // peers now [B, P, h, w, C]
// #endregion
console.log(upgraded, model.name);
