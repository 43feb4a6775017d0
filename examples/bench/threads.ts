/**
 * `pnpm bench:threads`: the wasm backend in Node on 1 and on 2 threads (or `--threads 1,2,4`),
 * side by side in one run, each in a child process of its own: a 3×3 convolution
 * (1×256×256×64 → 64), a 1024² matMul, `knn` (4096 queries in 16384 rows of 64 channels, k = 5)
 * and `stylize` of the paper preset at 256². Median of 5 (1 for stylize). One JSON line per count:
 * {"bench":"threads","threads":…,"conv3x3Ms":…,"matMul1024Ms":…,"knnMs":…,"stylize256Ms":…}
 * `--record [FILE]` (and `--source TEXT`) also appends each JSON line to `docs/benchmarks/results.jsonl`
 * (or FILE) with the date, the machine, the command and the source (record.ts); stdout is unchanged.
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, knn } from '../../packages/core/src/index.ts';
import { stylize } from '../../packages/models/src/index.ts';
import { TpfrTrainer } from '../../packages/models/src/train/index.ts';
import { childJsonLines } from './child.ts';
import { printLine } from './record.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

function median(f: () => void, runs = 5): number {
  f();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  return Math.round(t.sort((a, b) => a - b)[Math.floor(runs / 2)]);
}

/**
 * Runs `f` in a tidy, reads its result and frees it. Not `tf.tidy(() => f().dataSync())`: tidy
 * walks whatever its function returns for tensors, and over a typed array of millions of values
 * that walk takes seconds (it made a 120 ms convolution measure 3 s here).
 */
function readAndFree(f: () => tf.Tensor): void {
  const y = tf.tidy(f);
  y.dataSync();
  y.dispose();
}

async function child(threads: number): Promise<void> {
  await initBackend('wasm', { threads });
  const x = tf.randomUniform([1, 256, 256, 64], -1, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomUniform([3, 3, 64, 64], -1, 1, 'float32', 2) as tf.Tensor4D;
  const a = tf.randomUniform([1024, 1024], -1, 1, 'float32', 3) as tf.Tensor2D;
  const q = tf.randomUniform([4096, 64], -1, 1, 'float32', 4) as tf.Tensor2D;
  const p = tf.randomUniform([16384, 64], -1, 1, 'float32', 5) as tf.Tensor2D;
  const conv3x3Ms = median(() => readAndFree(() => tf.conv2d(x, w, 1, 'same')));
  const matMul1024Ms = median(() => readAndFree(() => tf.matMul(a, a)));
  const knnMs = median(() => {
    const r = knn(q, p, 5);
    r.indices.dataSync();
    tf.dispose([r.indices, r.distances]);
  }, 3);
  const model = TpfrTrainer.createModel('paper', 1);
  const c = tf.randomUniform([256, 256, 3], 0, 255, 'float32', 6) as tf.Tensor3D;
  const stylize256Ms = median(() => readAndFree(() => stylize(model, c, c)), 1);
  console.log(JSON.stringify({ bench: 'threads', threads, conv3x3Ms, matMul1024Ms, knnMs, stylize256Ms }));
}

const c = arg('--child');
if (c) await child(Number(c));
else {
  const self = fileURLToPath(import.meta.url);
  for (const n of (arg('--threads') ?? '1,2').split(',').map(Number)) {
    printLine(childJsonLines(self, ['--child', String(n)]).pop()!);
  }
}
