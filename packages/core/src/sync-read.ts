import * as tf from '@tensorflow/tfjs-core';

/**
 * Whether `dataSync` works on the active backend. Not on WebGPU: in Node it has no synchronous
 * read at all, and in a browser worker the read tfjs 4.22 emulates (through an OffscreenCanvas)
 * breaks the device for the reads that follow. The checks that need a synchronous read are
 * skipped there; everything else runs.
 */
export function canReadSync(backend: string = tf.getBackend()): boolean {
  return backend !== 'webgpu';
}
