import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { createStylizer, type TpfrModel } from '@tpfr/models';
import { TpfrTrainer } from '@tpfr/models/train';
import { makeTestClip } from '@tpfr/testing/clip';
import { levels } from './job.js';
import { frameSize, LiveSession } from './live.js';

let model: TpfrModel;
// The project's test clip, its 48 × 48 frames cut to 48 × 32 (sides multiples of the network's 4, as the page's frames are).
const frames = makeTestClip({ size: 48, frames: 4, seed: 5 }).frames.map((f) => ({ width: 48, height: 32, data: f.slice(0, 48 * 32 * 3) }));
const styles = makeTestClip({ size: 44, frames: 2, seed: 9 }).frames.map((data) => ({ width: 44, height: 44, data }));
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

beforeAll(async () => {
  await initBackend('wasm');
  model = TpfrTrainer.createModel('tiny', 3);
});
afterAll(() => model.dispose());

it('frameSize: the shorter side at the working size, both sides cut to the multiple', () => {
  expect(frameSize(640, 480, 128, 4)).toEqual({ width: 168, height: 128 });
  expect(frameSize(480, 640, 64, 8)).toEqual({ width: 64, height: 80 });
  expect(frameSize(100, 100, 30, 4)).toEqual({ width: 28, height: 28 });
});

it("a live session's frames equal a coherent stylizer's on the prepared exemplars, with strength per frame, and its graphs replay to the same frames", async () => {
  const controls = { styleWeights: [1, 0.5], preserveColor: 'luminance' as const };
  const session = await LiveSession.create(model, styles, { size: 32, controls });
  expect(session.exemplars.map((e) => [e.width, e.height])).toEqual([
    [32, 32],
    [32, 32],
  ]);
  const exemplars = session.exemplars.map((e) => [levels(e)]);
  const reference = createStylizer(model, exemplars, { ...controls, range: '0-255', inspect: true });
  const replay = await LiveSession.create(model, styles, { size: 32, controls });
  for (const [i, f] of frames.entries()) {
    const strength = i === 2 ? 0.5 : 1;
    const r = await session.frame(f, { strength, graph: true });
    expect([r.width, r.height, r.output.length]).toEqual([48, 32, 48 * 32 * 3]);
    // Not in a tidy: the stylizer keeps the frame's codes for the next one.
    const x = levels(f);
    const y = reference.stylize(x, { strength });
    expect(maxDiff(r.output, await y.data())).toBeLessThan(1e-3);
    tf.dispose([x, y]);
    // Two styles, two stages, [h, w, k] each.
    expect(r.graph!.map((g) => g.map((ix) => ix.length))).toEqual([
      [8 * 12 * 5, 8 * 12 * 5],
      [8 * 12 * 5, 8 * 12 * 5],
    ]);
    const again = await replay.frame(f, { strength, neighbours: r.graph });
    expect(maxDiff(again.output, r.output)).toBe(0);
  }
  // Coherence: the last frame differs from the same frame stylized afresh.
  session.reset();
  const fresh = await session.frame(frames[3]);
  const coherent = await replay.frame(frames[3]);
  expect(maxDiff(fresh.output, coherent.output)).toBeGreaterThan(0);
  reference.dispose();
  tf.dispose(exemplars.flat());
  session.dispose();
  replay.dispose();
});

it('a session from start to dispose leaves no tensor behind, and refuses what does not fit', async () => {
  await expectNoLeaks(async () => {
    const s = await LiveSession.create(model, styles, { size: 32, controls: {} });
    for (const f of frames) await s.frame(f);
    s.dispose();
  }, 'a live session');
  await expect(LiveSession.create(model, [], { size: 32, controls: {} })).rejects.toThrow(
    /live: expected at least one style image, received none/,
  );
  await expect(LiveSession.create(model, styles, { size: 16, controls: {} })).rejects.toThrow(
    /live: expected a working size ≥ 32, received 16/,
  );
});
