/**
 * `pnpm bench:memory [--sizes 256,512,1024] [--preset paper]`: `estimateStylizeMemory` against the
 * real peak of `stylize` on wasm (`tf.profile`'s peak tensor bytes above those before the call),
 * content S² with one exemplar of min(S, 512)², each size in a child process of its own. JSON lines:
 * {"bench":"memory","preset":…,"size":…,"styleSize":…,"estimateMiB":…,"peakMiB":…,"errorPct":…,"peakPhase":…}
 * `--record [FILE]` (and `--source TEXT`) also appends each JSON line to `docs/benchmarks/results.jsonl`
 * (or FILE) with the date, the machine, the command and the source (record.ts); stdout is unchanged.
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../packages/core/src/index.ts';
import { estimateStylizeMemory, stylize } from '../../packages/models/src/index.ts';
import { TpfrTrainer } from '../../packages/models/src/train/index.ts';
import { childJsonLines } from './child.ts';
import { printLine } from './record.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const preset = (arg('--preset') ?? 'paper') as 'paper' | 'tiny';
const child = arg('--child');
if (child) {
  const size = Number(child);
  const styleSize = Math.min(size, 512);
  await initBackend('wasm');
  const model = TpfrTrainer.createModel(preset, 1);
  const c = tf.randomUniform([size, size, 3], 0, 255, 'float32', 1) as tf.Tensor3D;
  const s = tf.randomUniform([styleSize, styleSize, 3], 0, 255, 'float32', 2) as tf.Tensor3D;
  const before = tf.memory().numBytes;
  const info = await tf.profile(() => {
    const y = stylize(model, c, s, { range: '0-255' });
    y.dataSync();
    y.dispose();
  });
  const e = estimateStylizeMemory(model, [size, size], { images: [[styleSize, styleSize]] });
  const peak = info.peakBytes - before;
  const m = (b: number) => +(b / 2 ** 20).toFixed(1);
  console.log(
    JSON.stringify({
      bench: 'memory',
      preset,
      size,
      styleSize,
      estimateMiB: m(e.peakBytes),
      peakMiB: m(peak),
      errorPct: +(((e.peakBytes - peak) / peak) * 100).toFixed(1),
      peakPhase: e.peakPhase,
    }),
  );
  process.exit(0);
}
const self = fileURLToPath(import.meta.url);
for (const size of (arg('--sizes') ?? '256,512,1024').split(',').map(Number)) {
  printLine(childJsonLines(self, ['--child', String(size), '--preset', preset]).pop()!);
}
