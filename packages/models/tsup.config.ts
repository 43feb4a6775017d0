import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.shared';

// The browser-safe root and its subpaths, sharing chunks (one TpfrModel class). `shims` gives the
// CJS build the `import.meta.url` from which the image codecs (optional peers) are required.
export default defineConfig(
  libraryBuild(
    {
      index: 'src/index.ts',
      'pipeline/index': 'src/pipeline/index.ts',
      'torch/index': 'src/torch-import/index.ts',
      'train/index': 'src/train/index.ts',
      'data/index': 'src/data/index.ts',
      'eval/index': 'src/eval/index.ts',
      'node/index': 'src/node/index.ts',
    },
    { splitting: true, shims: true },
  ),
);
