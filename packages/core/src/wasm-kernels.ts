import * as tf from '@tensorflow/tfjs-core';
// The wasm backend registers its kernels on import; ours are registered after (and one replaced).
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2DBackpropFilter } from './wasm-backprop-filter.js';
import { conv2DBackpropInput } from './wasm-backprop-input.js';
import { INSTANCE_NORM, instanceNormKernel } from './wasm-instance-norm.js';
import { preluKernel } from './wasm-prelu.js';
import { callWasmOwn, keepWasmOwn, type KernelArgs } from './wasm-kernel-call.js';
import { slice, splitV, unpack } from './wasm-slice.js';
import { tile } from './wasm-tile.js';
import { conv2D } from './wasm-winograd.js';
import { batchMatMul } from './wasm-batch-mat-mul.js';

/**
 * Kernels that the wasm backend of tfjs 4.22 lacks and that training needs, written in
 * TypeScript over the wasm heap (no copies of the inputs). Registered when `@tpfr/core` is
 * imported, only where the backend has none of its own.
 *
 * - `UnsortedSegmentSum`: the gradient of `tf.gather` (and so of the neighbourhood attention).
 * - `Conv2DBackpropFilter`: the filter gradient of `conv2d` and of `conv2dTranspose`, as matrix
 *   products on wasm's own (XNNPACK) kernel, see {@link conv2DBackpropFilter}.
 *
 * It also replaces kernels that wasm has, keeping wasm's own for the cases they do not take:
 * - `Conv2DBackpropInput` (the forward pass of `conv2dTranspose` and the input gradient of
 *   `conv2d`), which runs ~20× slower than wasm's convolutions: recast as XNNPACK convolutions,
 *   one per output phase at strides above 1, or on small maps as one matrix product with the
 *   filter as it is, see {@link conv2DBackpropInput}.
 * - `Conv2D` for 3×3 stride-1 convolutions of at least 160 channels in and out: Winograd's
 *   F(4×4, 3×3), 4× fewer multiply-adds, see {@link winogradConv2D}.
 * - `Slice`, `SplitV` and `Unpack`, which copied their whole input out of the heap for every
 *   piece: they copy only the piece, see {@link sliceFromHeap}.
 * - `Tile` (and so `broadcastTo`), which computed an index per value: block copies, see {@link tile}.
 * - `BatchMatMul` with a transposed operand (batch 1), which ran in a scalar loop: the operand
 *   transposed, then XNNPACK, see {@link batchMatMul}.
 * - `Prelu` with one alpha or one per channel, which ran a value at a time: our SIMD kernel.
 *
 * And one of its own, `TpfrInstanceNorm` (instance normalization in three passes, for inference),
 * which `instanceNormWasm` runs.
 */
function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  const idsSize = tf.util.sizeFromShape(segmentIds.shape);
  const xSize = tf.util.sizeFromShape(x.shape);
  const inner = idsSize === 0 ? 0 : xSize / idsSize;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  // makeOutput may grow the heap, which detaches earlier views: take the views after it.
  const out = backend.makeOutput(outShape, x.dtype);
  const outVals = backend.typedArrayFromHeap(out);
  const xVals = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  outVals.fill(0);
  for (let i = 0; i < idsSize; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue; // dropped, as in TensorFlow
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) outVals[dst + j] += xVals[src + j];
  }
  return out;
}

const wasmKernels: tf.KernelConfig[] = [
  { kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc },
  { kernelName: tf.UnsortedSegmentSum, backendName: 'wasm', kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc },
  { kernelName: INSTANCE_NORM, backendName: 'wasm', kernelFunc: instanceNormKernel as unknown as tf.KernelFunc },
];

/** PReLU by our SIMD kernel where it applies, wasm's own elsewhere. */
const prelu = (args: KernelArgs) => preluKernel(args, () => callWasmOwn(tf.Prelu, args) as tf.TensorInfo);

/** Kernels wasm has that ours replace (each keeps wasm's own for the cases it does not take). */
const replacements = (
  [
    [tf.Conv2DBackpropInput, conv2DBackpropInput],
    [tf.Conv2D, conv2D],
    [tf.Slice, slice],
    [tf.SplitV, splitV],
    [tf.Unpack, unpack],
    [tf.Tile, tile],
    [tf.BatchMatMul, batchMatMul],
    [tf.Prelu, prelu],
  ] as const
).map(([name, f]) => ({ name, kernelFunc: f as unknown as tf.KernelFunc }));

/** Registers the missing wasm kernels above (and the faster replacements); returns the names it registered. */
export function registerWasmKernels(): string[] {
  const done: string[] = [];
  for (const r of replacements) {
    const own = tf.getKernel(r.name, 'wasm');
    if (own && own.kernelFunc !== r.kernelFunc) {
      keepWasmOwn(r.name, own.kernelFunc);
      tf.unregisterKernel(r.name, 'wasm');
      tf.registerKernel({ ...own, kernelFunc: r.kernelFunc });
      done.push(r.name);
    }
  }
  for (const k of wasmKernels) {
    if (tf.getKernel(k.kernelName, k.backendName) == null) {
      tf.registerKernel(k);
      done.push(k.kernelName);
    }
  }
  return done;
}

registerWasmKernels();
