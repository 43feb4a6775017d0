import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources of every package.
    alias: [
      { find: /^@tpfr\/layers\/torch$/, replacement: src('./packages/layers/src/torch/index.ts') },
      { find: /^@tpfr\/layers\/node$/, replacement: src('./packages/layers/src/node/index.ts') },
      { find: /^@tpfr\/models\/pipeline$/, replacement: src('./packages/models/src/pipeline/index.ts') },
      { find: /^@tpfr\/models\/torch$/, replacement: src('./packages/models/src/torch-import/index.ts') },
      { find: /^@tpfr\/models\/train$/, replacement: src('./packages/models/src/train/index.ts') },
      { find: /^@tpfr\/models\/data$/, replacement: src('./packages/models/src/data/index.ts') },
      { find: /^@tpfr\/models\/eval$/, replacement: src('./packages/models/src/eval/index.ts') },
      { find: /^@tpfr\/models\/node$/, replacement: src('./packages/models/src/node/index.ts') },
      { find: /^@tpfr\/core\/internal$/, replacement: src('./packages/core/src/internal/index.ts') },
      { find: /^@tpfr\/core\/utils$/, replacement: src('./packages/core/src/utils/index.ts') },
      { find: /^@tpfr\/core\/torch$/, replacement: src('./packages/core/src/torch/index.ts') },
      { find: /^@tpfr\/core$/, replacement: src('./packages/core/src/index.ts') },
      { find: /^@tpfr\/layers$/, replacement: src('./packages/layers/src/index.ts') },
      { find: /^@tpfr\/losses$/, replacement: src('./packages/losses/src/index.ts') },
      { find: /^@tpfr\/models$/, replacement: src('./packages/models/src/index.ts') },
      // The workspace's test helpers (private, never built).
      { find: /^@tpfr\/testing$/, replacement: src('./packages/testing/src/index.ts') },
      { find: /^@tpfr\/testing\/layers$/, replacement: src('./packages/testing/src/layer-contract.ts') },
      { find: /^@tpfr\/testing\/torch-craft$/, replacement: src('./packages/testing/src/torch-craft.ts') },
      { find: /^@tpfr\/testing\/zip-craft$/, replacement: src('./packages/testing/src/zip-craft.ts') },
      { find: /^@tpfr\/testing\/torch-fixtures$/, replacement: src('./packages/testing/src/torch-fixtures.ts') },
      { find: /^@tpfr\/testing\/kernel-references$/, replacement: src('./packages/testing/src/kernel-references.ts') },
      { find: /^@tpfr\/testing\/winograd-cases$/, replacement: src('./packages/testing/src/winograd-cases.ts') },
      { find: /^@tpfr\/testing\/clip$/, replacement: src('./packages/testing/src/clip.ts') },
      { find: /^@tpfr\/testing\/crash-testing$/, replacement: src('./packages/testing/src/crash-testing/children.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'examples/**/*.test.ts'],
    globalSetup: ['./vitest.global-setup.ts'],
    // A test that hangs its worker (a synchronous loop: testTimeout cannot stop it) fails the run
    // with its name after twice its timeout (TPFR_HUNG_TEST_MS overrides): see vitest.setup.ts.
    setupFiles: ['./vitest.setup.ts'],
    // One wasm thread per test process (two processes share the two cores); the thread tests ask for more.
    env: { TPFR_WASM_THREADS: '1' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './vitest.summary-reporter.ts'],
  },
});
