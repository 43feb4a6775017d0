import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { guardKernels, initBackend, KernelFailureError, ValueError, wasmHeapBytes } from './index.js';

// Stand-in kernels that fail as wasm's do (an XNNPACK status line and an unwritten result, a heap
// that cannot give the bytes asked, a RangeError), run through the engine as any op's kernel.
const NAME = 'TpfrGuardTest';
let body: (x: tf.TensorInfo, backend: BackendWasm) => tf.TensorInfo = (x, b) => b.makeOutput(x.shape, 'float32');

const run = (x: tf.Tensor) => tf.engine().runKernel(NAME, { x }, {}) as tf.Tensor;

describe('guardKernels', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    tf.registerKernel({
      kernelName: NAME,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend }) => body((inputs as { x: tf.TensorInfo }).x, backend as BackendWasm),
    });
    guardKernels();
  });
  afterEach(() => {
    body = (x, b) => b.makeOutput(x.shape, 'float32');
  });

  it('lets a kernel that works return its result', () => {
    const x = tf.ones([2, 3]);
    const before = tf.memory().numTensors;
    const y = run(x);
    expect(y.shape).toEqual([2, 3]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('turns an XNNPACK status line into a KernelFailureError naming the kernel, the shapes and the memory', { timeout: 5_000 }, () => {
    body = (x, b) => {
      const out = b.makeOutput(x.shape, 'float32');
      // What tfjs-backend-wasm's C++ prints (through Emscripten's console.warn) and then goes on.
      console.warn('XNN status for xnn_create_fully_connected_nc_f32 is not successful. Got status 6. Use -c dbg to see XNN logs.');
      return out;
    };
    const x = tf.ones([1, 16, 16, 8]);
    const before = tf.memory();
    let error: unknown;
    try {
      run(x);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KernelFailureError);
    const k = error as KernelFailureError;
    expect(k.kernel).toBe(NAME);
    expect(k.inputShapes).toEqual([[1, 16, 16, 8]]);
    expect(k.reason).toMatch(/XNN status 6 from xnn_create_fully_connected_nc_f32 \(out of memory\)/);
    expect(k.bytesInUse).toBe(before.numBytes);
    expect(k.heapBytes).toBe(wasmHeapBytes());
    expect(k.message).toMatch(
      /^TpfrGuardTest: expected a result, received XNN status 6 .*inputs \[1,16,16,8\]; .* MiB of tensors in use, wasm heap .* MiB\)$/,
    );
    // The unwritten result is freed, nothing leaks.
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    x.dispose();
  });

  it('fails a kernel when the wasm heap cannot grow, instead of writing at address 0', { timeout: 5_000 }, () => {
    // A heap capped at what it holds now: its allocator returns 0 from 1 MiB on, as wasm's does
    // when the heap cannot grow (the backend would register the tensor at address 0).
    const a = tf.ones([512, 512]);
    const wasm = (tf.backend() as unknown as { wasm: { _malloc: (n: number) => number } }).wasm;
    const malloc = wasm._malloc;
    wasm._malloc = (n) => (n >= 2 ** 20 ? 0 : malloc(n));
    const before = tf.memory();
    let error: unknown;
    try {
      tf.matMul(a, a).dispose();
    } catch (e) {
      error = e;
    } finally {
      wasm._malloc = malloc;
    }
    expect(error).toBeInstanceOf(KernelFailureError);
    const k = error as KernelFailureError;
    expect(k.kernel).toBe('BatchMatMul');
    expect(k.inputShapes).toEqual([
      [512, 512],
      [512, 512],
    ]);
    expect(k.reason).toBe('the wasm heap could not give 1048576 bytes');
    expect(tf.memory().numTensors).toBe(before.numTensors);
    // The allocator works again once the cap is lifted.
    const y = tf.matMul(a, a);
    expect(y.shape).toEqual([512, 512]);
    tf.dispose([a, y]);
  });

  it('turns a RangeError into a KernelFailureError and passes other errors on unchanged', { timeout: 5_000 }, () => {
    const x = tf.ones([4]);
    body = () => {
      throw new RangeError('Array buffer allocation failed');
    };
    expect(() => run(x)).toThrow(KernelFailureError);
    body = () => {
      throw new ValueError('stand-in', 'something', 'else');
    };
    expect(() => run(x)).toThrow(ValueError);
    expect(() => run(x)).not.toThrow(KernelFailureError);
    x.dispose();
  });

  it('wraps each kernel once, however often it is called', () => {
    guardKernels();
    guardKernels();
    const fn = tf.getKernel(NAME, 'wasm')?.kernelFunc as unknown as Record<symbol, unknown>;
    expect(Object.getOwnPropertySymbols(fn).length).toBe(1);
    const y = tf.tidy(() => tf.add(tf.ones([2]), 1));
    expect(Array.from(y.dataSync())).toEqual([2, 2]);
    y.dispose();
  });
});
