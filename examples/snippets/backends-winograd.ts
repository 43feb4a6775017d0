import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tpfr/core';
import { setWasmWinograd } from '@tpfr/core/utils';

await initBackend('wasm');
const x = tf.randomNormal([1, 64, 64, 256]) as tf.Tensor4D;
const w = tf.randomNormal([3, 3, 256, 256], 0, 0.02) as tf.Tensor4D;
const fast = tf.conv2d(x, w, 1, 'same'); // Winograd F(4×4, 3×3)
const was = setWasmWinograd(false);
const direct = tf.conv2d(x, w, 1, 'same'); // XNNPACK's direct convolution
setWasmWinograd(was);
console.log(tf.max(tf.abs(tf.sub(fast, direct))).dataSync()[0]); // ~1e-5 of the values' scale
