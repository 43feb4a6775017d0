/**
 * `pnpm bench:command [--size 256] [--runs 5] [--cli PATH] [--checkpoint FILE.pth] [--inputs DIR]
 * [--authors-repo PATH [--python python3]]`: the whole `tpfr stylize` command as a user runs it,
 * timed from process start to the PNG written (Node's start, the modules, the wasm backend, the
 * model read, the exemplar encoded, the stylization, the PNG encoded and written), one fresh
 * process per run after one run that is not counted (it warms the file cache).
 *
 * The photo and the painting are the 256² inputs of the authors' pipeline fixture
 * (`pipeline_g8_256/content_resized.png` and `style_resized.png` in the torch-generator fixtures,
 * `$TPFR_TORCH_FIXTURES`); without the fixtures the bench prints a line with `skipped` and exits 0.
 * The model is the authors' full-size generator imported with `tpfr import-torch` into a model
 * folder: their checkpoint with `--checkpoint` (e.g. their `200_net_G.pth`), else one written
 * first with the tests' writer (their 156 keys at ngf 64, random weights, PyTorch's legacy format
 * as their file). The command: `node CLI stylize --model DIR --content photo.png --style
 * painting.png --out out.png --size S --quiet`, the authors' test-time pipeline at S. `--cli PATH`
 * times another build of the command line (e.g. an older checkout's `packages/cli/dist/cli.js`,
 * for an A/B on the same inputs). Each run has `TPFR_TIMING_MARKS=1`: the command prints when
 * each phase ended (ms since the process started), and the line gives each mark's median.
 *
 * `--authors-repo PATH`: also times the authors' path doing the same
 * (`examples/bench/authors-command.py`: Python and torch start, their network built and loaded
 * from the same checkpoint, the same two images, one PNG), `--python` naming the interpreter that
 * has torch (default `python3`). One JSON line:
 * {"bench":"command","size":S,"runs":n,"minMs":…,"medianMs":…,"maxMs":…,"ms":[…],"marks":{"modules":…,"backend":…,"model":…,"exemplars":…,"stylize":…,"png":…},"authors":{"minMs":…,"medianMs":…,"maxMs":…,"ms":[…],"marks":{…}}|null}
 * `--record [FILE]` (and `--source TEXT`) also appends the line to `docs/benchmarks/results.jsonl`
 * (or FILE) with the date, the machine, the command and the source (record.ts); stdout is unchanged.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { authorsGeneratorKeys, syntheticAuthorsStateDict } from '../../packages/models/src/torch-import/index.ts';
import { writeTorchCheckpoint } from '../../packages/testing/src/torch-writer.ts';
import { printLine, recordFlags, REPO_ROOT } from './record.ts';

/** The options of one benchmark run. */
export interface CommandBenchOptions {
  size: number;
  runs: number;
  /** The command line's entry (`packages/cli/dist/cli.js` of this checkout by default). */
  cli: string;
  /** The authors' checkpoint to import; null: a full-size one with random weights is written. */
  checkpoint: string | null;
  /** Where the inputs go (kept); a temporary folder (removed) when null. */
  inputs: string | null;
  /** A checkout of the authors' repository: their path is timed too. */
  authorsRepo: string | null;
  python: string;
}

/** `--name value` of `argv`. */
function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function count(argv: string[], name: string, fallback: number, min: number): number {
  const v = arg(argv, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`bench:command: expected ${name} an integer >= ${min}, received '${v}'`);
  return n;
}

const optionalPath = (argv: string[], name: string) => {
  const v = arg(argv, name);
  return v === undefined ? null : resolve(v);
};

/** The options of `argv` (the `--record` flags left out). */
export function parseOptions(argv: string[]): CommandBenchOptions {
  const { rest } = recordFlags(argv);
  return {
    size: count(rest, '--size', 256, 16),
    runs: count(rest, '--runs', 5, 1),
    cli: resolve(arg(rest, '--cli') ?? join(REPO_ROOT, 'packages/cli/dist/cli.js')),
    checkpoint: optionalPath(rest, '--checkpoint'),
    inputs: optionalPath(rest, '--inputs'),
    authorsRepo: optionalPath(rest, '--authors-repo'),
    python: arg(rest, '--python') ?? 'python3',
  };
}

/** The torch-generator fixtures' folder (as the tests find it). */
export function fixturesDir(): string {
  return resolve(process.env.TPFR_TORCH_FIXTURES ?? join(REPO_ROOT, '..', 'shared', 'fixtures', 'torch-generator'));
}

/** The fixture photo and painting (256², the authors' pipeline case's resized inputs), or null without them. */
export function fixtureImages(): { photo: string; painting: string } | null {
  const dir = join(fixturesDir(), 'pipeline_g8_256');
  const photo = join(dir, 'content_resized.png');
  const painting = join(dir, 'style_resized.png');
  return existsSync(photo) && existsSync(painting) ? { photo, painting } : null;
}

/** The files of a run in `dir`. */
export function inputPaths(dir: string) {
  return {
    checkpoint: join(dir, '200_net_G.pth'),
    model: join(dir, 'model'),
    photo: join(dir, 'photo.png'),
    painting: join(dir, 'painting.png'),
    out: join(dir, 'out.png'),
    authorsOut: join(dir, 'authors-out.png'),
  };
}

/** Runs a command once in a fresh process; its wall time in ms and its stderr. */
export function runOnce(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; stderr: string } {
  const t0 = performance.now();
  const r = spawnSync(command, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`bench:command: ${[command, ...args.slice(0, 2)].join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, stderr: r.stderr };
}

/**
 * Writes the inputs into `dir` unless they are there: the images (copied), the checkpoint
 * (`checkpoint`, or a full-size one with random weights) and the model folder imported from it
 * with the command line's `import-torch`.
 */
export function prepareInputs(dir: string, images: { photo: string; painting: string }, o: CommandBenchOptions): string {
  const p = inputPaths(dir);
  mkdirSync(dir, { recursive: true });
  for (const [from, to] of [
    [images.photo, p.photo],
    [images.painting, p.painting],
  ]) {
    if (existsSync(to)) continue;
    copyFileSync(from, to);
    chmodSync(to, 0o644); // the fixtures are read-only; the copies need not be
  }
  const checkpoint = o.checkpoint ?? p.checkpoint;
  if (!o.checkpoint && !existsSync(p.checkpoint)) {
    const tensors = syntheticAuthorsStateDict(authorsGeneratorKeys({ ngf: 64, residualBlocks: 6 }), 1);
    const entries = [...tensors].map(([name, t]) => ({ name, ...t }));
    writeFileSync(p.checkpoint, writeTorchCheckpoint(entries as Parameters<typeof writeTorchCheckpoint>[0], { format: 'legacy' }));
  }
  if (!existsSync(join(p.model, 'tpfr-model.json')))
    runOnce(process.execPath, [join(REPO_ROOT, 'packages/cli/dist/cli.js'), 'import-torch', checkpoint, '--out', p.model, '--quiet']);
  return checkpoint;
}

/** The command that stylizes the photo: `CLI stylize … --size S --quiet`. */
export function stylizeArgs(cli: string, dir: string, size: number): string[] {
  const p = inputPaths(dir);
  return [
    cli,
    'stylize',
    '--model',
    p.model,
    '--content',
    p.photo,
    '--style',
    p.painting,
    '--out',
    p.out,
    '--size',
    String(size),
    '--quiet',
  ];
}

/** The authors' path on the same inputs (authors-command.py). */
export function authorsArgs(repo: string, checkpoint: string, dir: string, size: number): string[] {
  const p = inputPaths(dir);
  const script = join(REPO_ROOT, 'examples/bench/authors-command.py');
  return [
    script,
    '--repo',
    repo,
    '--checkpoint',
    checkpoint,
    '--content',
    p.photo,
    '--style',
    p.painting,
    '--out',
    p.authorsOut,
    '--size',
    String(size),
  ];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The timing marks in a command's stderr: `tpfr: mark <name> <ms> ms` lines, or the authors' JSON line. */
export function parseMarks(stderr: string): Record<string, number> {
  const marks: Record<string, number> = {};
  for (const m of stderr.matchAll(/^tpfr: mark (.+) (\d+(?:\.\d+)?) ms$/gm)) marks[m[1]] = Math.round(Number(m[2]));
  const authors = stderr.split('\n').find((l) => l.startsWith('{"bench": "authors-command"') || l.startsWith('{"bench":"authors-command"'));
  if (authors) Object.assign(marks, (JSON.parse(authors) as { marks: Record<string, number> }).marks);
  return marks;
}

/** The summary of some runs: min, median and max, each run, each mark's median. */
export function summarize(runs: { ms: number; stderr: string }[]) {
  const ms = runs.map((r) => Math.round(r.ms));
  const marks = runs.map((r) => parseMarks(r.stderr));
  const names = [...new Set(marks.flatMap((m) => Object.keys(m)))];
  return {
    minMs: Math.min(...ms),
    medianMs: Math.round(median(ms)),
    maxMs: Math.max(...ms),
    ms,
    marks: Object.fromEntries(names.map((n) => [n, Math.round(median(marks.flatMap((m) => (n in m ? [m[n]] : []))))])),
  };
}

/** Runs `command args` once uncounted, then `runs` times. */
function timeRuns(command: string, args: string[], runs: number, env: NodeJS.ProcessEnv) {
  runOnce(command, args, env);
  return summarize(Array.from({ length: runs }, () => runOnce(command, args, env)));
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const images = fixtureImages();
  if (!images) {
    const why = `no fixture images in ${join(fixturesDir(), 'pipeline_g8_256')} (set TPFR_TORCH_FIXTURES)`;
    process.stderr.write(`bench:command skipped: ${why}\n`);
    printLine(JSON.stringify({ bench: 'command', size: o.size, skipped: why }));
    return;
  }
  if (!existsSync(o.cli)) throw new Error(`bench:command: no ${o.cli} (run pnpm build first)`);
  const dir = o.inputs ?? mkdtempSync(join(tmpdir(), 'tpfr-bench-command-'));
  try {
    const checkpoint = prepareInputs(dir, images, o);
    const env = { ...process.env, TPFR_TIMING_MARKS: '1' };
    const ours = timeRuns(process.execPath, stylizeArgs(o.cli, dir, o.size), o.runs, env);
    const authors = o.authorsRepo
      ? timeRuns(o.python, [...authorsArgs(o.authorsRepo, checkpoint, dir, o.size), '--marks'], o.runs, env)
      : null;
    printLine(JSON.stringify({ bench: 'command', size: o.size, runs: o.runs, ...ours, authors }));
  } finally {
    if (!o.inputs) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
