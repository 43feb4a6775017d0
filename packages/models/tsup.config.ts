import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.shared';

export default defineConfig([
  // The library: the browser-safe root and its subpaths, sharing chunks (one TpfrModel class).
  libraryBuild({
    index: 'src/index.ts',
    'pipeline/index': 'src/pipeline/index.ts',
    'torch/index': 'src/torch-import/index.ts',
    'train/index': 'src/train/index.ts',
    'data/index': 'src/data/index.ts',
    'eval/index': 'src/eval/index.ts',
    'node/index': 'src/node/index.ts',
  }, { splitting: true }),
  // The `tpfr` command line: ESM only (top-level await), not part of the library's API.
  { ...libraryBuild({ cli: 'src/cli/bin.ts' }), format: ['esm'], dts: false, clean: false },
]);
