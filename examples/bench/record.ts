/**
 * The benchmarks' `--record` flag, one helper for all of them. Each benchmark prints its JSON
 * lines with {@link printLine}: the line goes to stdout unchanged, and with `--record [FILE]` it is
 * also appended to FILE (default `docs/benchmarks/results.jsonl`) with four fields added:
 *
 * - `date`: the day the run started (UTC, `YYYY-MM-DD`);
 * - `machine`: the CPU model, its cores, the memory, Node's version, the wasm threads in Node;
 * - `command`: the command that reproduces the line (the `TPFR_*` variables set, `pnpm bench:…`
 *   and its flags, without `--record` and `--source`);
 * - `source`: who or what measured it: `--source TEXT`, else the commit the run was made at.
 *
 * `pnpm bench:page` renders `docs/guides/benchmarks.md` from that file.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where `--record` appends by default. */
export const RESULTS_FILE = resolve(REPO_ROOT, 'docs/benchmarks/results.jsonl');

/** The machine a line was measured on. */
export interface Machine {
  /** The CPU's model name. */
  cpu: string;
  /** Logical cores. */
  cores: number;
  memoryGiB?: number;
  /** Node's version. */
  node?: string;
  /** The wasm backend's threads in Node (`TPFR_WASM_THREADS`, else every core), where the line does not say. */
  wasmThreads?: number;
  /** Anything else that matters (another library's version and threads, the load). */
  note?: string;
}

/** What `--record` adds to a benchmark's line. */
export interface RecordFields {
  date: string;
  machine: Machine;
  command: string | null;
  source: string;
}

/** One line of the results file: a benchmark's JSON line with where, when and how it was measured. */
export interface BenchRecord {
  bench: string;
  date: string;
  machine: Machine;
  /** The command that reproduces it; null where none was recorded. */
  command: string | null;
  source: string;
  /** What the line is when it is not exactly as a benchmark printed it (figures transcribed from a report). */
  note?: string;
  [field: string]: unknown;
}

/** `--record [FILE]` and `--source TEXT` of `argv`, and the arguments without them. */
export function recordFlags(argv: string[]): { file: string | null; source: string | null; rest: string[] } {
  let file: string | null = null;
  let source: string | null = null;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--record') {
      const next = argv[i + 1];
      file = next !== undefined && !next.startsWith('--') ? resolve(argv[++i]) : RESULTS_FILE;
    } else if (argv[i] === '--source') {
      source = argv[++i] ?? null;
    } else {
      rest.push(argv[i]);
    }
  }
  return { file, source, rest };
}

/** This machine: CPU model, cores, memory, Node, and the wasm threads a benchmark gets in Node. */
export function thisMachine(env: NodeJS.ProcessEnv = process.env): Machine {
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const asked = Number(env.TPFR_WASM_THREADS);
  // initBackend's default: TPFR_WASM_THREADS, else every core (the threaded build has 8 workers).
  const threads = Math.min(Number.isInteger(asked) && asked >= 1 ? asked : cores, 8);
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    wasmThreads: threads,
  };
}

const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

/**
 * The command that reproduces this run: `pnpm <script> <flags>` when pnpm started it, else
 * `node … <script file> <flags>`; the variables that change what a benchmark measures come first
 * (the `TPFR_*` settings, not the test suite's `TPFR_REQUIRE_*` switches or fixture paths).
 */
export function thisCommand(argv: string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string {
  const { rest } = recordFlags(argv.slice(2));
  const vars = Object.keys(env)
    .filter((k) => k.startsWith('TPFR_') && !/^TPFR_(REQUIRE_|PARITY_DIR$|TORCH_FIXTURES$|HUNG_TEST_MS$)/.test(k))
    .sort()
    .map((k) => `${k}=${quote(env[k]!)}`);
  const script = env.npm_lifecycle_event;
  const head =
    script && /^(bench:|soak$)/.test(script) ? ['pnpm', script] : ['node', ...process.execArgv, relative(REPO_ROOT, argv[1] ?? '')];
  return [...vars, ...head, ...rest.map(quote)].join(' ');
}

function commit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() !== '';
    return `${sha}${dirty ? ' with local changes' : ''}`;
  } catch {
    return 'an unknown commit';
  }
}

const started = new Date().toISOString().slice(0, 10);
let recording: { file: string; fields: RecordFields } | null | undefined;

/** The fields `--record` adds to every line of this process, or null without `--record`. */
function recorder() {
  if (recording !== undefined) return recording;
  const { file, source } = recordFlags(process.argv.slice(2));
  recording =
    file === null
      ? null
      : {
          file,
          fields: { date: started, machine: thisMachine(), command: thisCommand(), source: source ?? `--record at commit ${commit()}` },
        };
  return recording;
}

/** A benchmark's line with the fields of the results file. */
export function toRecord(line: string, fields: RecordFields): BenchRecord {
  return { ...(JSON.parse(line) as { bench: string }), ...fields };
}

/**
 * Prints one JSON line of a benchmark to stdout, exactly as given, and with `--record` appends it
 * to the results file with `date`, `machine`, `command` and `source`.
 */
export function printLine(line: string): void {
  console.log(line);
  const r = recorder();
  if (!r) return;
  mkdirSync(dirname(r.file), { recursive: true });
  appendFileSync(r.file, `${JSON.stringify(toRecord(line, r.fields))}\n`);
}
