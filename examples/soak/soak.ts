/**
 * `pnpm soak [--calls 1000] [--frames 2000] [--steps 300] [--checkpoint-every 50]`: hours of use,
 * compressed. `stylize` called many times on mixed sizes (odd sizes, one to three exemplars of
 * other sizes, both ranges), frames of the test clip through one frame stylizer (coherence on, a
 * strength-slider move every 50 frames), and a training run with checkpoints, on wasm, tracking `tf.memory()` (tensors and
 * bytes) around every call and step and the process's RSS. Prints one JSON line:
 * {"bench":"soak","calls":…,"steps":…,"frames":…,"tensorGrowth":…,"byteGrowth":…,"rssGrowthPct":…,…}
 * `tensorGrowth` and `byteGrowth`: the largest change of the tensor count and bytes across one
 * call (after − before; 0 expected), and across the training steps once the optimizers' moments
 * and the image history are made (after the first checkpoint). `rssGrowthPct`: RSS growth over the
 * last half of the calls and of the steps (garbage collected first where `--expose-gc` is on),
 * the larger of the two. The tests run a short version (`runSoak({ calls: 30, steps: 10, … })`).
 * `--record [FILE]` (and `--source TEXT`) also appends each JSON line to `docs/benchmarks/results.jsonl`
 * (or FILE) with the date, the machine, the command and the source (examples/bench/record.ts); stdout is unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../packages/core/src/index.ts';
import { createRng } from '../../packages/core/src/utils/index.ts';
import { createSyntheticDataset } from '../../packages/models/src/data/index.ts';
import { createStylizer, stylize } from '../../packages/models/src/index.ts';
import { TpfrTrainer } from '../../packages/models/src/train/index.ts';
import { makeTestClip } from '../../packages/testing/src/clip.ts';
import { printLine } from '../bench/record.ts';

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /** stylize calls (default 1000). */
  calls?: number;
  /** Training steps (default 300). */
  steps?: number;
  /** Frames through one frame stylizer, coherence on (default 2000). */
  frames?: number;
  /** Steps between checkpoints (default 50). */
  checkpointEvery?: number;
  /** The trainer's image history (default 50, the paper's); the tracking starts once it is full. */
  imageHistorySize?: number;
  /** Called now and then with a line of progress. */
  onProgress?: (line: string) => void;
}

/** What {@link runSoak} measured. */
export interface SoakReport {
  bench: 'soak';
  calls: number;
  steps: number;
  frames: number;
  checkpoints: number;
  tensorGrowth: number;
  byteGrowth: number;
  rssGrowthPct: number;
  /** RSS growth over the last half of the calls, of the frames and of the steps, separately. */
  rssGrowthPctCalls: number;
  rssGrowthPctFrames: number;
  rssGrowthPctSteps: number;
  rssMiB: { start: number; end: number };
  ms: number;
}

const rss = () => process.memoryUsage().rss;
const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** Runs the soak on the active backend (wasm is set) and returns its figures. */
export async function runSoak(opts: SoakOptions = {}): Promise<SoakReport> {
  const calls = opts.calls ?? 1000;
  const steps = opts.steps ?? 300;
  const every = opts.checkpointEvery ?? 50;
  const say = opts.onProgress ?? (() => {});
  await initBackend('wasm');
  const t0 = performance.now();
  let tensorGrowth = 0;
  let byteGrowth = 0;
  const note = (before: tf.MemoryInfo) => {
    const after = tf.memory();
    tensorGrowth = Math.max(tensorGrowth, Math.abs(after.numTensors - before.numTensors));
    byteGrowth = Math.max(byteGrowth, Math.abs(after.numBytes - before.numBytes));
  };
  const rand = createRng(2026);
  const r = () => rand.next();
  const side = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

  // 1. stylize, mixed: content 32…97 px a side (odd sizes too), 1–3 exemplars of 32…80 px.
  const model = TpfrTrainer.createModel('tiny', 1);
  const rss0 = rss();
  let rssHalf = 0;
  for (let i = 0; i < calls; i++) {
    if (i === Math.floor(calls / 2)) {
      gc();
      rssHalf = rss();
    }
    const content = tf.randomUniform([side(32, 97), side(32, 97), 3], 0, 255, 'int32', i) as tf.Tensor3D;
    const styles = Array.from(
      { length: side(1, 3) },
      (_, j) => tf.randomUniform([side(32, 80), side(32, 80), 3], 0, 255, 'int32', 10_000 + i * 3 + j) as tf.Tensor3D,
    );
    const before = tf.memory();
    const y = stylize(model, content, styles, i % 2 === 0 ? {} : { k: 3 });
    await y.data();
    y.dispose();
    note(before);
    tf.dispose([content, ...styles]);
    if ((i + 1) % 100 === 0) say(`stylize ${i + 1}/${calls}: ${tf.memory().numTensors} tensors, RSS ${(rss() / 2 ** 20).toFixed(0)} MiB`);
  }
  gc();
  const rssCallsEnd = rss();

  // 2. Frames: the test clip (looped) through one stylizer with coherence and a strength slider now and then.
  const frames = opts.frames ?? 2000;
  const clip = makeTestClip({ frames: 24, size: 48, noise: 2, seed: 5 });
  const style = tf.randomUniform([48, 56, 3], 0, 255, 'int32', 77) as tf.Tensor3D;
  const stylizer = createStylizer(model, style, { strength: 0.9 });
  let rssFramesHalf = 0;
  let framesSettled: tf.MemoryInfo | null = null;
  for (let f = 0; f < frames; f++) {
    if (f === Math.floor(frames / 2)) {
      gc();
      rssFramesHalf = rss();
    }
    // From the second frame on, the stylizer holds what coherence compares the next frame with.
    if (f === 2) framesSettled = tf.memory();
    const frame = tf.tensor3d(clip.frames[f % clip.frames.length], [48, 48, 3], 'int32');
    const y = stylizer.stylize(frame);
    await y.data();
    tf.dispose([y, frame]);
    if (f % 50 === 49) tf.dispose(stylizer.restyle(0.5));
    if (framesSettled) note(framesSettled);
    if ((f + 1) % 200 === 0) say(`frames ${f + 1}/${frames}: ${tf.memory().numTensors} tensors, RSS ${(rss() / 2 ** 20).toFixed(0)} MiB`);
  }
  stylizer.dispose();
  style.dispose();
  gc();
  const rssFramesEnd = rss();
  model.dispose();

  // 3. Training with checkpoints: the micro model at 32², batch 2.
  const dir = mkdtempSync(join(tmpdir(), 'tpfr-soak-'));
  let checkpoints = 0;
  let rssStepsHalf = 0;
  let rssStepsEnd = 0;
  try {
    const micro = TpfrTrainer.createModel({ preset: 'tiny', ngf: 4, ndf: 4, residualBlocks: 1 }, 3);
    const trainer = new TpfrTrainer(micro, createSyntheticDataset({ size: 32, seed: 3 }), {
      steps,
      seed: 3,
      warmupSteps: Math.min(5, steps),
      imageHistorySize: opts.imageHistorySize ?? 50,
    });
    let settled: tf.MemoryInfo | null = null;
    for (let s = 0; s < steps; s++) {
      await trainer.trainStepAsync();
      if ((s + 1) % every === 0 || s + 1 === steps) {
        await trainer.saveCheckpoint(dir);
        checkpoints++;
      }
      // Once the optimizers' moments exist and the image history is full, nothing more is kept.
      if (!settled && checkpoints > 0 && trainer.historyImages >= (opts.imageHistorySize ?? 50)) settled = tf.memory();
      if (settled) note(settled);
      if (s === Math.floor(steps / 2)) {
        gc();
        rssStepsHalf = rss();
      }
      if ((s + 1) % 25 === 0) say(`train ${s + 1}/${steps}: ${tf.memory().numTensors} tensors, RSS ${(rss() / 2 ** 20).toFixed(0)} MiB`);
    }
    gc();
    rssStepsEnd = rss();
    trainer.dispose();
    micro.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const pct = (a: number, b: number) => (a > 0 ? +(((b - a) / a) * 100).toFixed(2) : 0);
  const rssGrowthPctCalls = pct(rssHalf, rssCallsEnd);
  const rssGrowthPctFrames = pct(rssFramesHalf, rssFramesEnd);
  const rssGrowthPctSteps = pct(rssStepsHalf, rssStepsEnd);
  return {
    bench: 'soak',
    calls,
    steps,
    frames,
    checkpoints,
    tensorGrowth,
    byteGrowth,
    rssGrowthPct: Math.max(rssGrowthPctCalls, rssGrowthPctFrames, rssGrowthPctSteps),
    rssGrowthPctCalls,
    rssGrowthPctFrames,
    rssGrowthPctSteps,
    rssMiB: { start: Math.round(rss0 / 2 ** 20), end: Math.round(rss() / 2 ** 20) },
    ms: Math.round(performance.now() - t0),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string, d: number) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : d;
  };
  const report = await runSoak({
    calls: arg('--calls', 1000),
    steps: arg('--steps', 300),
    frames: arg('--frames', 2000),
    checkpointEvery: arg('--checkpoint-every', 50),
    onProgress: (l) => process.stderr.write(`${l}\n`),
  });
  printLine(JSON.stringify(report));
  process.exit(report.tensorGrowth === 0 && report.byteGrowth === 0 && report.rssGrowthPct < 5 ? 0 : 1);
}
