import * as tf from '@tensorflow/tfjs-core';

/**
 * Whether the active backend keeps tensors in host memory (cpu, wasm, tfjs-node), where a
 * synchronous read is a copy. Host-side shortcuts (reading a pool to find its constant channels)
 * are taken only there: on WebGL a synchronous read stalls the GPU pipeline.
 */
export function hostBacked(backend: string = tf.getBackend()): boolean {
  return backend === 'cpu' || backend === 'wasm' || backend === 'tensorflow';
}

/**
 * Whether `dataSync` works on the active backend. Not on WebGPU: in Node it has no synchronous
 * read at all, and in a browser worker the read tfjs 4.22 emulates (through an OffscreenCanvas)
 * breaks the device for the reads that follow. The checks that need a synchronous read are
 * skipped there; everything else runs.
 */
export function canReadSync(backend: string = tf.getBackend()): boolean {
  return backend !== 'webgpu';
}
