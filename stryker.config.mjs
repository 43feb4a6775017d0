import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Mutation testing (StrykerJS, vitest runner): `pnpm test:mutation` mutates the method's hot files
// and writes the JSON report to reports/mutation/mutation.json (and an HTML one beside it).
// `TPFR_MUTATE=knn,attention pnpm test:mutation` runs some groups only (their own report,
// reports/mutation/mutation-knn,attention.json); each group runs only the tests that check it.
// `TPFR_MUTATE_FILES=a.ts,b.ts` mutates only those files (with the chosen groups' tests), and
// `TPFR_STRYKER_TAG=x` gives a run its own temporary folder and report name, so runs can overlap.
// `TPFR_STRYKER_CONCURRENCY=1` runs one test process at a time (default 2).
// The mutants no test can kill are listed below (IGNORED_MUTANTS), not in `// Stryker` comments in the source.
// Not part of CI: it takes hours on two cores.
const GROUPS = {
  stylize: {
    mutate: [
      'packages/models/src/stylize/!(*.test).ts',
      'packages/models/src/controls/!(*.test).ts',
      'packages/models/src/model/images.ts',
      'packages/models/src/pipeline/geometry.ts',
    ],
    tests: [
      'packages/models/src/stylize/*.test.ts',
      'packages/models/src/controls/*.test.ts',
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

// The mutants no test can kill, with the reason (Stryker reports them as Ignored): each entry stands
// for a `// Stryker disable next-line <mutators>: <reason>` comment above the line where `code` starts
// (above each of its lines if it spans several); with `until`, for a `// Stryker disable` there and a
// `// Stryker restore` above `until`. `code` is the file's text, whitespace aside, and must occur once
// in the file: Stryker stops at startup when it does not. See stryker-ignored-mutants.mjs.
const IGNORED_MUTANTS = [
  {
    file: 'packages/cli/src/commands.ts',
    code: 'o.content.some((p) => isFolder(p))',
    mutators: ['MethodExpression'],
    reason: 'one path when contents.length ≤ 1, so some = every',
  },
  {
    file: 'packages/core/src/attention.ts',
    code: 'if (rate > 0) logits = tf.dropout(',
    mutators: ['ConditionalExpression', 'EqualityOperator'],
    reason: "tf.dropout at rate 0 returns its input's clone",
  },
  {
    file: 'packages/core/src/knn.ts',
    code: 'const q0 = rows === n ? queries : tf.slice(queries, [i0, 0], [rows, d]);',
    mutators: ['ConditionalExpression'],
    reason: "a shortcut; the slice of every row is the same tensor's values",
  },
  {
    file: 'packages/core/src/knn.ts',
    code: 'if (count) outCount.push(count);',
    mutators: ['ConditionalExpression'],
    reason: 'count is undefined exactly when !withTies, and then outCount is only disposed (undefined entries are skipped)',
  },
  {
    file: 'packages/core/src/knn.ts',
    code: 'xs.length === 1 ? xs[0] : (tf.concat(xs, 0) as T)',
    mutators: ['ConditionalExpression'],
    reason: 'a shortcut; tf.concat of one tensor is a copy of it',
  },
  {
    file: 'packages/core/src/knn.ts',
    code: 'for (let r = 0; r < rows; r++)',
    mutators: ['EqualityOperator'],
    reason:
      'a row r = rows reads past the typed arrays (undefined): it inserts nothing, and its tie count lands out of bounds, where typed arrays ignore writes',
  },
  {
    file: 'packages/core/src/knn.ts',
    code: 'const idx = tile.offset === 0 ? top.indices :',
    mutators: ['ConditionalExpression'],
    reason: 'a shortcut; adding the offset 0 changes nothing',
  },
  {
    file: 'packages/core/src/tied-attention.ts',
    code: 'if (outs.length === 1) return outs[0];',
    mutators: ['ConditionalExpression'],
    reason: 'a shortcut; tf.concat of one tensor is a copy of it',
  },
  {
    file: 'packages/core/src/tied-attention.ts',
    code: 'const held: tf.Tensor[] = [];',
    mutators: ['ArrayDeclaration'],
    reason: 'an array that starts with a non-tensor entry disposes the same (tf.dispose skips it)',
  },
  {
    file: 'packages/core/src/tied-attention.ts',
    code: 'const q0 = rows === n ? queries : tf.slice(queries, [i0, 0], [rows, d]);',
    mutators: ['ConditionalExpression'],
    reason: "a shortcut; the slice of every row is the same tensor's values",
  },
  {
    file: 'packages/core/src/tied-attention.ts',
    code: 'if (rate > 0)',
    mutators: ['ConditionalExpression', 'EqualityOperator'],
    reason: "tf.dropout at rate 0 returns its input's clone",
  },
  {
    file: 'packages/core/src/torch/byte-cursor.ts',
    code: 'if (stop === this.end) this.need(stop - this.pos + 1, what);',
    mutators: ['ConditionalExpression'],
    reason: 'when stop < end, stop - pos + 1 is max + 2 <= remaining, so need passes anyway',
  },
  {
    file: 'packages/core/src/torch/tensor-copy.ts',
    code: 'if (isContiguous(ref.shape, ref.stride))',
    mutators: ['ConditionalExpression'],
    reason: 'as `false`, the element loop copies the same bytes (the slice is only faster); `true` fails the strided tests.',
  },
  {
    file: 'packages/layers/src/tpfr-stage.ts',
    code: 'if (tied) tf.dispose([tied.output, tied.weights]);',
    mutators: ['ArrayDeclaration'],
    reason: 'disposing nothing here leaves the values and the tensor count after the call unchanged',
  },
  {
    file: 'packages/layers/src/tpfr-stage.ts',
    code: 'if (found.folded) tf.dispose([found.folded.queries, found.folded.pool]);',
    mutators: ['ArrayDeclaration'],
    reason: 'as on the line before, an early free only lowers the peak memory',
  },
  {
    file: 'packages/models/src/train/checkpoint.ts',
    code: "json = JSON.parse(await fs.readFile(file, 'utf8'));",
    mutators: ['StringLiteral'],
    reason: 'without an encoding JSON.parse gets a Buffer, whose text it reads as UTF-8 too',
  },
  {
    file: 'packages/models/src/train/checkpoint.ts',
    code: 'bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength)',
    mutators: ['MethodExpression'],
    reason: 'fs.readFile gives a buffer of its own (offset 0, whole length); the slice guards against a pooled one',
  },
  {
    file: 'packages/models/src/train/trainer.ts',
    code: 'private historyRandom: () => number = () => 0;',
    mutators: ['ArrowFunction'],
    reason: "never called: trainStep sets the step's generator before the history is queried",
  },
  {
    file: 'packages/models/src/train/trainer.ts',
    code: "const auxLoss = () => mseLoss(model.decode(model.encode(images, { training: true }), { decoder: 'aux', training: true }), images);",
    mutators: ['BooleanLiteral', 'StringLiteral'],
    reason:
      "training mode changes nothing in the encoder and decoders (no dropout; instance norm either way) at sizes below the inference bands; decode takes every value but 'main' for the auxiliary decoder",
  },
  {
    file: 'packages/models/src/train/trainer.ts',
    code: 'const mainLoss = () => mseLoss(model.decode(model.encode(images), { training: true }), images);',
    mutators: ['BooleanLiteral'],
    reason: 'as above (training mode)',
  },
  {
    file: 'packages/models/src/train/updates.ts',
    code: 'const zA = m.encode(batch.photoA, { training: true });',
    until: 'const latentCycle = latentCycleLoss(',
    mutators: ['BooleanLiteral'],
    reason:
      "training mode changes nothing in the encoder and decoders (no dropout; instance norm either way) below the inference bands' threshold (256 MiB of activations), out of a test's reach",
  },
  {
    file: 'packages/models/src/train/updates.ts',
    code: "const recA = m.decode(zA, { decoder: 'aux', training: true });",
    mutators: ['StringLiteral'],
    reason: "decode takes every value but 'main' for the auxiliary decoder",
  },
  {
    file: 'packages/models/src/train/updates.ts',
    code: "const recB2 = m.decode(zB2, { decoder: 'aux', training: true });",
    mutators: ['StringLiteral'],
    reason: 'as above',
  },
  {
    file: 'packages/models/src/train/updates.ts',
    code: 'const recA = m.decode(zA, { training: true });',
    mutators: ['BooleanLiteral'],
    reason: "training mode changes nothing in the decoder below the inference bands' threshold (see auxiliaryTerms)",
  },
  {
    file: 'packages/models/src/train/updates.ts',
    code: 'const recB2 = m.decode(zB2, { training: true });',
    mutators: ['BooleanLiteral'],
    reason: 'as above',
  },
  {
    file: 'packages/models/src/train/updates.ts',
    code: 'const stylized = m.decode(recombined, { training: true });',
    mutators: ['BooleanLiteral'],
    reason: 'as above',
  },
];

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
  plugins: ['@stryker-mutator/vitest-runner', fileURLToPath(new URL('stryker-ignored-mutants.mjs', import.meta.url))],
  ignorers: ['ignored-mutants'],
  ignoredMutants: IGNORED_MUTANTS,
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
