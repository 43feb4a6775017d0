import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.shared';

export default defineConfig([
  libraryBuild({ index: 'src/index.ts' }),
  // The `tpfr` command line: ESM only (top-level await), not part of the library's API.
  { ...libraryBuild({ cli: 'src/cli/bin.ts' }), format: ['esm'], dts: false, clean: false },
]);
