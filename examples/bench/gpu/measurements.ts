/**
 * What the GPU run measures, one function each: `stylize` of one size, the frame stylizer's
 * per-frame time and a strength move, the two-stage TPFR layer at one latent size, and training
 * steps per second. Each returns the fields of its JSON line; every tensor it makes lives in the
 * caller's scope (see guard.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { PeerRecombination } from '@tpfr/layers';
import { createStylizer, stylize, type TpfrModel } from '@tpfr/models';
import { createSyntheticDataset } from '@tpfr/models/data';
import { TpfrTrainer } from '@tpfr/models/train';
import { makeTestClip } from '../../../packages/testing/src/clip.ts';
import { restyleTimes } from '../restyle-times.ts';

/** The model presets the run uses: the paper's network, or the tiny one (the smoke run). */
export type GpuPreset = 'paper' | 'tiny';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (xs: number[]) => xs.map(Math.round);

/** An image `[S, S, 3]` of uniform noise in 0–255. */
const noise = (size: number, seed: number) => tf.randomUniform([size, size, 3], 0, 255, 'float32', seed) as tf.Tensor3D;

/**
 * `stylize` of a `size`² content with a `styleSize`² exemplar, `calls` times (the first call at a
 * size compiles that size's shaders). Fields: `ms` (each call, result read back).
 */
export async function measureStylize(model: TpfrModel, size: number, styleSize: number, calls: number): Promise<Record<string, unknown>> {
  const content = noise(size, 1);
  const style = noise(styleSize, 2);
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    // range: explicit, as WebGPU cannot look at the values synchronously.
    const y = stylize(model, content, style, { range: '0-255' });
    await y.data();
    ms.push(performance.now() - t0);
    y.dispose();
  }
  return { ms: round(ms), numBytes: tf.memory().numBytes };
}

/**
 * The frame stylizer (exemplars encoded once, coherence off) on `frames` frames of the test clip at
 * `size`², then three strength moves. Fields: `msPerFrame` (median after the first frame), `ms`
 * (each frame), `restyleMs` (median of the moves: one decoding each).
 */
export async function measureFrames(model: TpfrModel, size: number, frames: number): Promise<Record<string, unknown>> {
  const clip = makeTestClip({ frames, size, noise: 2, seed: 7 });
  const style = noise(size, 3);
  const stylizer = createStylizer(model, style, { coherence: false, range: '0-255' });
  try {
    const ms: number[] = [];
    for (let t = 0; t < frames; t++) {
      const x = tf.tensor3d(clip.frames[t], [size, size, 3], 'int32');
      const t0 = performance.now();
      const y = stylizer.stylize(x);
      await y.data();
      ms.push(performance.now() - t0);
      tf.dispose([x, y]);
    }
    const restyles = await restyleTimes(stylizer);
    return { frames, msPerFrame: Math.round(median(ms.slice(1))), ms: round(ms), restyleMs: Math.round(median(restyles)) };
  } finally {
    stylizer.dispose();
  }
}

/**
 * The two-stage TPFR layer (content codes of 256 channels, style codes of 512, k = 5, one exemplar
 * of the input's size) at latent `L`², after a warm-up at 8². Fields: `ms` (each call).
 */
export async function measureLayer(L: number, calls: number): Promise<Record<string, unknown>> {
  const [cc, cs] = [256, 512];
  const layer = new PeerRecombination({ k: 5, stages: 'two-stage' });
  layer.build([
    [1, L, L, cc],
    [1, L, L, cs],
    [1, 1, L, L, cc],
    [1, 1, L, L, cs],
  ]);
  const inputs = (n: number) => [
    tf.randomNormal([1, n, n, cc], 0, 1, 'float32', 1),
    tf.randomNormal([1, n, n, cs], 0, 1, 'float32', 2),
    tf.randomNormal([1, 1, n, n, cc], 0, 1, 'float32', 3),
    tf.randomNormal([1, 1, n, n, cs], 0, 1, 'float32', 4),
  ];
  const warm = layer.apply(inputs(8)) as tf.Tensor[];
  await Promise.all(warm.map((t) => t.data()));
  const x = inputs(L);
  await Promise.all(x.map((t) => t.data()));
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    const out = layer.apply(x) as tf.Tensor[];
    await Promise.all(out.map((t) => t.data()));
    ms.push(performance.now() - t0);
    tf.dispose(out);
  }
  return { ms: round(ms) };
}

/**
 * Training steps of `preset` at `size`², batch 1, on the synthetic data (`trainStepAsync`: no
 * synchronous read). Fields: `msPerStep` (median after the first step, if more than one), `stepsPerSecond`, `ms`.
 */
export async function measureTraining(preset: GpuPreset, size: number, steps: number): Promise<Record<string, unknown>> {
  const model = TpfrTrainer.createModel(preset, 1);
  const trainer = new TpfrTrainer(model, createSyntheticDataset({ size, seed: 1 }), { steps, seed: 1, warmupSteps: 0 });
  try {
    const ms: number[] = [];
    for (let i = 0; i < steps; i++) ms.push((await trainer.trainStepAsync()).ms);
    // After the first step (shaders compiled), unless there is only one.
    const step = median(ms.length > 1 ? ms.slice(1) : ms);
    return { msPerStep: Math.round(step), stepsPerSecond: +(1000 / step).toFixed(3), ms: round(ms) };
  } finally {
    trainer.dispose();
    model.dispose();
  }
}
