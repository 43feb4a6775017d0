/**
 * The wasm backend on several threads in Node. tfjs-backend-wasm 4.22 ships a threaded SIMD
 * build but never starts it in Node: it hands Emscripten its pthread worker and main script as
 * `blob:` URLs, which Node's `worker_threads` refuse (tensorflow/tfjs#3830). Here the same build
 * is started with both written to files (once per process, in the OS temporary folder) and
 * registered as the `wasm` backend, so XNNPACK's convolutions and matrix products run on several
 * threads. Results are those of the single-threaded build (each thread computes its own
 * outputs). Node only; reached through imports by name, so bundles for browsers never see it.
 */
import * as tf from '@tensorflow/tfjs-core';

type Factory = (config: Record<string, unknown>) => Promise<WasmModule>;
interface WasmModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  tfjs?: Record<string, unknown>;
}

const WASM_OUT = '@tensorflow/tfjs-backend-wasm/wasm-out';
interface RegisteredFactory {
  factory: () => tf.KernelBackend | Promise<tf.KernelBackend>;
  priority: number;
}
let original: RegisteredFactory | undefined;
let current: number | undefined;

async function importByName(name: string): Promise<unknown> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ name);
}

/** The threads the backend runs on when none are asked for: `TPFR_WASM_THREADS`, else every core. */
export async function defaultWasmThreads(): Promise<number> {
  const env = Number(process.env.TPFR_WASM_THREADS);
  if (Number.isInteger(env) && env >= 1) return env;
  const os = (await importByName('node:os')) as typeof import('node:os');
  return os.availableParallelism?.() ?? os.cpus().length;
}

/**
 * Registers the threaded wasm build as the `wasm` backend with `threads` threads (the backend in
 * use is replaced: tensors on it are lost). `threads` = 1 registers tfjs' own single-threaded
 * build again. Does nothing when that many threads are already registered.
 */
export async function useNodeWasmThreads(threads: number): Promise<void> {
  // tfjs' own registration is the single-threaded build: nothing to replace (nor to lose).
  if ((current ?? 1) === threads) {
    current = threads;
    return;
  }
  const wasm = (await importByName('@tensorflow/tfjs-backend-wasm')) as typeof import('@tensorflow/tfjs-backend-wasm');
  // tfjs' own factory (the single-threaded SIMD build), kept to come back to.
  const registry = (tf.engine() as unknown as { registryFactory: Record<string, RegisteredFactory | undefined> }).registryFactory;
  original ??= registry.wasm;
  if (!original)
    throw new Error('useNodeWasmThreads: expected the wasm backend registered by @tensorflow/tfjs-backend-wasm, received none');
  if (registry.wasm) tf.removeBackend('wasm');
  if (threads === 1) {
    tf.registerBackend('wasm', original.factory, original.priority);
    current = 1;
    return;
  }
  const fs = (await importByName('node:fs')) as typeof import('node:fs');
  const os = (await importByName('node:os')) as typeof import('node:os');
  const path = (await importByName('node:path')) as typeof import('node:path');
  const factoryModule = (await importByName(`${WASM_OUT}/tfjs-backend-wasm-threaded-simd.js`)) as { default: Factory };
  const workerModule = (await importByName(`${WASM_OUT}/tfjs-backend-wasm-threaded-simd.worker.js`)) as {
    default: { wasmWorkerContents: string };
  };
  const factory = factoryModule.default;
  // Once per process: the pthread worker (its "\n" escapes kept, as tfjs does for its blob) and
  // the main script the workers load.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpfr-wasm-threads-'));
  const workerFile = path.join(dir, 'worker.js');
  const mainFile = path.join(dir, 'main.js');
  fs.writeFileSync(workerFile, workerModule.default.wasmWorkerContents.replace(/\n/g, '\\n'));
  fs.writeFileSync(mainFile, `var WasmBackendModuleThreadedSimd = ${factory.toString()}`);
  wasm.setThreadsCount(threads);
  tf.registerBackend(
    'wasm',
    async () => {
      // Where the build looks for its .wasm (it asks locateFile before instantiating).
      let wasmFile = '';
      const module = await factory({
        locateFile: (file: string, prefix: string) => {
          if (file.endsWith('.worker.js')) return workerFile;
          if (file.endsWith('.wasm')) wasmFile = prefix + file;
          return prefix + file;
        },
        mainScriptUrlOrBlob: mainFile,
        // The build caps its threads at half the logical cores it is told of (it assumes two
        // hyper-threads per core), so a 2-core machine got one thread whatever was asked. It is
        // told of 2·threads cores: it then runs the threads asked for (up to its 8 workers).
        instantiateWasm: (
          info: { env: Record<string, unknown> },
          receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
        ) => {
          info.env.emscripten_num_logical_cores = () => 2 * threads;
          void WebAssembly.instantiate(fs.readFileSync(wasmFile), info as unknown as WebAssembly.Imports).then((r) =>
            receive(r.instance, r.module),
          );
          return {};
        },
      });
      module.tfjs = {
        init: module.cwrap('init', null, []),
        initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: module.cwrap('get_threads_count', 'number', []),
        registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: module.cwrap('dispose_data', null, ['number']),
        dispose: module.cwrap('dispose', null, []),
      };
      const backend = new wasm.BackendWasm(module as never);
      // XNNPACK's threads must not keep the process alive: a script that is done exits (Emscripten
      // leaves its pthreads' workers referenced in Node).
      const pthreads = (module as { PThread?: { runningWorkers?: { unref?: () => void }[]; unusedWorkers?: { unref?: () => void }[] } })
        .PThread;
      for (const w of [...(pthreads?.runningWorkers ?? []), ...(pthreads?.unusedWorkers ?? [])]) w.unref?.();
      return backend;
    },
    original.priority,
  );
  current = threads;
}

/** The threads of the registered wasm backend in Node (1 until {@link useNodeWasmThreads} runs). */
export function nodeWasmThreads(): number {
  return current ?? 1;
}
