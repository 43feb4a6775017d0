import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.shared';

export default defineConfig(libraryBuild(
  { index: 'src/index.ts', 'torch/index': 'src/torch/index.ts', 'testing/index': 'src/testing/index.ts' },
  // The testing entry imports the main entry by name, so both share one copy of its state.
  // torch/index (readTorchCheckpoint) imports neither tfjs nor Node built-ins.
  { external: ['@tpfr/core', 'vitest', 'fast-check', 'webgpu', '@tensorflow/tfjs-backend-webgpu'] },
));
