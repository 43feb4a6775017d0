import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Mutation testing (StrykerJS, vitest runner): `pnpm test:mutation` mutates the method's hot files
// and writes the JSON report to reports/mutation/mutation.json (and an HTML one beside it).
// `TPFR_MUTATE=knn,attention pnpm test:mutation` runs some groups only (their own report,
// reports/mutation/mutation-knn,attention.json); each group runs only the tests that check it.
// `TPFR_MUTATE_FILES=a.ts,b.ts` mutates only those files (with the chosen groups' tests), and
// `TPFR_STRYKER_TAG=x` gives a run its own temporary folder and report name, so runs can overlap.
// `TPFR_STRYKER_CONCURRENCY=1` runs one test process at a time (default 2).
// Not part of CI: it takes hours on two cores.
const GROUPS = {
  stylize: {
    mutate: ['packages/models/src/model/stylize.ts', 'packages/models/src/model/images.ts', 'packages/models/src/pipeline/geometry.ts'],
    tests: [
      'packages/models/src/model/stylize*.test.ts',
      'packages/models/src/model/model*.test.ts',
      'packages/models/src/model/images*.test.ts',
      'packages/models/src/pipeline/geometry*.test.ts',
    ],
  },
  trainer: { mutate: ['packages/models/src/train/!(*.test).ts'], tests: ['packages/models/src/train/*.test.ts'] },
  attention: {
    mutate: ['packages/core/src/attention.ts', 'packages/core/src/tied-attention.ts'],
    tests: ['packages/core/src/attention*.test.ts', 'packages/core/src/tied-attention*.test.ts'],
  },
  layer: {
    mutate: [
      'packages/layers/src/tpfr-layer.ts',
      'packages/layers/src/tpfr-stage.ts',
      'packages/layers/src/pool-groups.ts',
      'packages/layers/src/neighbour-search.ts',
      'packages/layers/src/tied-merge.ts',
      'packages/layers/src/attention-chunks.ts',
      'packages/layers/src/dropout-seeds.ts',
      'packages/layers/src/peers.ts',
    ],
    tests: ['packages/layers/src/tpfr-layer*.test.ts', 'packages/layers/src/peers*.test.ts', 'packages/layers/src/parity*.test.ts'],
  },
  knn: {
    mutate: ['packages/core/src/knn.ts'],
    tests: [
      'packages/core/src/knn*.test.ts',
      'packages/core/src/tied-attention*.test.ts',
      'packages/core/src/top-k-rows.test.ts',
      'packages/layers/src/exemplar-constant-channels.test.ts',
    ],
  },
  checkpoint: { mutate: ['packages/core/src/torch/!(*.test|*.test-util).ts'], tests: ['packages/core/src/torch/*.test.ts'] },
  cli: {
    mutate: ['packages/cli/src/commands.ts', 'packages/cli/src/import-torch.ts'],
    tests: ['packages/cli/src/!(crash-safety|concurrent-writes).test.ts'],
  },
};

// The reference tests need the authors' fixtures; Stryker runs them from a sandbox copy, so name them.
const shared = fileURLToPath(new URL('../shared/fixtures/', import.meta.url));
if (existsSync(shared)) {
  process.env.TPFR_PARITY_DIR ??= `${shared}tpfr-parity`;
  process.env.TPFR_TORCH_FIXTURES ??= `${shared}torch-generator`;
}

const chosen = (process.env.TPFR_MUTATE ?? Object.keys(GROUPS).join(',')).split(',').filter(Boolean);
for (const g of chosen) if (!GROUPS[g]) throw new Error(`TPFR_MUTATE: unknown group '${g}' (groups: ${Object.keys(GROUPS).join(', ')})`);
const files = (process.env.TPFR_MUTATE_FILES ?? '').split(',').filter(Boolean);
const tag = process.env.TPFR_STRYKER_TAG ?? '';
const all = chosen.length === Object.keys(GROUPS).length && files.length === 0 && tag === '';
const reportName = all ? 'mutation' : `mutation-${tag || chosen.join(',')}`;
// Read by vitest.mutation.config.ts in the test runner processes.
process.env.TPFR_MUTATION_TESTS = chosen.flatMap((g) => GROUPS[g].tests).join(',');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  mutate: files.length > 0 ? files : chosen.flatMap((g) => GROUPS[g].mutate),
  coverageAnalysis: 'perTest',
  concurrency: Number(process.env.TPFR_STRYKER_CONCURRENCY ?? 2),
  timeoutMS: 60_000,
  reporters: ['json', 'html', 'clear-text', 'progress'],
  jsonReporter: { fileName: `reports/mutation/${reportName}.json` },
  htmlReporter: { fileName: `reports/mutation/${reportName}.html` },
  tempDirName: tag ? `.stryker-tmp-${tag}` : '.stryker-tmp',
  // Other runs' sandboxes come and go while this one copies the project: never copy them.
  ignorePatterns: ['/.stryker-tmp*', '/reports', '/examples/browser/dist', '/examples/browser/public/model', '/out'],
  cleanTempDir: 'always',
};
