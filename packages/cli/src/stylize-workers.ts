import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { CliError } from './errors.js';

/**
 * `tpfr stylize --jobs N`: the content images shared among N worker processes, each the same
 * command on its share, with an equal share of the cores as wasm threads. wasm's convolutions
 * gain 1.6–1.9× from a second thread, a second process nearly 2×; but each process starts,
 * loads the model and encodes the exemplars itself, and holds its own memory. On a 2-core
 * machine, 18 images of 256² took 35 s with `--jobs 2` and 43 s with one process on both cores;
 * 6 images took 14 s either way.
 */

/** Set in a worker's environment: report each finished image on stdout, no progress bar. */
export const WORKER_ENV = 'TPFR_STYLIZE_WORKER';
const DONE = 'tpfr-stylize-done ';

/** Whether this process is one of the workers of `tpfr stylize --jobs`. */
export function isStylizeWorker(): boolean {
  return process.env[WORKER_ENV] === '1';
}

/** In a worker: tells the parent that `file` is done (`line`: what a single run would print). */
export function reportDone(file: string, line: string): void {
  process.stdout.write(`${DONE}${JSON.stringify({ file, line })}\n`);
}

/** What {@link runWorkers} needs. */
export interface WorkersOptions {
  /** Worker processes (at most one per file). */
  jobs: number;
  /** The content files, dealt to the workers in turn. */
  files: string[];
  /** The command line of a worker for its files (after the entry). */
  args: (files: string[]) => string[];
  /** How to start the command line tool: `[node, ...its flags, script]`. */
  entry: string[];
  /** Called in the parent as each image is done. */
  onDone: (file: string, line: string) => void;
}

/** The command that started this process (`node [flags] cli.js`), to start workers with. */
export function ownEntry(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]];
}

/**
 * Runs the workers and waits for all of them. When one fails, the others are stopped and the
 * failure is thrown as a CliError with the worker's own message and exit code.
 */
export async function runWorkers(o: WorkersOptions): Promise<void> {
  const jobs = Math.max(1, Math.min(o.jobs, o.files.length));
  const shares = Array.from({ length: jobs }, (_, j) => o.files.filter((_, i) => i % jobs === j));
  // An explicit TPFR_WASM_THREADS is the user's choice per process; else the cores are shared.
  const threads = process.env.TPFR_WASM_THREADS ?? String(Math.max(1, Math.floor(availableParallelism() / jobs)));
  const children: ChildProcess[] = [];
  const stopAll = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  };
  const runs = shares.map(
    (share, j) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(o.entry[0], [...o.entry.slice(1), ...o.args(share)], {
          env: { ...process.env, [WORKER_ENV]: '1', TPFR_WASM_THREADS: threads },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        children.push(child);
        let out = '';
        let err = '';
        child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
            const line = out.slice(0, nl);
            out = out.slice(nl + 1);
            if (line.startsWith(DONE)) {
              const { file, line: text } = JSON.parse(line.slice(DONE.length)) as { file: string; line: string };
              o.onDone(file, text);
            }
          }
        });
        child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
          err = (err + chunk).slice(-4000);
        });
        child.on('error', (e) => reject(new CliError(`stylize --jobs: cannot start a worker: ${e.message}`)));
        child.on('close', (code, signal) => {
          if (code === 0) return resolve();
          const last = err
            .trim()
            .split('\n')
            .filter((l) => l.trim() !== '')
            .pop()
            ?.replace(/^tpfr: /, '');
          reject(
            new CliError(
              `stylize --jobs: worker ${j + 1} of ${jobs} failed: ${last ?? (signal ? `killed by ${signal}` : `exit ${code}`)}`,
              code === 2 ? 2 : 1,
            ),
          );
        });
      }),
  );
  try {
    await Promise.all(
      runs.map((r) =>
        r.catch((e: unknown) => {
          stopAll();
          throw e;
        }),
      ),
    );
  } finally {
    // The others' failures after the first (they were stopped) are not reported.
    await Promise.allSettled(runs);
  }
}
