/** The benchmarks' child processes: each measurement in a fresh process of its own. */
import { execFileSync } from 'node:child_process';

/** Options of {@link childJsonLines}. */
export interface ChildOptions {
  /** Node's flags before `--import tsx` (for example `--expose-gc`). */
  nodeFlags?: string[];
}

/**
 * Runs a benchmark script again in a child process (`node [nodeFlags] --import tsx FILE ARGS`, its
 * stderr shown as it comes) and returns the JSON lines it printed on stdout, in order.
 */
export function childJsonLines(file: string, args: string[], opts: ChildOptions = {}): string[] {
  const out = execFileSync(process.execPath, [...(opts.nodeFlags ?? []), '--import', 'tsx', file, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  return out
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'));
}
