// #region doc
import { initBackend } from '@tpfr/core';
// Vite's `?url`: each .wasm file becomes an asset, fetched only if wasm is chosen.
import plainWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

const choice = await initBackend('auto', {
  // Each import() becomes a chunk of its own, fetched only when that backend is tried.
  load: {
    webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
    webgl: () => import('@tensorflow/tfjs-backend-webgl'),
  },
  wasmPaths: {
    'tfjs-backend-wasm.wasm': plainWasm,
    'tfjs-backend-wasm-simd.wasm': simdWasm,
    'tfjs-backend-wasm-threaded-simd.wasm': threadedWasm,
  },
});
console.log(choice.backend, '—', choice.reason); // e.g. "webgpu — webgpu: a WebGPU adapter is available"
// #endregion
