/**
 * The GPU run (`pnpm bench:gpu`; bundled into one file for the lent GPU machine, see
 * docs/guides/gpu-run.md): everything measured in one process on WebGPU (Dawn in Node, through the
 * `webgpu` package), one JSON line per measurement:
 * - `{"bench":"gpu","what":"adapter",…}`: the backend and the adapter's description;
 * - `what: "stylize"`: `stylize` of the paper preset (seeded random weights) at 512², 1024², 2048²,
 *   4096² (style 512²; 512² twice, 1024² twice), `ms` each call with the result read back;
 * - `what: "frames"`: the frame stylizer (exemplars encoded once, coherence off) at 256² and 512²:
 *   `msPerFrame`, `restyleMs` (a strength move: one decoding);
 * - `what: "layer"`: the two-stage TPFR layer (256/512 channels, k = 5) at latent 128² and 256²;
 * - `what: "train"`: training steps per second of the paper preset at 256², batch 1;
 * - `{"bench":"gpu","what":"done","totalMs":…}` last.
 * Cheap measurements first, the largest last. A measurement that fails prints its line with
 * `error` and the run goes on; once the time budget (`--budget-s`, default 420) is spent, what is
 * left prints `skipped`. `--smoke`: the same at tiny sizes with the tiny preset, for SwiftShader on
 * a CPU machine (the test). `--only stylize,frames,layer,train` runs some kinds only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tpfr/core';
import { TpfrTrainer } from '@tpfr/models/train';
import { describeError, guarded, printGpuLine, RunBudget } from './guard.ts';
import { measureFrames, measureLayer, measureStylize, measureTraining, type GpuPreset } from './measurements.ts';

/** Sizes and counts of one run. */
export interface GpuRunPlan {
  preset: GpuPreset;
  /** Content sizes of `stylize`, with their style size and number of calls. */
  stylize: { size: number; styleSize: number; calls: number }[];
  frames: { size: number; frames: number }[];
  layer: { L: number; calls: number }[];
  train: { size: number; steps: number };
}

/** The full run (the GPU machine) and the smoke run (SwiftShader: the same code at tiny sizes). */
export const GPU_RUN_PLANS: Record<'full' | 'smoke', GpuRunPlan> = {
  full: {
    preset: 'paper',
    stylize: [
      { size: 512, styleSize: 512, calls: 2 },
      { size: 1024, styleSize: 512, calls: 2 },
      { size: 2048, styleSize: 512, calls: 1 },
      { size: 4096, styleSize: 512, calls: 1 },
    ],
    frames: [
      { size: 256, frames: 6 },
      { size: 512, frames: 6 },
    ],
    layer: [
      { L: 128, calls: 2 },
      { L: 256, calls: 1 },
    ],
    train: { size: 256, steps: 4 },
  },
  smoke: {
    preset: 'tiny',
    stylize: [{ size: 32, styleSize: 32, calls: 1 }],
    frames: [{ size: 32, frames: 2 }],
    layer: [{ L: 4, calls: 1 }],
    train: { size: 32, steps: 1 },
  },
};

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

async function run(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const plan = GPU_RUN_PLANS[smoke ? 'smoke' : 'full'];
  const budget = new RunBudget(Number(arg('--budget-s') ?? (smoke ? 120 : 420)) * 1000);
  const only = new Set((arg('--only') ?? 'stylize,frames,layer,train').split(','));
  // A hard stop a minute after the budget, should a measurement never come back.
  setTimeout(() => {
    printGpuLine('done', { totalMs: Math.round(budget.elapsedMs()), error: 'stopped: the time budget was passed by a minute' });
    process.exit(3);
  }, budget.budgetMs + 60_000).unref();

  let reason: string;
  try {
    reason = (await initBackend('webgpu', { load: { webgpu: () => import('@tensorflow/tfjs-backend-webgpu') } })).reason;
  } catch (e) {
    reason = describeError(e);
  }
  const adapter = tf.getBackend() === 'webgpu' ? ((tf.backend() as { adapterInfo?: unknown }).adapterInfo ?? null) : null;
  printGpuLine('adapter', { backend: tf.getBackend() ?? null, smoke, preset: plan.preset, adapter, reason });
  if (tf.getBackend() !== 'webgpu') {
    printGpuLine('done', { totalMs: Math.round(budget.elapsedMs()), error: 'no WebGPU backend' });
    process.exit(2);
  }
  const model = TpfrTrainer.createModel(plan.preset, 1);
  const small = plan.stylize.filter((s) => s.size <= 1024);
  const large = plan.stylize.filter((s) => s.size > 1024);
  const stylizeCases = async (cases: GpuRunPlan['stylize']) => {
    for (const { size, styleSize, calls } of cases)
      await guarded(budget, 'stylize', { preset: plan.preset, size, styleSize }, () => measureStylize(model, size, styleSize, calls));
  };
  if (only.has('stylize')) await stylizeCases(small);
  if (only.has('frames'))
    for (const { size, frames } of plan.frames)
      await guarded(budget, 'frames', { preset: plan.preset, size }, () => measureFrames(model, size, frames));
  if (only.has('layer')) for (const { L, calls } of plan.layer) await guarded(budget, 'layer', { L }, () => measureLayer(L, calls));
  if (only.has('train'))
    await guarded(budget, 'train', { preset: plan.preset, size: plan.train.size, batch: 1 }, () =>
      measureTraining(plan.preset, plan.train.size, plan.train.steps),
    );
  if (only.has('stylize')) await stylizeCases(large);
  model.dispose();
  printGpuLine('done', { totalMs: Math.round(budget.elapsedMs()) });
}

await run();
// Dawn keeps Node alive while a GPU object is referenced.
process.exit(0);
