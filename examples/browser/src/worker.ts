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
import { handleLive, isLiveMessage, stopLive } from './live-worker.js';
import { importModelFiles } from './model-import.js';
import type { ModelInfo } from './model-info.js';
import { forgetModel, storedModel, storeModel } from './model-store.js';
import type { FromWorker, ModelAbout, ToWorker } from './protocol.js';

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m, transfer);
let model: TpfrModel | undefined;
/** What runs, as the page says it. */
let info: ModelInfo | undefined;
let modelUrl = '';
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

/** Frees what used the previous model (the still result, the live session) and the model itself. */
function replaceModel(next: TpfrModel): void {
  stopLive();
  still?.dispose();
  still = undefined;
  model?.dispose();
  model = next;
}

/** Loads the page's own model folder (served next to it). */
async function loadServed(): Promise<void> {
  const t0 = performance.now();
  const [loaded, about] = await Promise.all([
    TpfrModel.load(new URL('model.json', modelUrl).href),
    fetch(new URL('about.json', modelUrl)).then((r) =>
      r.ok ? (r.json() as Promise<ModelAbout>) : { source: 'seeded' as const, description: 'no about.json next to the model' },
    ),
  ]);
  replaceModel(loaded);
  info = {
    source: 'served',
    name: about.description,
    ngf: Number(loaded.config.ngf),
    parameters: loaded.generatorParameterCount(),
    importMs: performance.now() - t0,
    fromStorage: false,
    stored: false,
  };
}

async function handle(msg: ToWorker): Promise<void> {
  if (msg.type === 'init') {
    const t0 = performance.now();
    const choice = await initBackend(msg.backend, backendOptions);
    if (choice.backend === 'wasm') {
      const threads = getThreadsCount();
      choice.reason +=
        threads > 1
          ? ` (${threads} threads)`
          : crossOriginIsolated
            ? ' (1 thread)'
            : ' (1 thread: the page is not cross-origin isolated, so no SharedArrayBuffer)';
    }
    modelUrl = msg.modelUrl;
    // The model kept from an earlier visit, else (or when it no longer imports) the page's own.
    let note = '';
    const kept = await storedModel().catch(() => null);
    if (kept) {
      try {
        const imported = await importModelFiles(kept.files, true);
        model = imported.model;
        info = { ...imported.info, stored: true };
      } catch (e) {
        note = `The model kept from an earlier visit (${kept.info.name}) could not be imported again and was forgotten: ${(e as Error).message}`;
        await forgetModel().catch(() => {});
      }
    }
    if (!model) await loadServed();
    post({
      type: 'ready',
      choice,
      model: info!,
      config: { ...model!.config },
      multiple: model!.widths.multiple,
      loadMs: performance.now() - t0,
      note,
    });
    return;
  }
  if (msg.type === 'import') {
    if (!model) throw new Error('the model is not loaded yet');
    const imported = await importModelFiles(msg.files);
    replaceModel(imported.model);
    info = imported.info;
    try {
      await storeModel(msg.files, info);
      info = { ...info, stored: true };
    } catch (e) {
      info = { ...info, stored: false };
      post({ type: 'model', id: msg.id, info, note: `It could not be kept for the next visit: ${(e as Error).message}` });
      return;
    }
    post({ type: 'model', id: msg.id, info });
    return;
  }
  if (msg.type === 'forget') {
    await forgetModel();
    if (info?.source !== 'served') await loadServed();
    post({ type: 'model', id: msg.id, info: info! });
    return;
  }
  if (!model) throw new Error('the model is not loaded yet');
  if (isLiveMessage(msg)) {
    await handleLive(msg, model, post);
    return;
  }
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

/** Messages are handled one after another, in order (a stop never overtakes the frame before it). */
let queue: Promise<void> = Promise.resolve();
self.onmessage = (e: MessageEvent<ToWorker>) => {
  queue = queue.then(() =>
    handle(e.data).catch((err: unknown) =>
      post({ type: 'error', id: 'id' in e.data ? e.data.id : undefined, message: err instanceof Error ? err.message : String(err) }),
    ),
  );
};
