import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tpfr/core';
import { TpfrModel, stylize } from '@tpfr/models';

declare const photo: HTMLImageElement, painting: HTMLImageElement, canvas: HTMLCanvasElement;
// #region doc
await initBackend('auto'); // wasm here; pass `load` for WebGPU and WebGL (the browser guide)
const model = await TpfrModel.load('/models/demo/model.json'); // a model folder served as static files
const result = tf.tidy(() => stylize(model, tf.browser.fromPixels(photo), tf.browser.fromPixels(painting)));
await tf.browser.toPixels(tf.div(result, 255) as tf.Tensor3D, canvas);
// #endregion
