import * as tf from '@tensorflow/tfjs-core';
import { initBackend, knn, neighbourhoodAttention } from '@tpfr/core';

const choice = await initBackend('auto'); // tfjs-node > WebGPU > wasm > cpu
console.log(choice.backend, '-', choice.reason);

// Exact 5 nearest neighbours of 36,864 query pixels among 36,864 peer pixels (256 channels),
// without ever building the 36,864 × 36,864 distance matrix.
const queries = tf.randomNormal([36864, 256]) as tf.Tensor2D; // [N, d]
const pool = tf.randomNormal([36864, 256]) as tf.Tensor2D; // [M, d]
const { indices, distances } = knn(queries, pool, 5, { memoryBudgetBytes: 64 << 20 }); // [N, 5] each

// Attention over those neighbours: α = softmax_k softplus(u_i + v_j), out = Σ α · values[j].
const u = tf.randomNormal([36864]) as tf.Tensor1D; // [N]
const v = tf.randomNormal([36864]) as tf.Tensor1D; // [M]
const values = tf.randomNormal([36864, 512]) as tf.Tensor2D; // [M, c]
const { weights, output } = neighbourhoodAttention(u, v, indices, values); // [N, 5], [N, 512]
console.log(distances.shape, weights.shape, output.shape);
