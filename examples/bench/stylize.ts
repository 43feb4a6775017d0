/**
 * `pnpm bench:stylize [--quick]`: `stylize` with the paper preset (random weights) on wasm for
 * content/style 256²/256², 512²/512² and 1024²/512²; `--quick` runs the first only. Each case runs
 * in a child process of its own and reports the process's peak RSS (which includes the wasm heap).
 * One JSON line per case:
 * {"bench":"stylize","preset":"paper","size":…,"styleSize":…,"ms":…,"peakRssMiB":…}
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../packages/core/src/index.ts';
import { stylize } from '../../packages/models/src/index.ts';
import { TpfrTrainer } from '../../packages/models/src/train/index.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

async function child(size: number, styleSize: number): Promise<void> {
  await initBackend('wasm');
  const model = TpfrTrainer.createModel('paper', 1);
  const content = tf.randomUniform([size, size, 3], 0, 255, 'float32', 1) as tf.Tensor3D;
  const style = tf.randomUniform([styleSize, styleSize, 3], 0, 255, 'float32', 2) as tf.Tensor3D;
  const t0 = performance.now();
  const out = stylize(model, content, style);
  await out.data();
  const ms = performance.now() - t0;
  const peakRssMiB = (process.resourceUsage().maxRSS * 1024) / 2 ** 20;
  console.log(JSON.stringify({ bench: 'stylize', preset: 'paper', size, styleSize, ms: Math.round(ms), peakRssMiB: Math.round(peakRssMiB) }));
}

async function main(): Promise<void> {
  const c = arg('--child');
  if (c) {
    const [size, styleSize] = c.split('x').map(Number);
    return child(size, styleSize);
  }
  const cases = process.argv.includes('--quick') ? [[256, 256]] : [[256, 256], [512, 512], [1024, 512]];
  const self = fileURLToPath(import.meta.url);
  for (const [size, styleSize] of cases) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', `${size}x${styleSize}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
    console.log(out.trim().split('\n').filter((l) => l.startsWith('{')).pop());
  }
}

await main();
