import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.shared';

// node/index (fileSystemIO) is Node only; the main entry imports nothing from Node. torch/index
// imports the layers' classes as types only, so it holds no second copy of them.
export default defineConfig(
  libraryBuild(
    { index: 'src/index.ts', 'torch/index': 'src/torch/index.ts', 'node/index': 'src/node/index.ts' },
    { external: ['@tpfr/layers'] },
  ),
);
