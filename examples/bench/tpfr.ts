/**
 * Benchmark of the two-stage TPFR layer's forward pass on wasm (inference):
 * Cc = 256, Cs = 512, k = 5, one peer of the input's size, latent L × L for L in 32, 64, 128, 256.
 * Prints one JSON line per size: {"bench":"tpfr","L":…,"ms":…,"peakExtraMiB":…}.
 *
 * The style codes are shaped as the encoder makes them: `[global | local]`, the global half one
 * vector per image broadcast to its pixels, so the exact search of stage 2 runs on the local half
 * plus one constant per exemplar (`foldExemplarConstantChannels`). `--random-style` makes every
 * channel random instead (the search then runs on all 512 channels; the figures before this
 * option existed were taken that way).
 *
 * Each size runs in a fresh child process so its memory is measured from a clean baseline:
 * peak extra memory = RSS after the forward − RSS before it (inputs built, layer built and
 * warmed up). The wasm heap never shrinks, so the growth of RSS upper-bounds the peak.
 *
 *   pnpm bench:tpfr                # L = 32, 64, 128, 256
 *   pnpm bench:tpfr --quick        # L = 32, 64
 *   pnpm bench:tpfr --sizes 32,64
 *   pnpm bench:tpfr --random-style # style codes without the encoder's global half
 * `--record [FILE]` (and `--source TEXT`) also appends each JSON line to `docs/benchmarks/results.jsonl`
 * (or FILE) with the date, the machine, the command and the source (record.ts); stdout is unchanged.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../packages/core/src/index.ts';
import { PeerRecombination } from '../../packages/layers/src/index.ts';
import { printLine } from './record.ts';

const CC = 256;
const CS = 512;
const K = 5;

/** A style code `[...lead, L, L, CS]`: global half constant over the pixels (as the encoder's), unless `random`. */
function styleCode(lead: number[], L: number, seed: number, random: boolean): tf.Tensor {
  if (random) return tf.randomNormal([...lead, L, L, CS], 0, 1, 'float32', seed);
  return tf.tidy(() => {
    const global = tf.randomNormal([...lead, 1, 1, CS / 2], 0, 1, 'float32', seed);
    const local = tf.randomNormal([...lead, L, L, CS / 2], 0, 1, 'float32', seed + 100);
    return tf.concat([tf.broadcastTo(global, [...lead, L, L, CS / 2]), local], -1);
  });
}

async function runOne(L: number, random: boolean): Promise<void> {
  await initBackend('wasm');
  const layer = new PeerRecombination({ k: K, stages: 'two-stage' });
  layer.build([
    [1, L, L, CC],
    [1, L, L, CS],
    [1, 1, L, L, CC],
    [1, 1, L, L, CS],
  ]);
  // Warm-up on a small map (kernel set-up), then the real inputs.
  const warm = [
    tf.randomNormal([1, 8, 8, CC]),
    tf.randomNormal([1, 8, 8, CS]),
    tf.randomNormal([1, 1, 8, 8, CC]),
    tf.randomNormal([1, 1, 8, 8, CS]),
  ];
  tf.dispose(layer.apply(warm) as tf.Tensor[]);
  tf.dispose(warm);
  const inputs = [
    tf.randomNormal([1, L, L, CC], 0, 1, 'float32', 1),
    styleCode([1], L, 2, random),
    tf.randomNormal([1, 1, L, L, CC], 0, 1, 'float32', 3),
    styleCode([1, 1], L, 4, random),
  ];
  await Promise.all(inputs.map((t) => t.data()));
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const out = layer.apply(inputs) as tf.Tensor[];
  await Promise.all(out.map((t) => t.data()));
  const ms = performance.now() - t0;
  const rssAfter = process.memoryUsage().rss;
  console.log(
    JSON.stringify({ bench: 'tpfr', L, ms: Math.round(ms), peakExtraMiB: Math.round(((rssAfter - rssBefore) / 2 ** 20) * 10) / 10 }),
  );
  tf.dispose([...out, ...inputs]);
}

const args = process.argv.slice(2);
const single = args.indexOf('--single');
if (single >= 0) {
  await runOne(Number(args[single + 1]), args.includes('--random-style'));
} else {
  const sizesArg = args.indexOf('--sizes');
  const sizes = sizesArg >= 0 ? args[sizesArg + 1].split(',').map(Number) : args.includes('--quick') ? [32, 64] : [32, 64, 128, 256];
  const self = fileURLToPath(import.meta.url);
  for (const L of sizes) {
    const r = spawnSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', self, '--single', String(L), ...(args.includes('--random-style') ? ['--random-style'] : [])],
      { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' },
    );
    const line = r.stdout.split('\n').find((l) => l.startsWith('{"bench"'));
    if (r.status !== 0 || !line) {
      printLine(JSON.stringify({ bench: 'tpfr', L, error: `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}` }));
    } else {
      printLine(line);
    }
  }
}
