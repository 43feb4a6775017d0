/**
 * Where the time goes: named parts of a computation, summed while {@link collectTimings} runs and
 * free otherwise (one check per part). On cpu and wasm ops run when called, so a part's wall time
 * is its cost; on WebGL and WebGPU ops are queued, and a part measures only their dispatch.
 */
let sink: Map<string, number> | null = null;

/** Runs `fn` and, inside {@link collectTimings}, adds its wall time to `part`. */
export function timed<T>(part: string, fn: () => T): T {
  const s = sink;
  if (!s) return fn();
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    s.set(part, (s.get(part) ?? 0) + performance.now() - t0);
  }
}

/**
 * Runs `fn` and returns its result with the milliseconds of every {@link timed} part it went
 * through (parts nest: a part's time includes the parts inside it). Not re-entrant: an inner
 * call collects on its own and its parts are not added to the outer one's.
 */
export async function collectTimings<T>(fn: () => T | Promise<T>): Promise<{ result: T; parts: Record<string, number> }> {
  const previous = sink;
  const mine = new Map<string, number>();
  sink = mine;
  try {
    const result = await fn();
    return { result, parts: Object.fromEntries(mine) };
  } finally {
    sink = previous;
  }
}
