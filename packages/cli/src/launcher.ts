#!/usr/bin/env node
/**
 * The `tpfr` command (`dist/cli.js`): it loads the program, `dist/cli.cjs`, with `require`.
 * TensorFlow.js ships CommonJS, and Node's ES module loader scans every CommonJS file it imports
 * (its format, its named exports) before running it, which costs a few hundred milliseconds on
 * tfjs' megabytes at each start; the program built as CommonJS requires them (and @tpfr's own
 * CommonJS builds) directly. `src/bin.ts` is the same program as an ES module (the tests run it).
 */
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./cli.cjs');
