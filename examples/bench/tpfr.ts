/**
 * Benchmark of the two-stage TPFR layer's forward pass on wasm (inference):
 * Cc = 256, Cs = 512, k = 5, one peer of the input's size, latent L × L for L in 32, 64, 128, 256.
 * Prints one JSON line per size: {"bench":"tpfr","L":…,"ms":…,"peakExtraMiB":…}.
 *
 * Each size runs in a fresh child process so its memory is measured from a clean baseline:
 * peak extra memory = RSS after the forward − RSS before it (inputs built, layer built and
 * warmed up). The wasm heap never shrinks, so the growth of RSS upper-bounds the peak.
 *
 *   pnpm bench:tpfr                # L = 32, 64, 128, 256
 *   pnpm bench:tpfr --quick        # L = 32, 64
 *   pnpm bench:tpfr --sizes 32,64
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../packages/core/src/index.ts';
import { PeerRecombination } from '../../packages/layers/src/index.ts';

const CC = 256;
const CS = 512;
const K = 5;

async function runOne(L: number): Promise<void> {
  await initBackend('wasm');
  const layer = new PeerRecombination({ k: K, stages: 'two-stage' });
  layer.build([[1, L, L, CC], [1, L, L, CS], [1, 1, L, L, CC], [1, 1, L, L, CS]]);
  // Warm-up on a small map (kernel set-up), then the real inputs.
  const warm = [tf.randomNormal([1, 8, 8, CC]), tf.randomNormal([1, 8, 8, CS]), tf.randomNormal([1, 1, 8, 8, CC]), tf.randomNormal([1, 1, 8, 8, CS])];
  tf.dispose(layer.apply(warm) as tf.Tensor[]);
  tf.dispose(warm);
  const inputs = [tf.randomNormal([1, L, L, CC], 0, 1, 'float32', 1), tf.randomNormal([1, L, L, CS], 0, 1, 'float32', 2),
    tf.randomNormal([1, 1, L, L, CC], 0, 1, 'float32', 3), tf.randomNormal([1, 1, L, L, CS], 0, 1, 'float32', 4)];
  await Promise.all(inputs.map((t) => t.data()));
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const out = layer.apply(inputs) as tf.Tensor[];
  await Promise.all(out.map((t) => t.data()));
  const ms = performance.now() - t0;
  const rssAfter = process.memoryUsage().rss;
  console.log(JSON.stringify({ bench: 'tpfr', L, ms: Math.round(ms), peakExtraMiB: Math.round(((rssAfter - rssBefore) / 2 ** 20) * 10) / 10 }));
  tf.dispose([...out, ...inputs]);
}

const args = process.argv.slice(2);
const single = args.indexOf('--single');
if (single >= 0) {
  await runOne(Number(args[single + 1]));
} else {
  const sizesArg = args.indexOf('--sizes');
  const sizes = sizesArg >= 0 ? args[sizesArg + 1].split(',').map(Number) : args.includes('--quick') ? [32, 64] : [32, 64, 128, 256];
  const self = fileURLToPath(import.meta.url);
  for (const L of sizes) {
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--single', String(L)], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    const line = r.stdout.split('\n').find((l) => l.startsWith('{"bench"'));
    if (r.status !== 0 || !line) {
      console.log(JSON.stringify({ bench: 'tpfr', L, error: `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}` }));
    } else {
      console.log(line);
    }
  }
}
