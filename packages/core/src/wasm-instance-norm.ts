import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tapeState } from './tape-state.js';
import type { KernelArgs } from './wasm-kernel-call.js';
import { offsetOf, simdKernels } from './wasm-simd-module.js';

/**
 * Instance normalization on wasm by our SIMD kernels: per image, the channels' sums over the
 * pixels (a pass), the sums of their squared deviations from the mean (a pass), then
 * `(x − mean)·γ/√(var + ε) + β` (a pass). tfjs composes it of a subtraction, a square, two
 * poolings, two products and a sum, each a pass over the map.
 *
 * Forward only: it is taken where no gradient is being recorded (inference), and the caller
 * composes the normalization of tfjs ops elsewhere (training, other backends).
 */

/** The kernel's name (registered for wasm by `registerWasmKernels`). */
export const INSTANCE_NORM = 'TpfrInstanceNorm';

/**
 * `x [B, H, W, C]` normalised per image and channel over H×W (biased variance, `epsilon` added),
 * then scaled by `gamma [C]` and shifted by `beta [C]` where given; or null where the SIMD
 * kernel does not apply (another backend, a gradient being recorded, C not a multiple of 4, the
 * kernels unavailable).
 */
export function instanceNormWasm(x: tf.Tensor4D, epsilon: number, gamma?: tf.Tensor, beta?: tf.Tensor): tf.Tensor4D | null {
  if (tf.getBackend() !== 'wasm' || tapeState().gradientDepth > 0 || x.dtype !== 'float32' || x.shape[3] % 4 !== 0 || x.size === 0)
    return null;
  const c = x.shape[3];
  if ((gamma && gamma.size !== c) || (beta && beta.size !== c)) return null;
  if (!simdKernels(tf.backend() as BackendWasm)) return null;
  const inputs: tf.NamedTensorMap = { x };
  if (gamma) inputs.gamma = gamma;
  if (beta) inputs.beta = beta;
  return tf.engine().runKernel(INSTANCE_NORM, inputs, { epsilon } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

export function instanceNormKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, gamma, beta } = args.inputs as { x: tf.TensorInfo; gamma?: tf.TensorInfo; beta?: tf.TensorInfo };
  const { epsilon } = args.attrs as unknown as { epsilon: number };
  const ex = simdKernels(backend)!;
  const [b, h, w, c] = x.shape;
  const hw = h * w;
  const out = backend.makeOutput(x.shape, 'float32');
  // Scratch: the sums, a block's sums, the mean, the scale and the shift, c floats each.
  const scratch = backend.makeOutput([5 * c], 'float32');
  try {
    const base = offsetOf(backend, scratch);
    const [sums, tmp, mean, scale, shift] = [0, 1, 2, 3, 4].map((i) => base + 4 * i * c);
    // Views after every allocation (a growing heap detaches earlier ones).
    const sv = backend.typedArrayFromHeap(scratch) as Float32Array;
    const g = gamma ? (backend.typedArrayFromHeap(gamma) as Float32Array) : null;
    const bt = beta ? (backend.typedArrayFromHeap(beta) as Float32Array) : null;
    const [xOff, oOff] = [offsetOf(backend, x), offsetOf(backend, out)];
    for (let i = 0; i < b; i++) {
      const image = 4 * i * hw * c;
      ex.channel_sums(xOff + image, hw, c, 0, sums, tmp);
      for (let j = 0; j < c; j++) sv[2 * c + j] = sv[j] / hw;
      ex.channel_sums(xOff + image, hw, c, mean, sums, tmp);
      for (let j = 0; j < c; j++) {
        sv[3 * c + j] = (g ? g[j] : 1) / Math.sqrt(sv[j] / hw + epsilon);
        sv[4 * c + j] = bt ? bt[j] : 0;
      }
      ex.scale_shift(xOff + image, oOff + image, hw, c, mean, scale, shift);
    }
    return out;
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  } finally {
    backend.disposeData(scratch.dataId);
  }
}
