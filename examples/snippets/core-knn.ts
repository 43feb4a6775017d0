import type * as tf from '@tensorflow/tfjs-core';
import { initBackend, knn } from '@tpfr/core';

declare const queries: tf.Tensor2D, pool: tf.Tensor2D;
// #region doc
await initBackend('wasm');
const { indices, distances } = knn(queries, pool, 5); // [N, 5] int32, [N, 5] ascending
// #endregion
console.log(indices.shape, distances.shape);
