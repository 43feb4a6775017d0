import * as tf from '@tensorflow/tfjs-core';

/** A wasm kernel made to fail as XNNPACK does when it runs out of memory (see {@link injectXnnStatusFailure}). */
export interface InjectedKernelFailure {
  /** While true, each run of the kernel prints XNNPACK's status-6 line (and returns wasm's result). */
  armed: boolean;
  /** Registers the wasm backend's own kernel again. */
  restore(): void;
}

/**
 * Replaces wasm's `kernelName` (default `Conv2D`) with one that, while armed, prints the line
 * XNNPACK prints when an operator cannot be created (status 6: out of memory) before running as
 * usual: the failure tfjs-backend-wasm 4.22 reports only on stderr. Call after the wasm backend is
 * initialized, and before `guardKernels` wraps the kernels.
 */
export function injectXnnStatusFailure(kernelName = 'Conv2D'): InjectedKernelFailure {
  const original = tf.getKernel(kernelName, 'wasm') as tf.KernelConfig;
  const failure: InjectedKernelFailure = {
    armed: false,
    restore: () => {
      tf.unregisterKernel(kernelName, 'wasm');
      tf.registerKernel(original);
    },
  };
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc: (args) => {
      if (failure.armed)
        console.warn('XNN status for xnn_create_convolution2d_nhwc_f32 is not successful. Got status 6. Use -c dbg to see XNN logs.');
      return original.kernelFunc(args);
    },
  });
  return failure;
}
