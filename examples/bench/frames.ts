/**
 * `pnpm bench:frames [--sizes 256,512] [--frames 12] [--model DIR] [--backend wasm]`: the frame
 * stylizer (`createStylizer`: exemplars encoded once) on the test clip (`makeTestClip`: a moving
 * disc over a still scene, then a slow pan, with per-frame sensor noise), paper preset with seeded
 * weights (or the model folder `--model`), one exemplar of the frame's size, each size in a child
 * process of its own. For each size, one line with coherence off and one with it on:
 * {"bench":"frames","preset":…,"backend":…,"size":…,"frames":…,"coherence":…,"msPerFrame":…,"flicker":…,"stylizeMs":…,"restyleMs":…}
 * `msPerFrame`: the median time of a frame after the first; `flicker`: the mean change of the
 * result between consecutive frames where the input did not change beyond its noise (blocks of
 * the model's multiple, a latent pixel's, whose pixels all stayed), in levels of 255; `stylizeMs`: one `stylize` call of the same size (exemplars encoded in it); `restyleMs`: the
 * median of a strength-slider move (`restyle`: one decoding). `--record` appends the lines to the
 * benchmarks' results (examples/bench/record.ts).
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../packages/core/src/index.ts';
import { createStylizer, stylize } from '../../packages/models/src/index.ts';
import { paintWithClass, renderPhoto } from '../../packages/models/src/data/index.ts';
import { loadModel } from '../../packages/models/src/node/index.ts';
import { TpfrTrainer } from '../../packages/models/src/train/index.ts';
import { flicker, makeTestClip, stillBlocks } from '../../packages/testing/src/clip.ts';
import { childJsonLines } from './child.ts';
import { printLine } from './record.ts';
import { restyleTimes } from './restyle-times.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function child(size: number, frames: number, backend: string, modelDir?: string): Promise<void> {
  await initBackend(backend as Parameters<typeof initBackend>[0]);
  const model = modelDir ? await loadModel(modelDir) : TpfrTrainer.createModel('paper', 1);
  const clip = makeTestClip({ frames, size, noise: 2, seed: 7 });
  const style = tf.tidy(() => tf.mul(tf.add(paintWithClass(renderPhoto(11, size), 'wave-sunset', 3), 1), 127.5)) as tf.Tensor3D;
  const frame = (t: number) => tf.tensor3d(clip.frames[t], [size, size, 3], 'int32');
  const first = frame(0);
  const t0 = performance.now();
  const full = stylize(model, first, style);
  await full.data();
  const stylizeMs = performance.now() - t0;
  tf.dispose([full, first]);
  for (const coherence of [false, true]) {
    const stylizer = createStylizer(model, style, { coherence });
    const results: Float32Array[] = [];
    const times: number[] = [];
    for (let t = 0; t < frames; t++) {
      const x = frame(t);
      const s = performance.now();
      const y = stylizer.stylize(x);
      results.push((await y.data()) as Float32Array);
      times.push(performance.now() - s);
      tf.dispose([x, y]);
    }
    const restyles = await restyleTimes(stylizer);
    stylizer.dispose();
    console.log(
      JSON.stringify({
        bench: 'frames',
        preset: modelDir ? (model.config.ngf === 64 ? 'paper' : `ngf ${model.config.ngf}`) : 'paper',
        backend: tf.getBackend(),
        size,
        frames,
        coherence,
        msPerFrame: Math.round(median(times.slice(1))),
        flicker: +flicker(results, stillBlocks(clip.still, size, model.widths.multiple)).toFixed(3),
        stylizeMs: Math.round(stylizeMs),
        restyleMs: Math.round(median(restyles)),
      }),
    );
  }
  style.dispose();
  model.dispose();
}

async function main(): Promise<void> {
  const backend = arg('--backend') ?? 'wasm';
  const frames = Number(arg('--frames') ?? 12);
  const modelDir = arg('--model');
  const c = arg('--child');
  if (c) return child(Number(c), frames, backend, modelDir);
  const self = fileURLToPath(import.meta.url);
  for (const size of (arg('--sizes') ?? '256,512').split(',').map(Number)) {
    const args = ['--child', String(size), '--frames', String(frames), '--backend', backend, ...(modelDir ? ['--model', modelDir] : [])];
    for (const line of childJsonLines(self, args)) printLine(line);
  }
}

await main();
