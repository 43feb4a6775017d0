import { defineConfig } from 'vite';

// `pnpm -C examples/browser build` writes the page to dist/ (the model folder from public/model,
// see scripts/prepare-model.ts); `pnpm -C examples/browser preview` serves it on 127.0.0.1.
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  worker: { format: 'es' },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4096 },
  // Cross-origin isolation lets the wasm backend use its threaded build (SharedArrayBuffer).
  preview: { host: '127.0.0.1', headers: ISOLATION },
  server: { host: '127.0.0.1', headers: ISOLATION },
});
