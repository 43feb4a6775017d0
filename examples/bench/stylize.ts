/**
 * `pnpm bench:stylize [--quick] [--sizes 256,512] [--backend webgpu]`: `stylize` with the paper
 * preset (seeded random weights) on wasm (or `--backend`: webgpu through the optional `webgpu`
 * package in Node, tensorflow with tfjs-node) for content/style 256²/256², 512²/512², 1024²/512²,
 * 2048²/512² and, with `--sizes 4096`, 4096²/512²; `--quick` runs the first only, `--sizes` the
 * named content sizes. Each case runs in a child process of its
 * own and reports the process's peak RSS (which includes the wasm heap) and the milliseconds of
 * each part (`timed` parts of `@tpfr/core/utils`: the pipeline's resize, both encodings, each
 * stage's attention transforms, neighbour search and attention, the rest of the recombination,
 * the decoder). One JSON line per case:
 * {"bench":"stylize","preset":"paper","size":…,"styleSize":…,"ms":…,"peakRssMiB":…,"parts":{…},"gflop":{…},"gflops":{…},"bestConv3x3Gflops":…}
 * `gflop`: the work of each of the parts "encode content and exemplars" (one batch, where their
 * sizes agree) or "encode content" and "encode exemplars", "neighbour search"
 * (both stages), "attention and transforms" (both stages: the transforms, the scores, the
 * attention) and "decode", counted from the model's layers (flops.ts: a multiply-add is 2 FLOP;
 * convolutions counted as direct ones, so a fast algorithm such as Winograd shows as a higher
 * rate; the searches 2·Nq·Nk·C). `gflops`: that work over the part's time (GFLOP/s).
 * `bestConv3x3Gflops`: the backend's best rate on a plain 3×3 convolution [1, 64, 64, 256] → 256
 * measured in the same process after the call (5 runs after a warm-up, the fastest): the ceiling
 * to compare each part's rate with.
 * `--record [FILE]` (and `--source TEXT`) also appends each JSON line to `docs/benchmarks/results.jsonl`
 * (or FILE) with the date, the machine, the command and the source (record.ts); stdout is unchanged.
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../packages/core/src/index.ts';
import { collectTimings } from '../../packages/core/src/utils/index.ts';
import { stylize } from '../../packages/models/src/index.ts';
import { TpfrTrainer } from '../../packages/models/src/train/index.ts';
import { childJsonLines } from './child.ts';
import { printLine } from './record.ts';
import { bestConv3x3Gflops, ranWork, stylizeWork, workPartMs, workRates } from './stylize-work.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

async function child(size: number, styleSize: number, backend: string): Promise<void> {
  await initBackend(backend as Parameters<typeof initBackend>[0]);
  const model = TpfrTrainer.createModel('paper', 1);
  const content = tf.randomUniform([size, size, 3], 0, 255, 'float32', 1) as tf.Tensor3D;
  const style = tf.randomUniform([styleSize, styleSize, 3], 0, 255, 'float32', 2) as tf.Tensor3D;
  const t0 = performance.now();
  const { result: out, parts } = await collectTimings(async () => {
    // range: explicit, as WebGPU cannot look at the values synchronously.
    const y = stylize(model, content, style, { range: '0-255' });
    await y.data();
    return y;
  });
  const ms = performance.now() - t0;
  out.dispose();
  const peakRssMiB = (process.resourceUsage().maxRSS * 1024) / 2 ** 20;
  // The recombination's own parts, and what it spends outside them (slices, stacking, bands).
  const stages = Object.entries(parts).filter(([k]) => k.startsWith('stage '));
  const rest = (parts.recombine ?? 0) - stages.reduce((a, [, v]) => a + v, 0);
  const named = Object.fromEntries(
    [...Object.entries(parts).filter(([k]) => k !== 'recombine'), ['recombine: other', rest]].map(([k, v]) => [k, Math.round(v as number)]),
  );
  named['other (checks, conversions, crop)'] = Math.round(
    ms -
      Object.entries(parts)
        .filter(([k]) => !k.startsWith('stage '))
        .reduce((a, [, v]) => a + v, 0),
  );
  const partMs = workPartMs(parts);
  const gflop = ranWork(stylizeWork(model, size, styleSize), partMs);
  const gflops = workRates(gflop, partMs);
  const conv = await bestConv3x3Gflops();
  console.log(
    JSON.stringify({
      bench: 'stylize',
      preset: 'paper',
      backend: tf.getBackend(),
      size,
      styleSize,
      ms: Math.round(ms),
      peakRssMiB: Math.round(peakRssMiB),
      parts: named,
      gflop,
      gflops,
      bestConv3x3Gflops: conv,
    }),
  );
}

async function main(): Promise<void> {
  const c = arg('--child');
  if (c) {
    const [size, styleSize] = c.split('x').map(Number);
    return child(size, styleSize, arg('--backend') ?? 'wasm');
  }
  const all = [
    [256, 256],
    [512, 512],
    [1024, 512],
    [2048, 512],
    [4096, 512],
  ];
  const sizes = arg('--sizes')?.split(',').map(Number);
  const cases = process.argv.includes('--quick') ? all.slice(0, 1) : sizes ? all.filter(([s]) => sizes.includes(s)) : all.slice(0, 4);
  const self = fileURLToPath(import.meta.url);
  for (const [size, styleSize] of cases) {
    const backend = arg('--backend');
    printLine(childJsonLines(self, ['--child', `${size}x${styleSize}`, ...(backend ? ['--backend', backend] : [])]).pop()!);
  }
}

await main();
