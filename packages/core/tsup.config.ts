import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: false,
  target: 'es2022',
  // The testing entry imports the main entry by name, so both share one copy of its state.
  external: ['@tpfr/core', 'vitest', 'fast-check', 'webgpu', '@tensorflow/tfjs-backend-webgpu'],
});
