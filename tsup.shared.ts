import type { Options } from 'tsup';

/** The build every package shares: ESM + CJS + `.d.ts`, one file per entry, for Node 20 and browsers. */
export function libraryBuild(entry: Record<string, string>, extra: Options = {}): Options {
  return { entry, format: ['esm', 'cjs'], dts: true, sourcemap: true, clean: true, splitting: false, target: 'es2022', ...extra };
}
