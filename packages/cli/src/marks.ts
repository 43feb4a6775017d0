/**
 * Timing marks of a command, for finding where its start-up goes: with `TPFR_TIMING_MARKS=1` in
 * the environment each {@link mark} writes `tpfr: mark <name> <ms> ms` to stderr, the milliseconds
 * since the process started (`performance.now()`, whose origin is the process's start). Without
 * it, nothing.
 */
const enabled = process.env.TPFR_TIMING_MARKS === '1';

/** Writes the mark `name` (the time since the process started) when `TPFR_TIMING_MARKS=1`. */
export function mark(name: string): void {
  if (enabled) process.stderr.write(`tpfr: mark ${name} ${performance.now().toFixed(1)} ms\n`);
}
