import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.shared';

export default defineConfig(
  libraryBuild(
    { index: 'src/index.ts', 'utils/index': 'src/utils/index.ts', 'torch/index': 'src/torch/index.ts' },
    // index and utils/index share chunks (one copy of the error classes and the registrations).
    // torch/index (readTorchCheckpoint) imports neither tfjs nor Node built-ins.
    { splitting: true, external: ['webgpu', '@tensorflow/tfjs-backend-webgpu'] },
  ),
);
