import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { MICRO_MODEL, expectNoLeaks } from '@tpfr/testing';
import type { TpfrModel } from '../model/model.js';
import { TpfrTrainer } from '../train/trainer.js';
import { createStylizer, type StylizerOptions } from './stylizer.js';

// A frame's neighbour graphs replayed (StylizeFrameOptions.neighbours): what a page on another backend gives to compare on one graph.
let model: TpfrModel;
const image = (seed: number, h = 32, w = 36) => tf.randomUniform([h, w, 3], 0, 255, 'float32', seed) as tf.Tensor3D;
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

beforeAll(async () => {
  await initBackend('wasm');
  model = TpfrTrainer.createModel(MICRO_MODEL, 3);
});
afterAll(() => model.dispose());

/** The graphs of the last frame, copied (the stylizer frees its own at the next frame). */
const graphsOf = (s: ReturnType<typeof createStylizer>) => s.lastGraph!.styles.map(({ graph }) => graph.indices.map((t) => tf.clone(t)));

const cases: [string, (masks: tf.Tensor[]) => StylizerOptions][] = [
  ['one pool', () => ({})],
  ['weighted styles and a strength', () => ({ styleWeights: [0.3, 0.7], strength: 0.6 })],
  ['regions and colour', (masks) => ({ masks, preserveColor: 'luminance' })],
];

for (const [name, options] of cases) {
  it(`${name}: a frame's own graphs replayed give the same result bit for bit, other graphs another result, and nothing leaks`, async () => {
    const content = image(1);
    const styles = [image(2, 32, 32), image(3)];
    const masks = [tf.concat([tf.ones([32, 18]), tf.zeros([32, 18])], 1), tf.concat([tf.zeros([32, 18]), tf.ones([32, 18])], 1)];
    const opts = { ...options(masks), inspect: true, coherence: false };
    const a = createStylizer(model, styles, opts);
    const searched = a.stylize(content);
    const graphs = graphsOf(a);
    const b = createStylizer(model, styles, opts);
    const replayed = b.stylize(content, { neighbours: graphs });
    expect(maxDiff(replayed, searched)).toBe(0);
    // The replayed graph is the frame's graph, and restyle decodes the replayed codes.
    b.lastGraph!.styles.forEach(({ graph }, s) =>
      graph.indices.forEach((t, stage) => expect(Array.from(t.dataSync())).toEqual(Array.from(graphs[s][stage].dataSync()))),
    );
    const [ra, rb] = [a.restyle(0.3), b.restyle(0.3)];
    expect(maxDiff(ra, rb)).toBe(0);
    // Another graph (every neighbour moved one pool row on) gives another result.
    const shifted = graphs.map((g) => g.map((t) => tf.tidy(() => tf.mod(tf.add(t, tf.scalar(1, 'int32')), tf.scalar(64, 'int32')))));
    const other = b.stylize(content, { neighbours: shifted });
    expect(maxDiff(other, searched)).toBeGreaterThan(1e-3);
    await expectNoLeaks(() => b.stylize(content, { neighbours: graphs }), `replaying (${name})`);
    tf.dispose([searched, replayed, ra, rb, other, content, ...styles, ...masks, ...graphs.flat(), ...shifted.flat()]);
    a.dispose();
    b.dispose();
  });
}

it('with coherence, a sequence replayed from a reset equals the searched one (hysteresis aside: the graph is given)', () => {
  const frames = [image(11), image(12), image(13)];
  const styles = [image(14)];
  const a = createStylizer(model, styles, { inspect: true });
  const b = createStylizer(model, styles, { inspect: true });
  for (const f of frames) {
    const y = a.stylize(f);
    const g = graphsOf(a);
    const z = b.stylize(f, { neighbours: g });
    expect(maxDiff(y, z)).toBe(0);
    tf.dispose([y, z, ...g.flat()]);
  }
  a.dispose();
  b.dispose();
  tf.dispose([...frames, ...styles]);
});

it('refuses graphs of another count of styles, or of the wrong shape, naming what it expected', () => {
  const content = image(21);
  const styles = [image(22), image(23)];
  const s = createStylizer(model, styles, { styleWeights: [1, 1], inspect: true, coherence: false });
  const one = [tf.zeros([1, 8, 9, 5], 'int32'), tf.zeros([1, 8, 9, 5], 'int32')];
  expect(() => s.stylize(content, { neighbours: [one] })).toThrow(
    /Stylizer\.stylize: expected neighbours: one graph per style taking part \(2\), each a list of tensors \[B, h, w, k\] per stage, received 1 entry/,
  );
  const wrong = [tf.zeros([1, 4, 4, 5], 'int32'), tf.zeros([1, 4, 4, 5], 'int32')];
  expect(() => s.stylize(content, { neighbours: [wrong, wrong] })).toThrow(/replayed neighbours/);
  s.dispose();
  tf.dispose([content, ...styles, ...one, ...wrong]);
});
