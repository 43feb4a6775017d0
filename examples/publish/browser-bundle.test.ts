/**
 * What runs in a browser imports nothing from Node: each browser entry point, bundled from the
 * sources with esbuild for `platform: 'browser'`, reaches no Node built-in module (`node:fs`,
 * `path`, `zlib`, …), not even through a lazy `import()`. Node-only code lives elsewhere: the
 * `node` entry points (folders, image files), the trainer (checkpoints on disk), data and
 * evaluation, and the command line.
 */
import { build, type Plugin } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Browser entry points and their sources. */
const BROWSER_ENTRIES: Record<string, string> = {
  '@tpfr/core': 'packages/core/src/index.ts',
  '@tpfr/core/utils': 'packages/core/src/utils/index.ts',
  '@tpfr/core/torch': 'packages/core/src/torch/index.ts',
  '@tpfr/layers': 'packages/layers/src/index.ts',
  '@tpfr/layers/torch': 'packages/layers/src/torch/index.ts',
  '@tpfr/losses': 'packages/losses/src/index.ts',
  '@tpfr/models': 'packages/models/src/index.ts',
  '@tpfr/models/pipeline': 'packages/models/src/pipeline/index.ts',
  '@tpfr/models/torch': 'packages/models/src/torch-import/index.ts',
};

/** Internal modules that the packages bundle (not entry points), and their sources. */
const BUNDLED_INTERNALS: Record<string, string> = {
  '@tpfr/core/internal': 'packages/core/src/internal/index.ts',
};

/**
 * Node built-ins reached while bundling `entry`, each with the file that imports it. Packages
 * that map a built-in away for browsers (tfjs' own `"browser"` fields do for its Node platform
 * and the wasm glue) are resolved as a browser bundler resolves them.
 */
async function nodeBuiltinsReached(entry: string): Promise<string[]> {
  const workspace: Plugin = {
    name: 'workspace-sources',
    setup(b) {
      b.onResolve({ filter: /^@tpfr\// }, (a) => {
        const source = BROWSER_ENTRIES[a.path] ?? BUNDLED_INTERNALS[a.path];
        return source ? { path: root + source } : { errors: [{ text: `not a browser entry: ${a.path}` }] };
      });
    },
  };
  try {
    await build({
      entryPoints: [root + BROWSER_ENTRIES[entry]],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      plugins: [workspace],
    });
    return [];
  } catch (e) {
    const errors = (e as { errors?: { text: string; location?: { file: string } | null }[] }).errors;
    if (!errors) throw e;
    return errors.map((m) => `${m.text} (in ${m.location?.file ?? '?'})`);
  }
}

for (const entry of Object.keys(BROWSER_ENTRIES)) {
  it(`${entry} bundles for the browser without any Node built-in`, async () => {
    expect(await nodeBuiltinsReached(entry)).toEqual([]);
  });
}
