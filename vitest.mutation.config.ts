import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// The test files of the mutated groups only (see stryker.config.mjs), without the summary reporter.
const include = (process.env.TPFR_MUTATION_TESTS ?? '').split(',').filter(Boolean);

export default defineConfig({
  ...base,
  test: { ...base.test, include: include.length > 0 ? include : base.test?.include, reporters: ['default'] },
});
