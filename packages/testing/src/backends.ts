import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe } from 'vitest';
import { initBackend, type BackendName } from '@tpfr/core';

/** Backends the suites run on by default: the two that work everywhere without a GPU. */
export const TEST_BACKENDS: BackendName[] = ['cpu', 'wasm'];

/**
 * Backends of `wanted` that can be set up here (each is tried once). Leaves the active backend
 * as it was.
 */
export async function availableBackends(wanted: BackendName[] = TEST_BACKENDS): Promise<BackendName[]> {
  const previous = tf.getBackend();
  const ok: BackendName[] = [];
  for (const name of wanted) {
    try {
      await initBackend(name);
      ok.push(name);
    } catch {
      // not available here
    }
  }
  if (previous) await tf.setBackend(previous);
  return ok;
}

/**
 * Declares `suite` once per backend (vitest `describe`), each run with that backend active:
 * `describeEachBackend('knn', (backend) => { it(...) })`. A backend that cannot be set up
 * fails its suite with the reason.
 */
export function describeEachBackend(name: string, suite: (backend: BackendName) => void, backends: BackendName[] = TEST_BACKENDS): void {
  for (const backend of backends) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        await initBackend(backend);
      });
      suite(backend);
    });
  }
}
