import { fileURLToPath } from 'node:url';
import type { Options } from 'tsup';

/**
 * Internal modules of one package that others bundle instead of importing: `@tpfr/core/internal`
 * is in no `exports` map, so a published package could not import it. Each build that imports
 * it gets its own copy of the (pure, class-free) source file.
 */
const BUNDLED_INTERNALS: Record<string, string> = {
  '@tpfr/core/internal': fileURLToPath(new URL('./packages/core/src/internal/index.ts', import.meta.url)),
};

/** The build every package shares: ESM + CJS + `.d.ts`, one file per entry, for Node 20 and browsers. */
export function libraryBuild(entry: Record<string, string>, extra: Options = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    target: 'es2022',
    ...extra,
    noExternal: [...Object.keys(BUNDLED_INTERNALS), ...(extra.noExternal ?? [])],
    esbuildOptions(options, context) {
      options.alias = { ...options.alias, ...BUNDLED_INTERNALS };
      extra.esbuildOptions?.(options, context);
    },
  };
}
