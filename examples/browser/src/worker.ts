/// <reference lib="webworker" />
/**
 * The page's worker: all tfjs work runs here, so the page stays responsive. The backend is chosen
 * once (`init`); the optional GPU backends are separate chunks, fetched only when tried. Cancel
 * is `worker.terminate()` from the page (a new worker is started), which stops even a long
 * chain of GPU kernels at once.
 */
import { initBackend, type InitBackendOptions } from '@tpfr/core';
import { TpfrModel } from '@tpfr/models';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import plainWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { checkKernels } from './checks.js';
import { JOB_STEPS, stylizeJob, type StillJob } from './job.js';
import type { FromWorker, ModelAbout, ToWorker } from './protocol.js';

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m, transfer);
let model: TpfrModel | undefined;
/** The last stylization, kept for the strength slider (restyle). */
let still: StillJob | undefined;

const backendOptions: InitBackendOptions = {
  wasmPaths: {
    'tfjs-backend-wasm.wasm': plainWasm,
    'tfjs-backend-wasm-simd.wasm': simdWasm,
    'tfjs-backend-wasm-threaded-simd.wasm': threadedWasm,
  },
  load: {
    webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
    webgl: () => import('@tensorflow/tfjs-backend-webgl'),
  },
};

async function handle(msg: ToWorker): Promise<void> {
  if (msg.type === 'init') {
    const t0 = performance.now();
    const choice = await initBackend(msg.backend, backendOptions);
    const [loaded, about] = await Promise.all([
      TpfrModel.load(new URL('model.json', msg.modelUrl).href),
      fetch(new URL('about.json', msg.modelUrl)).then((r) =>
        r.ok ? (r.json() as Promise<ModelAbout>) : { source: 'seeded' as const, description: 'no about.json next to the model' },
      ),
    ]);
    model = loaded;
    if (choice.backend === 'wasm') {
      const threads = getThreadsCount();
      choice.reason +=
        threads > 1
          ? ` (${threads} threads)`
          : crossOriginIsolated
            ? ' (1 thread)'
            : ' (1 thread: the page is not cross-origin isolated, so no SharedArrayBuffer)';
    }
    post({ type: 'ready', choice, about, config: { ...model.config }, loadMs: performance.now() - t0 });
    return;
  }
  if (!model) throw new Error('the model is not loaded yet');
  if (msg.type === 'check') {
    post({ type: 'checked', id: msg.id, report: await checkKernels() });
    return;
  }
  if (msg.type === 'restyle') {
    if (!still) throw new Error('restyle: expected a stylization first, received none (press Stylize)');
    const { output, ms } = await still.restyle(msg.strength);
    post({ type: 'restyled', id: msg.id, strength: msg.strength, output, ms }, [output.buffer]);
    return;
  }
  const t0 = performance.now();
  const job = await stylizeJob(model, msg.content, msg.styles, {
    size: msg.size,
    controls: msg.controls,
    onProgress: async (step, name) => {
      post({ type: 'progress', id: msg.id, step, steps: JOB_STEPS.length, name });
      await new Promise((r) => setTimeout(r, 0));
    },
  });
  still?.dispose();
  still = job;
  post({ type: 'result', id: msg.id, result: job.result, totalMs: performance.now() - t0 }, [job.result.output.buffer]);
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  handle(e.data).catch((err: unknown) =>
    post({ type: 'error', id: 'id' in e.data ? e.data.id : undefined, message: err instanceof Error ? err.message : String(err) }),
  );
};
