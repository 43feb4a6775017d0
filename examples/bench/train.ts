/**
 * `pnpm bench:train`: one training step of the tiny preset at 64×64, batch 1, on wasm and on the
 * pure-JS cpu backend, in one run (same machine, same moment: compare the ratio, not the times).
 * wasm: median of 5 steps after one warm-up step; cpu: the second of two steps (each takes about
 * a minute on a 2-core machine). Prints one JSON line:
 * {"bench":"train","msWasm":…,"msCpu":…,"speedupWasmOverCpu":…}
 *
 * `pnpm bench:train --backend webgpu [--preset paper] [--size 256]`: steps per second on that
 * backend instead (the paper preset at 256² by default; `trainStepAsync`, as WebGPU has no
 * synchronous read in Node), median of 3 steps after a warm-up step:
 * {"bench":"train","backend":"webgpu","preset":"paper","size":256,"msPerStep":…,"stepsPerSecond":…}
 * `--record [FILE]` (and `--source TEXT`) also appends each JSON line to `docs/benchmarks/results.jsonl`
 * (or FILE) with the date, the machine, the command and the source (record.ts); stdout is unchanged.
 */
import { initBackend } from '../../packages/core/src/index.ts';
import { createSyntheticDataset } from '../../packages/models/src/data/index.ts';
import { TpfrTrainer } from '../../packages/models/src/train/index.ts';
import { printLine } from './record.ts';

async function stepTimes(backend: 'wasm' | 'cpu', steps: number): Promise<number[]> {
  await initBackend(backend);
  const model = TpfrTrainer.createModel('tiny', 1);
  const trainer = new TpfrTrainer(model, createSyntheticDataset({ size: 64, seed: 1 }), { steps, seed: 1 });
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    times.push(trainer.trainStep().ms);
    process.stderr.write(`${backend} step ${i + 1}/${steps}: ${times[i].toFixed(0)} ms\n`);
  }
  trainer.dispose();
  model.dispose();
  return times;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const backend = arg('--backend');
if (backend) {
  const preset = (arg('--preset') ?? 'paper') as 'paper' | 'tiny';
  const size = Number(arg('--size') ?? 256);
  await initBackend(backend as Parameters<typeof initBackend>[0]);
  const model = TpfrTrainer.createModel(preset, 1);
  const trainer = new TpfrTrainer(model, createSyntheticDataset({ size, seed: 1 }), { steps: 4, seed: 1, warmupSteps: 0 });
  const times: number[] = [];
  for (let i = 0; i < 4; i++) {
    times.push((await trainer.trainStepAsync()).ms);
    process.stderr.write(`${backend} step ${i + 1}/4: ${times[i].toFixed(0)} ms\n`);
  }
  trainer.dispose();
  model.dispose();
  const ms = median(times.slice(1));
  printLine(
    JSON.stringify({ bench: 'train', backend, preset, size, batch: 1, msPerStep: Math.round(ms), stepsPerSecond: +(1000 / ms).toFixed(3) }),
  );
  process.exit(0);
}
const wasm = median((await stepTimes('wasm', 6)).slice(1));
const cpu = (await stepTimes('cpu', 2))[1];
console.log(`tiny preset, 64×64, batch 1: wasm ${wasm.toFixed(0)} ms/step, cpu ${cpu.toFixed(0)} ms/step`);
printLine(
  JSON.stringify({
    bench: 'train',
    preset: 'tiny',
    size: 64,
    batch: 1,
    msWasm: Math.round(wasm),
    msCpu: Math.round(cpu),
    speedupWasmOverCpu: +(cpu / wasm).toFixed(1),
  }),
);
