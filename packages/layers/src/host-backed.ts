import * as tf from '@tensorflow/tfjs-core';

/**
 * Whether the active backend keeps tensors in host memory (cpu, wasm, tfjs-node), where a
 * synchronous read is a copy. Host-side shortcuts (reading a pool to find its constant channels)
 * are taken only there: on WebGL a synchronous read stalls the GPU pipeline.
 */
export function hostBacked(backend: string = tf.getBackend()): boolean {
  return backend === 'cpu' || backend === 'wasm' || backend === 'tensorflow';
}
