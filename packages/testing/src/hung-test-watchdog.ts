import { writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * A watchdog for tests that hang the thread they run on.
 *
 * vitest's `testTimeout` is a timer on the test's own event loop: a test stuck in a synchronous
 * loop (a kernel whose odometer never ends, a `while` whose exit a bug removed) never yields, so
 * the timer never fires and the run stalls, with one worker at 100 % CPU and no name. This
 * watchdog keeps what runs in a `SharedArrayBuffer` (its name, when it started, how long it may
 * run) and watches it from a `worker_threads` thread, which runs whatever the test's thread does.
 * Past the limit the thread writes `hung test: <name> (<seconds> s, limit <seconds> s)` straight
 * to file descriptor 2 (the test's thread cannot relay it), pauses the test's thread through the
 * inspector (an interrupt: a spinning loop stops too) to write the frames it spins in, and ends
 * the process with SIGKILL. vitest 3 (tinypool 1.1) then ends the whole run with exit code 1
 * ("Channel closed": it sends its teardown to the dead fork), which is the point: the run fails
 * at once, and the name is on stderr.
 *
 * The record is written under a sequence count (odd while written), so the thread never reads a
 * name half written. The thread is `unref`'d: it never keeps a process alive.
 *
 * Node only; see `vitest.setup.ts` for how the repository's tests arm it.
 * @module
 */

/** Bytes of a recorded name (longer names are cut). */
const NAME_BYTES = 2048;
/** Int32 slots: the sequence count, whether something runs, the name's length in bytes. */
const SEQ = 0;
const ARMED = 1;
const NAME_LENGTH = 2;
/** Float64 slots (after 16 bytes): the start (ms since the epoch), the limit (ms). */
const START = 2;
const LIMIT = 3;
const NAME_OFFSET = 32;

/** A running watchdog (one per process, see {@link hungTestWatchdog}). */
export interface HungTestWatchdog {
  /** Records that `name` starts now and may run `limitMs` ms (≤ 0 or not finite: without limit). */
  start(name: string, limitMs: number): void;
  /** Records that nothing runs. */
  stop(): void;
  /** What the watching thread reads now: the name, ms since it started and its limit, or null. */
  current(): { name: string; elapsedMs: number; limitMs: number } | null;
}

/** Options of {@link hungTestWatchdog}. */
export interface HungTestWatchdogOptions {
  /** How often the thread looks, in ms (default 250). */
  pollMs?: number;
  /**
   * End the process when its parent is gone (default false). A vitest worker whose main process
   * died (vitest exits when one of its forks is killed) would otherwise live on as an orphan.
   */
  exitWithParent?: boolean;
}

/**
 * The code of the watching thread (CommonJS: `eval` workers are scripts). Past the limit it
 * writes the name, asks the inspector to pause the test's thread (an interrupt, so a spinning
 * loop stops too) to write where it spins, and kills the process: after the pause, or after
 * `WHERE_MS` if the pause does not come.
 */
const WATCHER = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { Session } = require('node:inspector');
const { sab, pollMs, whereMs, exitWithParent } = workerData;
const parent = process.ppid;
const i32 = new Int32Array(sab, 0, 4);
const f64 = new Float64Array(sab, 0, 4);
const bytes = new Uint8Array(sab, ${NAME_OFFSET});
const kill = () => process.kill(process.pid, 'SIGKILL');
// stderr may be a pipe whose reader is gone (a dead parent): writing must never stop the kill.
const say = (text) => { try { writeSync(2, text); } catch {} };
const where = () => {
  const s = new Session();
  try {
    s.connectToMainThread();
    const urls = new Map();
    s.on('Debugger.scriptParsed', (m) => urls.set(m.params.scriptId, m.params.url));
    s.on('Debugger.paused', (m) => {
      const frames = m.params.callFrames.slice(0, 8).map((f) => '    at ' + (f.functionName || '<anonymous>') + ' (' + (f.url || urls.get(f.location.scriptId) || '?') + ':' + (f.location.lineNumber + 1) + ':' + (f.location.columnNumber + 1) + ')');
      say('where it runs (lines of the transformed code):\\n' + frames.join('\\n') + '\\n');
      kill();
    });
    s.post('Debugger.enable', () => s.post('Debugger.pause'));
  } catch (e) {
    kill();
  }
};
const look = () => {
  if (exitWithParent && process.ppid !== parent) {
    say('\\nhung-test watchdog: the parent process (pid ' + parent + ') is gone: ending process ' + process.pid + '\\n');
    kill();
  }
  const seq = Atomics.load(i32, ${SEQ});
  if (seq % 2 === 1 || Atomics.load(i32, ${ARMED}) === 0) return;
  const start = f64[${START}];
  const limit = f64[${LIMIT}];
  const length = Atomics.load(i32, ${NAME_LENGTH});
  const name = new TextDecoder().decode(bytes.slice(0, length));
  if (Atomics.load(i32, ${SEQ}) !== seq) return; // rewritten meanwhile: look again next time
  const elapsed = Date.now() - start;
  if (!(limit > 0) || !Number.isFinite(limit) || elapsed <= limit) return;
  clearInterval(timer);
  say('\\nhung test: ' + name + ' (' + (elapsed / 1000).toFixed(1) + ' s, limit ' + (limit / 1000).toFixed(1) + ' s): killing its process\\n');
  setTimeout(kill, whereMs);
  where();
};
const timer = setInterval(look, pollMs);
`;

const KEY = Symbol.for('@tpfr/testing:hung-test-watchdog');

/**
 * The process's watchdog, started on the first call (later calls return the same one, whatever
 * their options). Its thread is `unref`'d, so it never holds the process open.
 */
export function hungTestWatchdog(opts: HungTestWatchdogOptions = {}): HungTestWatchdog {
  const g = globalThis as unknown as Record<symbol, HungTestWatchdog | undefined>;
  const existing = g[KEY];
  if (existing) return existing;
  const sab = new SharedArrayBuffer(NAME_OFFSET + NAME_BYTES);
  const i32 = new Int32Array(sab, 0, 4);
  const f64 = new Float64Array(sab, 0, 4);
  const bytes = new Uint8Array(sab, NAME_OFFSET);
  const worker = new Worker(WATCHER, {
    eval: true,
    workerData: { sab, pollMs: opts.pollMs ?? 250, whereMs: 2000, exitWithParent: opts.exitWithParent ?? false },
  });
  worker.unref();
  worker.on('error', (e) => writeSync(2, `hung-test watchdog: its thread failed (${String(e)}); tests are no longer watched\n`));
  const encoder = new TextEncoder();
  /** Writes the record between two increments of the sequence count. */
  const write = (armed: boolean, name: string, limitMs: number) => {
    Atomics.add(i32, SEQ, 1);
    if (armed) {
      let encoded = encoder.encode(name);
      if (encoded.length > NAME_BYTES) encoded = encoded.slice(0, NAME_BYTES);
      bytes.set(encoded);
      Atomics.store(i32, NAME_LENGTH, encoded.length);
      f64[START] = Date.now();
      f64[LIMIT] = limitMs;
    }
    Atomics.store(i32, ARMED, armed ? 1 : 0);
    Atomics.add(i32, SEQ, 1);
  };
  const dog: HungTestWatchdog = {
    start: (name, limitMs) => write(true, name, limitMs),
    stop: () => write(false, '', 0),
    current: () =>
      Atomics.load(i32, ARMED) === 0
        ? null
        : {
            name: new TextDecoder().decode(bytes.slice(0, Atomics.load(i32, NAME_LENGTH))),
            elapsedMs: Date.now() - f64[START],
            limitMs: f64[LIMIT],
          },
  };
  g[KEY] = dog;
  return dog;
}

/**
 * The hard limit for something vitest would time out after `timeoutMs`: `$TPFR_HUNG_TEST_MS`
 * where set (a number of ms), else `factor` × `timeoutMs` (0 or not finite: no limit).
 */
export function hungTestLimit(timeoutMs: number | undefined, factor = 2): number {
  const env = process.env.TPFR_HUNG_TEST_MS;
  if (env !== undefined && env !== '') {
    const ms = Number(env);
    if (!Number.isFinite(ms) || ms <= 0)
      throw new Error(`hung-test watchdog: expected TPFR_HUNG_TEST_MS a positive number of ms, received '${env}'`);
    return ms;
  }
  return timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs) ? factor * timeoutMs : 0;
}
