import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { BackendError } from './errors.js';
import { prepareSimdKernels } from './wasm-simd-module.js';

/** Backends {@link initBackend} knows. `'tensorflow'` is tfjs-node(-gpu)'s backend; `'webgl'` runs in browsers only. */
export type BackendName = 'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** The backends whose package {@link InitBackendOptions.load} can import. */
export type LoadableBackend = 'webgpu' | 'webgl';

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
  /**
   * For wasm in a browser: where the `.wasm` files are served, a folder URL ending in `/` or the
   * URL of each file by name (see `setWasmPaths` of `@tensorflow/tfjs-backend-wasm`).
   */
  wasmPaths?:
    | string
    | Partial<Record<'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm', string>>;
  /**
   * Imports of the optional backend packages, for bundled apps. Without them `initBackend` imports
   * `@tensorflow/tfjs-backend-webgpu` / `-webgl` by name at run time, which works in Node but not
   * in a bundle; written in your code, the bundler sees each `import()` and makes it a chunk that
   * is fetched only when that backend is tried:
   * `initBackend('auto', { load: { webgpu: () => import('@tensorflow/tfjs-backend-webgpu'), webgl: () => import('@tensorflow/tfjs-backend-webgl') } })`.
   */
  load?: Partial<Record<LoadableBackend, () => Promise<unknown>>>;
  /**
   * For wasm in Node: XNNPACK's threads (default: `TPFR_WASM_THREADS`, else every
   * core). Above 1, tfjs' threaded SIMD build is started (tfjs itself runs one thread in Node);
   * 1 keeps its single-threaded build. Results are the same either way. In browsers tfjs chooses
   * (threads when the page is cross-origin isolated).
   */
  threads?: number;
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

async function tryWebGpu(opts: InitBackendOptions): Promise<BackendAttempt> {
  try {
    if (isNode) {
      try {
        await installNodeWebGpu();
      } catch (e) {
        return {
          backend: 'webgpu',
          ok: false,
          reason: `the 'webgpu' package is not usable: ${/Cannot find/.test(message(e)) ? 'not installed' : message(e)}`,
        };
      }
    }
    const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
    if (!gpu) return { backend: 'webgpu', ok: false, reason: 'navigator.gpu is absent' };
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { backend: 'webgpu', ok: false, reason: 'navigator.gpu gave no adapter' };
    await (opts.load?.webgpu ?? (() => importOptional('@tensorflow/tfjs-backend-webgpu')))();
    if (await trySet('webgpu')) return { backend: 'webgpu', ok: true, reason: 'a WebGPU adapter is available' };
    return { backend: 'webgpu', ok: false, reason: 'the webgpu backend did not initialise' };
  } catch (e) {
    return {
      backend: 'webgpu',
      ok: false,
      reason: /Cannot find/.test(message(e)) ? '@tensorflow/tfjs-backend-webgpu is not installed' : message(e),
    };
  }
}

async function tryWebGl(opts: InitBackendOptions): Promise<BackendAttempt> {
  if (isNode) return { backend: 'webgl', ok: false, reason: 'not in a browser (WebGL needs a browser canvas)' };
  try {
    const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : undefined;
    if (canvas && !canvas.getContext('webgl2')) return { backend: 'webgl', ok: false, reason: 'no WebGL 2 context' };
    await (opts.load?.webgl ?? (() => importOptional('@tensorflow/tfjs-backend-webgl')))();
    if (await trySet('webgl')) return { backend: 'webgl', ok: true, reason: 'a WebGL 2 context is available' };
    return { backend: 'webgl', ok: false, reason: 'the webgl backend did not initialise' };
  } catch (e) {
    return {
      backend: 'webgl',
      ok: false,
      reason: /Cannot find|Failed to resolve/.test(message(e))
        ? '@tensorflow/tfjs-backend-webgl is not installed (or pass load.webgl)'
        : message(e),
    };
  }
}

/** The thread count of the active wasm backend's XNNPACK, when the build reports one. */
function wasmThreadCount(): number | undefined {
  const n = (tf.backend() as { wasm?: { tfjs?: { getThreadsCount?: () => number } } }).wasm?.tfjs?.getThreadsCount?.();
  return typeof n === 'number' && n >= 1 ? n : undefined;
}

async function tryWasm(opts: InitBackendOptions): Promise<BackendAttempt> {
  try {
    let asked: number | undefined;
    if (isNode) {
      const { defaultWasmThreads, useNodeWasmThreads } = await import('./wasm-threads.js');
      const n = opts.threads ?? (await defaultWasmThreads());
      if (!Number.isInteger(n) || n < 1) throw new BackendError('initBackend', `expected threads an integer >= 1, received ${String(n)}`);
      await useNodeWasmThreads(n);
      asked = n;
    }
    if (opts.wasmPaths) {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(opts.wasmPaths);
    }
    if (await trySet('wasm')) {
      // Our SIMD kernels' module, compiled now: browsers refuse to compile it synchronously.
      await prepareSimdKernels(tf.backend() as BackendWasm);
      // The threads XNNPACK really has (the build has 8 workers at most).
      const actual = asked === undefined ? undefined : wasmThreadCount();
      const threads =
        actual === undefined ? '' : ` on ${actual} thread${actual > 1 ? 's' : ''}${actual !== asked ? ` (${asked} asked for)` : ''}`;
      return { backend: 'wasm', ok: true, reason: `WebAssembly (XNNPACK) is available${threads}` };
    }
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
 * `@tensorflow/tfjs-backend-webgpu`), WebGL 2 (browsers, `@tensorflow/tfjs-backend-webgl`), wasm,
 * cpu. In a bundled app pass {@link InitBackendOptions.load} so the bundler sees the optional
 * packages. A named backend is set up or a
 * {@link BackendError} is thrown with the reason.
 */
export async function initBackend(request: 'auto' | BackendName = 'auto', opts: InitBackendOptions = {}): Promise<BackendChoice> {
  const tries: Record<BackendName, () => Promise<BackendAttempt>> = {
    tensorflow: tryTensorflow,
    webgpu: () => tryWebGpu(opts),
    webgl: () => tryWebGl(opts),
    wasm: () => tryWasm(opts),
    cpu: tryCpu,
  };
  const order: BackendName[] = request === 'auto' ? ['tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'] : [request];
  if (request !== 'auto' && !(request in tries)) {
    throw new BackendError(
      'initBackend',
      `expected 'auto', 'tensorflow', 'webgpu', 'webgl', 'wasm' or 'cpu', received '${String(request)}'`,
    );
  }
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    const attempt = await tries[name]();
    attempts.push(attempt);
    if (attempt.ok) {
      const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.backend}: ${a.reason}`);
      const reason =
        request === 'auto'
          ? `${name}: ${attempt.reason}${skipped.length ? ` (skipped ${skipped.join('; ')})` : ''}`
          : `${name} was requested: ${attempt.reason}`;
      return { backend: tf.getBackend(), reason, attempts };
    }
  }
  throw new BackendError('initBackend', `could not set up '${request}': ${attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ')}`);
}
