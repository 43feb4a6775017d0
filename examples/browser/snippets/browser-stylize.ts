import * as tf from '@tensorflow/tfjs-core';
import { stylize, type TpfrModel } from '@tpfr/models';

declare const model: TpfrModel, photo: ImageBitmap, paintings: ImageBitmap[], canvas: HTMLCanvasElement;
// #region doc
const result = tf.tidy(() => {
  const content = tf.browser.fromPixels(photo); // int32 [H, W, 3], 0–255
  const styles = paintings.map((p) => tf.browser.fromPixels(p));
  // An explicit range: 'auto' would read the image's maximum back synchronously, which WebGPU cannot do.
  return tf.div(stylize(model, content, styles, { range: '0-255' }), 255) as tf.Tensor3D;
});
await tf.browser.toPixels(tf.clipByValue(result, 0, 1) as tf.Tensor3D, canvas);
result.dispose();
console.log(tf.memory()); // numTensors back to where it was; numBytesInGPU on WebGL
// #endregion
