import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { MICRO_MODEL } from '@tpfr/testing';
import { flicker, makeTestClip, stillBlocks } from '@tpfr/testing/clip';
import { paintWithClass, renderPhoto } from '../data/synthetic.js';
import type { TpfrModel } from '../model/model.js';
import { TpfrTrainer } from '../train/trainer.js';
import { stylize } from './stylize.js';
import { createStylizer } from './stylizer.js';

// The frame stylizer on the test clip: coherence off is stylize frame by frame; on, it flickers less.
let model: TpfrModel;
let style: tf.Tensor3D;
const clip = makeTestClip({ frames: 16, size: 64, noise: 2, seed: 7 });
const frame = (t: number) => tf.tensor3d(clip.frames[t], [64, 64, 3], 'int32');

beforeAll(async () => {
  await initBackend('wasm');
  model = TpfrTrainer.createModel({ ...MICRO_MODEL, ngf: 8 }, 5);
  style = tf.tidy(() => tf.mul(tf.add(paintWithClass(renderPhoto(11, 64), 'wave-sunset', 3), 1), 127.5)) as tf.Tensor3D;
});
afterAll(() => {
  model.dispose();
  style.dispose();
});

/** The results (0–255) of the clip through one stylizer. */
function run(coherence: boolean): Float32Array[] {
  const stylizer = createStylizer(model, style, { coherence });
  const out = clip.frames.map((_, t) => tf.tidy(() => stylizer.stylize(frame(t)).dataSync() as Float32Array));
  stylizer.dispose();
  return out;
}

it('without coherence, each frame is exactly stylize of that frame alone', () => {
  const off = run(false);
  for (const t of [0, 5, 15]) {
    const want = tf.tidy(() => stylize(model, frame(t), style).dataSync());
    expect(Array.from(off[t])).toEqual(Array.from(want));
  }
});

it('with coherence on, the still regions flicker at most half as much, and at most 2 levels of 255', () => {
  const [off, on] = [run(false), run(true)];
  // The still regions at the network's scale: blocks of 4 × 4 pixels (a latent pixel's) that did not change.
  const still = stillBlocks(clip.still, 64, 4);
  const [fOff, fOn] = [flicker(off, still), flicker(on, still)];
  console.log(JSON.stringify({ flickerOff: +fOff.toFixed(3), flickerOn: +fOn.toFixed(3) }));
  expect(fOn).toBeLessThanOrEqual(fOff / 2);
  expect(fOn).toBeLessThanOrEqual(2);
  // The first frame has no past: the same either way.
  expect(Array.from(on[0])).toEqual(Array.from(off[0]));
});

it('keeps the tensor count flat over frames and returns to it on dispose; reset forgets the past', () => {
  const before = tf.memory().numTensors;
  const stylizer = createStylizer(model, style);
  tf.tidy(() => stylizer.stylize(frame(0)).dataSync());
  tf.tidy(() => stylizer.stylize(frame(1)).dataSync());
  const steady = tf.memory().numTensors;
  for (let t = 1; t < 8; t++) {
    // Inside a tf.tidy of the caller's, as an app's render loop may run it: what the stylizer keeps survives it.
    tf.tidy(() => stylizer.stylize(frame(t)).dataSync());
    expect(tf.memory().numTensors).toBe(steady);
  }
  stylizer.reset();
  const fresh = tf.tidy(() => stylizer.stylize(frame(3)).dataSync());
  const alone = tf.tidy(() => stylize(model, frame(3), style).dataSync());
  expect(Array.from(fresh)).toEqual(Array.from(alone));
  stylizer.dispose();
  expect(tf.memory().numTensors).toBe(before);
  expect(() => stylizer.stylize(frame(0))).toThrow(/Stylizer\.stylize: expected a stylizer not disposed, received a disposed one/);
});
