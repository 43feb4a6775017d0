import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.shared';

// The `tpfr` command line: one ESM file (top-level await), no API and so no `.d.ts`; the @tpfr
// packages and the other dependencies stay imports.
export default defineConfig({ ...libraryBuild({ cli: 'src/bin.ts' }), format: ['esm'], dts: false });
