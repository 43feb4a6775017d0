import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `fn` and throws unless the number of live tensors is the same afterwards. Tensors that
 * `fn` returns (alone, in an array or in an object) are disposed before counting, so
 * `expectNoLeaks(() => knn(q, p, 5))` checks that knn keeps nothing but its result.
 * @returns the number of tensors `fn` returned.
 */
export async function expectNoLeaks(fn: () => unknown, label = 'function'): Promise<number> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const returned = collectTensors(result);
  tf.dispose(returned);
  const after = tf.memory().numTensors;
  if (after !== before) {
    throw new Error(
      `expectNoLeaks: ${label} leaked ${after - before} tensor(s) (${before} before, ${after} after, ${returned.length} returned and disposed)`,
    );
  }
  return returned.length;
}

/** Every tensor in `x`, looking through arrays and plain objects. */
export function collectTensors(x: unknown, out: tf.Tensor[] = [], seen = new Set<unknown>()): tf.Tensor[] {
  if (x == null || typeof x !== 'object' || seen.has(x)) return out;
  seen.add(x);
  if (x instanceof tf.Tensor) {
    out.push(x);
  } else if (Array.isArray(x)) {
    for (const v of x) collectTensors(v, out, seen);
  } else if (Object.getPrototypeOf(x) === Object.prototype) {
    for (const v of Object.values(x)) collectTensors(v, out, seen);
  }
  return out;
}
