/**
 * `pnpm bench:train`: one training step of the tiny preset at 64×64 (`--batch N`, default 1), on wasm and on the
 * pure-JS cpu backend, in one run (same machine, same moment: compare the ratio, not the times).
 * wasm: median of 5 steps after one warm-up step; cpu: the second of two steps (each takes about
 * a minute on a 2-core machine). Prints one JSON line:
 * {"bench":"train","preset":"tiny","size":64,"batch":1,"msWasm":…,"msCpu":…,"speedupWasmOverCpu":…,"partsWasm":{…}}
 *
 * `pnpm bench:train --backend webgpu [--preset paper] [--size 256]`: steps per second on that
 * backend instead (the paper preset at 256² by default; `trainStepAsync`, as WebGPU has no
 * synchronous read in Node), median of 3 steps after a warm-up step:
 * {"bench":"train","backend":"webgpu","preset":"paper","size":256,"batch":1,"msPerStep":…,"stepsPerSecond":…,"parts":{…}}
 * (`--steps N` measured steps after the warm-up, default 3; `--recompute` recomputes the networks'
 * activations block by block in the backward pass, the trainer's `recompute`, and adds `"recompute":true`;
 * `--memory` runs one more step under `tf.profile`, untimed, and adds its peak of tensor bytes,
 * `estimateTrainStepMemory`'s estimate and the process's peak RSS: `"peakMiB"`, `"estimateMiB"`,
 * `"peakRssMiB"`.)
 *
 * `parts` (and `partsWasm`): the median milliseconds of each part of a step (the trainer's timed
 * parts): `forward` (the three updates' forward passes), `auxGradients`, `mainGradients`,
 * `discGradients` (each update's backward pass, its forward taken out) and `optimizer` (the three
 * Adam updates); what is left (`other`: sampling the batch, the image history, reading the losses).
 * On WebGPU the parts measure dispatch, not the GPU's work (ops are queued).
 * `--record [FILE]` (and `--source TEXT`) also appends each JSON line to `docs/benchmarks/results.jsonl`
 * (or FILE) with the date, the machine, the command and the source (record.ts); stdout is unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../packages/core/src/index.ts';
import { collectTimings } from '../../packages/core/src/utils/index.ts';
import { createSyntheticDataset } from '../../packages/models/src/data/index.ts';
import { TpfrTrainer } from '../../packages/models/src/train/index.ts';
import { printLine } from './record.ts';

/** One step's time and its parts (see the header), in milliseconds. */
interface StepTiming {
  ms: number;
  parts: Record<string, number>;
}

/** A step's named parts from the trainer's timed parts (backward = gradients − forward). */
function stepParts(ms: number, raw: Record<string, number>): Record<string, number> {
  const get = (k: string) => raw[k] ?? 0;
  const updates = ['aux', 'main', 'disc', 'warmup-aux', 'warmup-main'];
  const forward = updates.reduce((a, u) => a + get(`train/${u}/forward`), 0);
  const backward = (u: string) => get(`train/${u}/gradients`) - get(`train/${u}/forward`);
  const parts: Record<string, number> = {
    forward,
    auxGradients: backward('aux') + backward('warmup-aux'),
    mainGradients: backward('main') + backward('warmup-main'),
    discGradients: backward('disc'),
    optimizer: get('train/optimizer'),
  };
  parts.other = ms - Object.values(parts).reduce((a, b) => a + b, 0);
  return parts;
}

async function timedStep(trainer: TpfrTrainer): Promise<StepTiming> {
  const { result, parts } = await collectTimings(() => trainer.trainStepAsync());
  return { ms: result.ms, parts: stepParts(result.ms, parts) };
}

async function stepTimes(backend: 'wasm' | 'cpu', steps: number, batchSize: number): Promise<StepTiming[]> {
  await initBackend(backend);
  const model = TpfrTrainer.createModel('tiny', 1);
  const trainer = new TpfrTrainer(model, createSyntheticDataset({ size: 64, seed: 1 }), { steps, seed: 1, batchSize });
  const times: StepTiming[] = [];
  for (let i = 0; i < steps; i++) {
    times.push(await timedStep(trainer));
    process.stderr.write(`${backend} step ${i + 1}/${steps}: ${times[i].ms.toFixed(0)} ms\n`);
  }
  trainer.dispose();
  model.dispose();
  return times;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** The median of each part over the steps, rounded to the millisecond. */
const medianParts = (ts: StepTiming[]) =>
  Object.fromEntries(Object.keys(ts[0].parts).map((k) => [k, Math.round(median(ts.map((t) => t.parts[k])))]));
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const positive = (name: string, fallback: number) => {
  const v = Number(arg(name) ?? fallback);
  if (!(Number.isInteger(v) && v >= 1)) {
    process.stderr.write(`bench:train: ${name} expected a positive integer, received '${arg(name)}'\n`);
    process.exit(2);
  }
  return v;
};
const batch = positive('--batch', 1);
const backend = arg('--backend');
if (backend) {
  const preset = (arg('--preset') ?? 'paper') as 'paper' | 'tiny';
  const size = positive('--size', 256);
  const measured = positive('--steps', 3);
  const recompute = process.argv.includes('--recompute');
  const memory = process.argv.includes('--memory');
  await initBackend(backend as Parameters<typeof initBackend>[0]);
  const model = TpfrTrainer.createModel(preset, 1);
  const trainer = new TpfrTrainer(model, createSyntheticDataset({ size, seed: 1 }), {
    steps: measured + (memory ? 2 : 1),
    seed: 1,
    warmupSteps: 0,
    batchSize: batch,
    recompute,
  });
  const times: StepTiming[] = [];
  for (let i = 0; i <= measured; i++) {
    times.push(await timedStep(trainer));
    process.stderr.write(`${backend} step ${i + 1}/${measured + 1}: ${times[i].ms.toFixed(0)} ms\n`);
  }
  const mib = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);
  let memoryFields = {};
  if (memory) {
    const info = await tf.profile(async () => {
      await trainer.trainStepAsync();
    });
    memoryFields = {
      peakMiB: mib(info.peakBytes),
      estimateMiB: mib(trainer.estimateStepMemory().peakBytes),
      peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
    };
  }
  trainer.dispose();
  model.dispose();
  const ms = median(times.slice(1).map((t) => t.ms));
  printLine(
    JSON.stringify({
      bench: 'train',
      backend,
      preset,
      size,
      batch,
      ...(recompute ? { recompute } : {}),
      msPerStep: Math.round(ms),
      stepsPerSecond: +(1000 / ms).toFixed(3),
      parts: medianParts(times.slice(1)),
      ...memoryFields,
    }),
  );
  process.exit(0);
}
const wasmTimes = (await stepTimes('wasm', 6, batch)).slice(1);
const wasm = median(wasmTimes.map((t) => t.ms));
const cpu = (await stepTimes('cpu', 2, batch))[1].ms;
console.log(`tiny preset, 64×64, batch ${batch}: wasm ${wasm.toFixed(0)} ms/step, cpu ${cpu.toFixed(0)} ms/step`);
printLine(
  JSON.stringify({
    bench: 'train',
    preset: 'tiny',
    size: 64,
    batch,
    msWasm: Math.round(wasm),
    msCpu: Math.round(cpu),
    speedupWasmOverCpu: +(cpu / wasm).toFixed(1),
    partsWasm: medianParts(wasmTimes),
  }),
);
