import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, watch, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { authorsDiscriminatorKeys, authorsGeneratorKeys, syntheticAuthorsStateDict } from '@tpfr/models/torch';
// An internal of @tpfr/models, from its source: where a writer killed mid-replace left the old folder.
import { oldDirOf } from '../../../models/src/node/atomic-dir.js';
import { writeTorchCheckpoint } from '../torch-writer.js';

/** The repository root: children run from it, so that tsx maps `@tpfr/*` to the sources. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The scripts the crash tests run as children. */
export const CHILD = {
  train: join(REPO_ROOT, 'packages/testing/src/crash-testing/train.child.ts'),
  write: join(REPO_ROOT, 'packages/testing/src/crash-testing/write.child.ts'),
  cli: join(REPO_ROOT, 'packages/cli/src/bin.ts'),
};

/** A child process started by {@link startChild}, with what it printed so far. */
export interface Child {
  readonly proc: ChildProcess;
  /** Its stdout, line by line. */
  readonly lines: string[];
  /** Its stderr (capped). */
  readonly stderr: () => string;
  /** Resolves when it has exited: the exit code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Calls `fn` on each new stdout line (and on those printed already). */
  onLine(fn: (line: string) => void): void;
}

/** Runs `node --import tsx script ...args` from the repository root, on one wasm thread. */
export function startChild(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, TPFR_WASM_THREADS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners: ((line: string) => void)[] = [];
  let rest = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const fn of listeners) fn(line);
    }
  });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    if (err.length < 20_000) err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    proc,
    lines,
    exited,
    stderr: () => err.slice(0, 2000),
    onLine(fn) {
      lines.forEach(fn);
      listeners.push(fn);
    },
  };
}

/**
 * Calls `fn` once, as soon as `name` appears in the folder `parent` (by inotify where available,
 * else by polling every 2 ms). Returns a function that stops watching.
 */
export function whenCreated(parent: string, name: string, fn: () => void): () => void {
  let done = false;
  const fire = () => {
    if (done) return;
    done = true;
    stop();
    fn();
  };
  const watcher = watch(parent, (_event, file) => {
    if (file === name) fire();
  });
  const timer = setInterval(() => {
    if (existsSync(join(parent, name))) fire();
  }, 2);
  const stop = () => {
    watcher.close();
    clearInterval(timer);
  };
  return () => {
    done = true;
    stop();
  };
}

/** Sends SIGKILL after `ms` (if it still runs). */
export function killAfter(child: Child, ms: number): void {
  setTimeout(() => child.proc.kill('SIGKILL'), ms);
}

/** Bytes a tfjs weights manifest describes (float32 and int32 weights: 4 bytes an element). */
function manifestBytes(specs: { shape: number[]; dtype?: string }[]): number {
  return specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * (s.dtype === 'bool' || s.dtype === 'uint8' ? 1 : 4), 0);
}

/**
 * Checks that the model folder `dir` is whole (its JSON files parse, `weights.bin` has the bytes
 * `model.json` describes) and returns its `weights.bin`; throws, saying what is wrong, otherwise.
 */
export function checkModelFolder(dir: string): Buffer {
  JSON.parse(readFileSync(join(dir, 'tpfr-model.json'), 'utf8'));
  const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    weightsManifest: { paths: string[]; weights: { shape: number[]; dtype?: string }[] }[];
  };
  const specs = model.weightsManifest.flatMap((g) => g.weights);
  const weights = readFileSync(join(dir, model.weightsManifest[0].paths[0]));
  if (weights.byteLength !== manifestBytes(specs))
    throw new Error(`${dir}: weights.bin has ${weights.byteLength} bytes, model.json describes ${manifestBytes(specs)}`);
  return weights;
}

/** Checks that the checkpoint folder `dir` is whole (see {@link checkModelFolder}) and returns its step. */
export function checkCheckpointFolder(dir: string): number {
  const json = JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8')) as {
    format: string;
    step: number;
    specs: { shape: number[]; dtype?: string }[];
  };
  if (json.format !== 'tpfr-checkpoint' || !Number.isInteger(json.step)) throw new Error(`${dir}: trainer.json is not a checkpoint's`);
  const bytes = statSync(join(dir, 'state.bin')).size;
  if (bytes !== manifestBytes(json.specs))
    throw new Error(`${dir}: state.bin has ${bytes} bytes, trainer.json describes ${manifestBytes(json.specs)}`);
  checkModelFolder(join(dir, 'model'));
  return json.step;
}

/**
 * What a killed writer left at `dir`, before any reader puts things right: `'absent'` (nothing
 * written yet), `'whole'`, or `'aside'` (killed between its two renames: `dir` is missing and its
 * complete predecessor waits in `DIR.tpfr-old`). Anything else (a half-written `dir`) throws.
 */
export function leftAt(dir: string, check: (d: string) => unknown): 'absent' | 'whole' | 'aside' {
  if (existsSync(dir)) {
    check(dir);
    return 'whole';
  }
  if (existsSync(oldDirOf(dir))) {
    check(oldDirOf(dir));
    return 'aside';
  }
  return 'absent';
}

/** `basename(dir)` and its parent, for {@link whenCreated}. */
export const splitPath = (p: string): [string, string] => [dirname(p), basename(p)];

/**
 * Writes two micro generator checkpoints (`G2.pth`, `G3.pth`) and a discriminator (`D4.pth`) into
 * `dir` and returns the arguments of `tpfr import-torch` for each generator into `out`. With a
 * discriminator given nothing is drawn at random: an import's model is its checkpoints'.
 */
export function importTorchFixtures(dir: string): ((out: string) => string[])[] {
  const pth = (seed: number, part: 'G' | 'D') => {
    const keys = part === 'G' ? authorsGeneratorKeys({ ngf: 16, residualBlocks: 2 }) : authorsDiscriminatorKeys({ ndf: 4 });
    const sd = syntheticAuthorsStateDict(keys, seed);
    const file = join(dir, `${part}${seed}.pth`);
    writeFileSync(
      file,
      writeTorchCheckpoint([...sd].map(([name, t]) => ({ name, ...t })) as Parameters<typeof writeTorchCheckpoint>[0], { format: 'zip' }),
    );
    return file;
  };
  const disc = pth(4, 'D');
  return [pth(2, 'G'), pth(3, 'G')].map((file) => (out: string) => [
    CHILD.cli,
    'import-torch',
    file,
    '--discriminator',
    disc,
    '--out',
    out,
    '--quiet',
  ]);
}
