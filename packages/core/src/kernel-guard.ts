import * as tf from '@tensorflow/tfjs-core';
import { KernelFailureError } from './kernel-failure-error.js';

/*
 * How a kernel fails on tfjs-backend-wasm 4.22, and what the guard does about it:
 * - XNNPACK cannot create or set up an operator (status 6 is its out-of-memory): the C++ kernel
 *   prints `XNN status for xnn_create_… is not successful. Got status 6.` through Emscripten's
 *   `console.warn` and returns its output unwritten: the computation goes on with garbage. The
 *   guard reads that line as it is written (Node: the console's stderr stream) and fails the kernel.
 * - The heap cannot grow (4 GiB): wasm's `_malloc` returns 0 and the backend registers the tensor
 *   at address 0, over the heap's start. The guard's `_malloc` fails the kernel instead.
 * - A RangeError (an ArrayBuffer that cannot be allocated) or an Emscripten abort (a
 *   WebAssembly.RuntimeError) thrown while the kernel runs becomes the same typed error.
 */

const XNN_STATUS = /XNN status for (\S+) is not successful\. Got status (\d+)/;
const GUARDED = Symbol('tpfr kernel guard');

/** The failure seen while the current kernel runs (an XNNPACK status line), if any. */
let pending: string | null = null;
/** The allocators that fail loudly (see `watchAllocator`). */
const watchedAllocators = new WeakSet<object>();
let stderrWatched = false;

/**
 * Thrown by the watched `_malloc` when the heap is exhausted: outside a kernel (a tensor made
 * from values) as it is, inside one replaced by the kernel's own failure.
 */
class HeapExhausted extends KernelFailureError {}

/** Watches the text written to the console's (and the process's) stderr for XNNPACK's status lines. */
function watchStderr(): void {
  if (stderrWatched || typeof process === 'undefined' || process.stderr == null) return;
  stderrWatched = true;
  const streams = new Set([(console as unknown as { _stderr?: NodeJS.WritableStream })._stderr, process.stderr]);
  for (const stream of streams) {
    if (stream == null || typeof stream.write !== 'function') continue;
    const write = stream.write;
    stream.write = function (this: NodeJS.WritableStream, chunk: unknown, ...rest: unknown[]) {
      if (typeof chunk === 'string') {
        const m = XNN_STATUS.exec(chunk);
        if (m) pending ??= `XNN status ${m[2]} from ${m[1]}${m[2] === '6' ? ' (out of memory)' : ''}`;
      }
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
  }
}

interface WasmLike {
  wasm?: { _malloc?: (n: number) => number; HEAPU8?: Uint8Array };
}

/**
 * Makes a wasm backend's allocator fail loudly (it returns 0 when the heap cannot grow): its
 * `_malloc` is wrapped, and wrapped again whenever something replaced it (a heap cap in a test).
 */
function watchAllocator(backend: unknown): void {
  const wasm = (backend as WasmLike | null)?.wasm;
  const current = wasm?._malloc;
  if (wasm == null || typeof current !== 'function' || watchedAllocators.has(current)) return;
  let malloc = current;
  const watched = (n: number) => {
    const before = wasm._malloc;
    const at = malloc(n);
    // Emscripten's `_malloc` is a stub that replaces itself with the module's export on its first call.
    const after = wasm._malloc;
    if (after !== before && typeof after === 'function' && !watchedAllocators.has(after)) {
      malloc = after;
      wasm._malloc = before;
    }
    if (at === 0 && n > 0) {
      throw new HeapExhausted({
        kernel: 'wasm _malloc',
        inputShapes: [],
        reason: `the wasm heap could not give ${n} bytes`,
        bytesInUse: tf.memory().numBytes,
        heapBytes: wasmHeapBytes(backend),
      });
    }
    return at;
  };
  watchedAllocators.add(watched);
  wasm._malloc = watched;
}

/** The wasm heap's size of `backend`, or null where it has none. */
export function wasmHeapBytes(backend: unknown = tf.backend()): number | null {
  const heap = (backend as WasmLike | null)?.wasm?.HEAPU8;
  return heap == null ? null : heap.buffer.byteLength;
}

/** Why an error thrown by a kernel means the backend ran out (its words), or null for other errors. */
function memoryReason(e: unknown): string | null {
  if (e instanceof HeapExhausted) return e.reason;
  if (e instanceof RangeError) return `RangeError: ${e.message}`;
  const text = e instanceof Error ? e.message : String(e);
  if ((typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError) || /Aborted\(|out of memory|OOM/i.test(text))
    return `abort: ${text.split('\n')[0]}`;
  return null;
}

function failure(kernel: string, args: { inputs: tf.NamedTensorInfoMap; backend: unknown }, reason: string): KernelFailureError {
  return new KernelFailureError({
    kernel,
    inputShapes: Object.values(args.inputs).map((t) => [...(t?.shape ?? [])]),
    reason,
    bytesInUse: tf.memory().numBytes,
    heapBytes: wasmHeapBytes(args.backend),
  });
}

function guard(kernelName: string, inner: tf.KernelFunc): tf.KernelFunc {
  const wrapped = ((args: Parameters<tf.KernelFunc>[0]) => {
    watchAllocator(args.backend);
    pending = null;
    let out: ReturnType<tf.KernelFunc>;
    try {
      out = inner(args);
    } catch (e) {
      if (e instanceof KernelFailureError && !(e instanceof HeapExhausted)) throw e;
      const reason = memoryReason(e);
      if (reason == null) throw e;
      throw failure(kernelName, args, reason);
    }
    if (pending != null) {
      const reason = pending;
      pending = null;
      // The unwritten result is freed: the engine never sees it.
      for (const t of Array.isArray(out) ? out : [out]) (args.backend as tf.KernelBackend).disposeData((t as tf.TensorInfo).dataId, true);
      throw failure(kernelName, args, reason);
    }
    return out;
  }) as tf.KernelFunc & { [GUARDED]?: true };
  wrapped[GUARDED] = true;
  return wrapped;
}

/**
 * Makes every kernel registered for `backendName` (default: the active backend) fail with a
 * {@link KernelFailureError} instead of going on with an unwritten result: an XNNPACK status
 * line (Node), a wasm heap that cannot grow, a RangeError or an abort while it runs. The error
 * names the kernel, its input shapes, the bytes of tensors in use and the wasm heap's size.
 * Wraps the kernels not wrapped yet (those registered since the last call too); the cost is one
 * function call per kernel run. `TpfrTrainer` calls it before every step.
 */
export function guardKernels(backendName: string = tf.getBackend()): void {
  watchStderr();
  for (const config of tf.getKernelsForBackend(backendName)) {
    const fn = config.kernelFunc as tf.KernelFunc & { [GUARDED]?: true };
    if (fn[GUARDED]) continue;
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({ ...config, kernelFunc: guard(config.kernelName, fn) });
  }
}
