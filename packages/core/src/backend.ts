import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { BackendError } from './errors.js';

/** Backends {@link initBackend} knows. `'tensorflow'` is tfjs-node(-gpu)'s backend. */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** One backend {@link initBackend} considered, and why it was or was not taken. */
export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  reason: string;
}

/** What {@link initBackend} chose and why. */
export interface BackendChoice {
  /** The active backend, as `tf.getBackend()` reports it. */
  backend: string;
  /** One sentence on why it was chosen. */
  reason: string;
  /** Every backend tried, in order. */
  attempts: BackendAttempt[];
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** For wasm in a browser: where the `.wasm` files are served (see `setWasmPaths`). */
  wasmPaths?: string;
}

const isNode = typeof process !== 'undefined' && process.versions?.node != null;

/** Imports an optional package without letting bundlers resolve it at build time. */
async function importOptional(name: string): Promise<unknown> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ name);
}

async function trySet(name: string): Promise<boolean> {
  try {
    return (await tf.setBackend(name)) && tf.getBackend() === name;
  } catch {
    return false;
  }
}

function message(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0].slice(0, 200);
}

async function tryTensorflow(): Promise<BackendAttempt> {
  if (!isNode) return { backend: 'tensorflow', ok: false, reason: 'not in Node' };
  const reasons: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await importOptional(pkg);
      if (await trySet('tensorflow')) return { backend: 'tensorflow', ok: true, reason: `${pkg} is installed and loads` };
      reasons.push(`${pkg} loaded but its backend did not initialise`);
    } catch (e) {
      reasons.push(`${pkg}: ${/Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(message(e)) ? 'not installed' : message(e)}`);
    }
  }
  return { backend: 'tensorflow', ok: false, reason: reasons.join('; ') };
}

/**
 * Gives Node a `navigator.gpu` from the `webgpu` package (Dawn) when it is installed. Must run
 * before `@tensorflow/tfjs-backend-webgpu` is evaluated: that backend registers itself only if
 * `navigator.gpu` exists at import time.
 */
export async function installNodeWebGpu(): Promise<boolean> {
  const g = globalThis as Record<string, unknown> & { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu) return true;
  const webgpu = (await importOptional('webgpu')) as { create: (opts: string[]) => unknown; globals: object };
  const gpu = webgpu.create([]);
  Object.assign(globalThis, webgpu.globals);
  if (g.navigator) {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  return true;
}

async function tryWebGpu(): Promise<BackendAttempt> {
  try {
    if (isNode) {
      try {
        await installNodeWebGpu();
      } catch (e) {
        return { backend: 'webgpu', ok: false, reason: `the 'webgpu' package is not usable: ${/Cannot find/.test(message(e)) ? 'not installed' : message(e)}` };
      }
    }
    const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
    if (!gpu) return { backend: 'webgpu', ok: false, reason: 'navigator.gpu is absent' };
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { backend: 'webgpu', ok: false, reason: 'navigator.gpu gave no adapter' };
    await importOptional('@tensorflow/tfjs-backend-webgpu');
    if (await trySet('webgpu')) return { backend: 'webgpu', ok: true, reason: 'a WebGPU adapter is available' };
    return { backend: 'webgpu', ok: false, reason: 'the webgpu backend did not initialise' };
  } catch (e) {
    return { backend: 'webgpu', ok: false, reason: /Cannot find/.test(message(e)) ? '@tensorflow/tfjs-backend-webgpu is not installed' : message(e) };
  }
}

async function tryWasm(opts: InitBackendOptions): Promise<BackendAttempt> {
  try {
    if (opts.wasmPaths) {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(opts.wasmPaths);
    }
    if (await trySet('wasm')) return { backend: 'wasm', ok: true, reason: 'WebAssembly (XNNPACK) is available' };
    return { backend: 'wasm', ok: false, reason: 'the wasm backend did not initialise' };
  } catch (e) {
    return { backend: 'wasm', ok: false, reason: message(e) };
  }
}

async function tryCpu(): Promise<BackendAttempt> {
  return (await trySet('cpu'))
    ? { backend: 'cpu', ok: true, reason: 'the plain JavaScript backend always works' }
    : { backend: 'cpu', ok: false, reason: 'the cpu backend did not initialise' };
}

/**
 * Sets up a tfjs backend and says what it chose and why.
 *
 * `'auto'` takes, in this order, the first that works: tfjs-node-gpu or tfjs-node when the user
 * has one installed (optional extras, not installed by @tpfr), WebGPU (browsers:
 * `navigator.gpu`; Node: the optional `webgpu` package with an adapter, plus
 * `@tensorflow/tfjs-backend-webgpu`), wasm, cpu. A named backend is set up or a
 * {@link BackendError} is thrown with the reason.
 */
export async function initBackend(request: 'auto' | BackendName = 'auto', opts: InitBackendOptions = {}): Promise<BackendChoice> {
  const tries: Record<BackendName, () => Promise<BackendAttempt>> = {
    tensorflow: tryTensorflow,
    webgpu: tryWebGpu,
    wasm: () => tryWasm(opts),
    cpu: tryCpu,
  };
  const order: BackendName[] = request === 'auto' ? ['tensorflow', 'webgpu', 'wasm', 'cpu'] : [request];
  if (request !== 'auto' && !(request in tries)) {
    throw new BackendError('initBackend', `expected 'auto', 'tensorflow', 'webgpu', 'wasm' or 'cpu', received '${String(request)}'`);
  }
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    const attempt = await tries[name]();
    attempts.push(attempt);
    if (attempt.ok) {
      const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.backend}: ${a.reason}`);
      const reason = request === 'auto'
        ? `${name}: ${attempt.reason}${skipped.length ? ` (skipped ${skipped.join('; ')})` : ''}`
        : `${name} was requested: ${attempt.reason}`;
      return { backend: tf.getBackend(), reason, attempts };
    }
  }
  throw new BackendError('initBackend', `could not set up '${request}': ${attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ')}`);
}
