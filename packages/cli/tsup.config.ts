import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.shared';

// The `tpfr` command line, no API and so no `.d.ts`; the @tpfr packages and the other
// dependencies stay imports. The program is CommonJS (`dist/cli.cjs`: tfjs, @tpfr and the rest
// are required, which starts faster than importing them; the commands load what they use when
// they run), started by the ES module `dist/cli.js` (the bin; see src/launcher.ts).
export default defineConfig([
  {
    ...libraryBuild(
      { cli: 'src/bin.ts' },
      {
        // The commands' `import()`s become `require()`s: one CommonJS copy of each package, never
        // their ES builds beside (two copies of @tpfr/core would each register its kernels).
        esbuildOptions(options) {
          options.supported = { ...options.supported, 'dynamic-import': false };
        },
      },
    ),
    format: ['cjs'],
    dts: false,
    shims: true, // import.meta.url (the package's version, @tpfr/models's)
  },
  { ...libraryBuild({ cli: 'src/launcher.ts' }), format: ['esm'], dts: false, clean: false, external: ['./cli.cjs'] },
]);
