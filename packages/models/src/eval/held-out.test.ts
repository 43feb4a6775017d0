import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initBackend, ValueError } from '@tpfr/core';
import { expectNoLeaks, MICRO_MODEL } from '@tpfr/testing';
import { createSyntheticDataset } from '../data/synthetic.js';
import { HELD_OUT_STYLE_CLASSES } from '../data/style-classes.js';
import { TpfrModel } from '../model/model.js';
import { stylize } from '../stylize/stylize.js';
import {
  disposeHeldOut,
  evaluateHeldOut,
  HELD_OUT_SEED,
  heldOutExemplars,
  MAX_HELD_OUT_EXEMPLARS,
  resolveHeldOutOptions,
  stylizeHeldOut,
} from './held-out.js';

let model: TpfrModel;
beforeAll(async () => {
  await initBackend('wasm');
  model = TpfrModel.create(MICRO_MODEL);
});
afterAll(() => model.dispose());

test.prop([fc.integer({ min: 1, max: 10 })], { seed: 7, numRuns: 10 })(
  'pools start with the scored painting i and never share a painting',
  (exemplars) => {
    const pools = Array.from({ length: 10 }, (_, i) => heldOutExemplars(i, exemplars));
    pools.forEach((p, i) => {
      expect(p).toHaveLength(exemplars);
      expect(p[0]).toBe(i);
    });
    const all = pools.flat();
    expect(new Set(all).size).toBe(all.length);
  },
);

it('stylizes each held-out class with its pool; one exemplar is stylize(photo i, painting i)', async () => {
  const items = await stylizeHeldOut(model, { images: 2, size: 32, exemplars: 3 });
  expect(items.map((t) => t.styleClass)).toEqual(HELD_OUT_STYLE_CLASSES.flatMap((c) => [c, c]));
  for (const t of items) for (const x of [t.content, t.style, t.result]) expect(x.shape).toEqual([32, 32, 3]);
  disposeHeldOut(items);

  const [single] = await stylizeHeldOut(model, { images: 1, size: 32, exemplars: 1 });
  const held = createSyntheticDataset({ size: 32, seed: HELD_OUT_SEED, classes: [...HELD_OUT_STYLE_CLASSES] });
  const photo = held.photo(0);
  const painting = held.painting(HELD_OUT_STYLE_CLASSES[0], 0);
  const direct = stylize(model, photo, painting) as tf.Tensor3D;
  expect(tf.max(tf.abs(tf.sub(direct, single.result))).dataSync()[0]).toBeLessThan(1e-6);
  tf.dispose([photo, painting, direct]);
  disposeHeldOut([single]);
});

it('scores every item, reports progress and leaks nothing', async () => {
  const seen: number[] = [];
  const report = await evaluateHeldOut(model, {
    images: 1,
    size: 32,
    exemplars: 2,
    stages: 'style-only',
    onItem: (done) => seen.push(done),
  });
  expect(report.perItem).toHaveLength(2);
  expect(report.styleClasses).toEqual([...HELD_OUT_STYLE_CLASSES]);
  expect(Number.isFinite(report.styleDistanceReduction) && Number.isFinite(report.edgeCorrelation)).toBe(true);
  expect(seen).toEqual([1, 2]);
  await expectNoLeaks(() => evaluateHeldOut(model, { images: 1, size: 32, exemplars: 2 }), 'evaluateHeldOut');
});

it('rejects bad options with named errors', async () => {
  expect(resolveHeldOutOptions({})).toEqual({ images: 8, size: 96, exemplars: 4, seed: HELD_OUT_SEED });
  expect(() => resolveHeldOutOptions({ exemplars: MAX_HELD_OUT_EXEMPLARS + 1 }, 'runDemo')).toThrow(
    /runDemo: expected exemplars an integer in \[1, 10\], received 11/,
  );
  await expect(stylizeHeldOut(model, { exemplars: 0 })).rejects.toThrow(
    /stylizeHeldOut: expected exemplars an integer in \[1, 10\], received 0/,
  );
  await expect(stylizeHeldOut(model, { images: 1.5 })).rejects.toThrow(ValueError);
  await expect(evaluateHeldOut(model, { size: 8 })).rejects.toThrow(/stylizeHeldOut: expected size an integer >= 16, received 8/);
});
