import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { MICRO_MODEL, expectNoLeaks } from '@tpfr/testing';
import { rgbToYiq } from '../controls/color.js';
import type { TpfrModel } from '../model/model.js';
import { TpfrTrainer } from '../train/trainer.js';
import { encodeExemplars } from './exemplar-set.js';
import { stylize } from './stylize.js';
import { createStylizer } from './stylizer.js';

// The controls of stylize (strength, weighted styles, colour, regions) and their invariants.
let model: TpfrModel;
const image = (seed: number, h = 32, w = 36) => tf.randomUniform([h, w, 3], 0, 255, 'float32', seed) as tf.Tensor3D;
const same = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]) === 0;
const meanAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))).dataSync()[0]);

beforeAll(async () => {
  await initBackend('wasm');
  model = TpfrTrainer.createModel(MICRO_MODEL, 3);
});
afterAll(() => model.dispose());

describe('strength', () => {
  it('1 is the full stylization bit for bit, 0 the main decoder of the content alone, and moves monotonically between (seeded property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e5 }), (seed) => {
        tf.tidy(() => {
          const content = image(seed);
          const styles = [image(seed + 1), image(seed + 2, 28, 28)];
          const full = stylize(model, content, styles);
          expect(same(stylize(model, content, styles, { strength: 1 }), full)).toBe(true);
          // 0: the main decoder's reconstruction of the content's own codes.
          const own = tf.tidy(() => {
            const x = tf.expandDims(tf.sub(tf.div(content, 127.5), 1), 0) as tf.Tensor4D;
            const padded = tf.mirrorPad(
              x,
              [
                [0, 0],
                [0, 0],
                [0, 0],
                [0, 0],
              ],
              'reflect',
            ) as tf.Tensor4D;
            const y = model.decode(model.codes(padded));
            return tf.squeeze(tf.clipByValue(tf.mul(tf.add(y, 1), 127.5), 0, 255), [0]);
          });
          expect(same(stylize(model, content, styles, { strength: 0 }), own)).toBe(true);
          // Monotone: the further from 0, the further from the reconstruction and the nearer the full result.
          let [lastFromOwn, lastToFull] = [-1, Infinity];
          for (const s of [0.25, 0.5, 0.75, 1]) {
            const y = stylize(model, content, styles, { strength: s });
            const [fromOwn, toFull] = [meanAbs(y, own), meanAbs(y, full)];
            expect(fromOwn).toBeGreaterThan(lastFromOwn);
            expect(toFull).toBeLessThan(lastToFull + 1e-9);
            [lastFromOwn, lastToFull] = [fromOwn, toFull];
          }
        });
      }),
      { seed: 2701, numRuns: 4 },
    );
  });

  it('is refused outside [0, 1] or NaN, naming stylize, before any work', () => {
    tf.tidy(() => {
      for (const strength of [-0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => stylize(model, image(1), image(2), { strength })).toThrow(/stylize: expected strength a number in \[0, 1\], received/);
      }
    });
  });
});

describe('weighted styles', () => {
  it('weight 0 is the result without that style, one non-zero weight is that style alone, bit for bit (seeded property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e5 }), fc.double({ min: 0.05, max: 10, noNaN: true }), (seed, w) => {
        tf.tidy(() => {
          const content = image(seed);
          const [a, b, c] = [image(seed + 1), [image(seed + 2), image(seed + 3, 28, 32)], image(seed + 4, 36, 32)];
          const without = stylize(model, content, [a, c], { styleWeights: [w, 1] });
          expect(same(stylize(model, content, [a, b, c], { styleWeights: [w, 0, 1] }), without)).toBe(true);
          // A list of images of one style is that style's pool.
          const alone = stylize(model, content, b);
          expect(same(stylize(model, content, [a, b, c], { styleWeights: [0, w, 0] }), alone)).toBe(true);
        });
      }),
      { seed: 2702, numRuns: 4 },
    );
  });

  it('moving weight from one style to another moves the result monotonically from one to the other', () => {
    tf.tidy(() => {
      const content = image(11);
      const [a, b] = [image(12), image(13)];
      const [onlyA, onlyB] = [
        stylize(model, content, [a, b], { styleWeights: [1, 0] }),
        stylize(model, content, [a, b], { styleWeights: [0, 1] }),
      ];
      let [lastFromA, lastToB] = [-1, Infinity];
      for (const t of [0.2, 0.4, 0.6, 0.8, 1]) {
        const y = stylize(model, content, [a, b], { styleWeights: [1 - t, t] });
        const [fromA, toB] = [meanAbs(y, onlyA), meanAbs(y, onlyB)];
        expect(fromA).toBeGreaterThan(lastFromA);
        expect(toB).toBeLessThan(lastToB);
        [lastFromA, lastToB] = [fromA, toB];
      }
    });
  });

  it('refuses weights that are negative, not finite, all 0, or not one per style, naming stylize', () => {
    tf.tidy(() => {
      const [c, a, b] = [image(1), image(2), image(3)];
      expect(() => stylize(model, c, [a, b], { styleWeights: [1, -1] })).toThrow(
        /stylize: expected styleWeights\[1\] a finite number >= 0, received -1/,
      );
      expect(() => stylize(model, c, [a, b], { styleWeights: [1, Number.NaN] })).toThrow(
        /styleWeights\[1\] a finite number >= 0, received NaN/,
      );
      expect(() => stylize(model, c, [a, b], { styleWeights: [Number.POSITIVE_INFINITY, 1] })).toThrow(
        /styleWeights\[0\] a finite number >= 0, received Infinity/,
      );
      expect(() => stylize(model, c, [a, b], { styleWeights: [0, 0] })).toThrow(
        /stylize: expected style weights that do not sum to 0, received 0, 0/,
      );
      expect(() => stylize(model, c, [a, b], { styleWeights: [1] })).toThrow(
        /stylize: expected one style weight per style \(2\), received 1 weight\(s\)/,
      );
    });
  });
});

describe('colour preservation', () => {
  it("'luminance' keeps the content's chroma (YIQ) wherever the result is not clipped", () => {
    tf.tidy(() => {
      const content = image(21);
      const y = stylize(model, content, image(22), { preserveColor: 'luminance' });
      const inside = tf.all(tf.logicalAnd(tf.greater(y, 0), tf.less(y, 255)), -1, true);
      const [cy, yy] = [rgbToYiq(content), rgbToYiq(y)];
      const chroma = (t: tf.Tensor) => tf.slice(t, [0, 0, 1], [-1, -1, 2]);
      const diff = tf.where(tf.broadcastTo(inside, [32, 36, 2]), tf.abs(tf.sub(chroma(cy), chroma(yy))), tf.zerosLike(chroma(cy)));
      expect(tf.max(diff).dataSync()[0]).toBeLessThan(1e-3);
      expect(tf.sum(tf.cast(inside, 'int32')).dataSync()[0]).toBeGreaterThan(100);
    });
  });

  it("'histogram' stylizes with the exemplars' colours matched to the content's, and needs the exemplars' images", () => {
    tf.tidy(() => {
      const content = image(31);
      const style = tf.mul(image(32), tf.tensor1d([1, 0.2, 0.1])) as tf.Tensor3D;
      const plain = stylize(model, content, style);
      const matched = stylize(model, content, style, { preserveColor: 'histogram' });
      expect(same(plain, matched)).toBe(false);
      const encoded = encodeExemplars(model, style);
      expect(() => stylize(model, content, encoded, { preserveColor: 'histogram' })).toThrow(
        /stylize: expected the exemplars' images for preserveColor 'histogram'/,
      );
      encoded.dispose();
      expect(() => stylize(model, content, style, { preserveColor: 'hue' as 'luminance' })).toThrow(
        /stylize: expected preserveColor 'luminance' or 'histogram', received hue/,
      );
    });
  });
});

describe('regions', () => {
  it("a mask that gives everything to one style equals that style alone, bit for bit, whatever the other's", () => {
    tf.tidy(() => {
      const content = image(41);
      const [a, b] = [image(42), image(43)];
      const masks = [tf.ones([10, 12]), tf.zeros([7, 5])];
      expect(same(stylize(model, content, [a, b], { masks }), stylize(model, content, a))).toBe(true);
    });
  });

  it("each pixel's neighbours come from its region's style alone, in every stage, and borders blend", () => {
    tf.tidy(() => {
      const content = image(51, 32, 32);
      const [a, b] = [image(52, 32, 32), image(53, 32, 32)];
      // Left half style a, right half style b (int32 masks, as decoded files give them).
      const left = tf.concat([tf.fill([32, 16], 255, 'int32'), tf.zeros([32, 16], 'int32')], 1);
      const right = tf.sub(255, left);
      const stylizer = createStylizer(model, [a, b], { masks: [left, right], inspect: true, coherence: false });
      const y = stylizer.stylize(content);
      expect(y.shape).toEqual([32, 32, 3]);
      const g = stylizer.lastGraph!;
      expect(g.styles.map((s) => s.style)).toEqual([0, 1]);
      const mix = (g.mix as tf.Tensor4D).arraySync() as number[][][][];
      // Away from the border (latent columns 0–1 and 6–7) one style has all the weight; near it they blend.
      for (let r = 0; r < 8; r++) {
        expect(mix[0][r][0][0]).toBe(1);
        expect(mix[1][r][7][0]).toBe(1);
        expect(mix[0][r][3][0]).toBeGreaterThan(0);
        expect(mix[1][r][3][0]).toBeGreaterThan(0);
      }
      // Each style's graph indexes only its own pool (one 32² exemplar: 64 latent pixels).
      for (const { graph } of g.styles) {
        for (const ix of graph.indices) {
          expect(ix.shape).toEqual([1, 8, 8, 5]);
          const v = ix.dataSync();
          expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
          expect(Math.max(...v)).toBeLessThan(64);
        }
      }
      stylizer.dispose();
    });
  });

  it('refuses masks of another count, of a wrong shape, and masks that leave pixels without a style, saying which', () => {
    tf.tidy(() => {
      const [c, a, b] = [image(1), image(2), image(3)];
      expect(() => stylize(model, c, [a, b], { masks: [tf.ones([4, 4])] })).toThrow(
        /stylize: expected one mask per style \(2\), received 1 mask\(s\)/,
      );
      expect(() => stylize(model, c, [a, b], { masks: [tf.ones([4, 4, 2]), tf.ones([4, 4])] })).toThrow(
        /stylize: expected masks\[0\] of shape \[h, w\], \[h, w, 1\] or \[h, w, 3\], received shape \[4,4,2\]/,
      );
      const top = tf.concat([tf.ones([16, 36]), tf.zeros([16, 36])], 0);
      expect(() => stylize(model, c, [a, b], { masks: [top, tf.zeros([32, 36])] })).toThrow(
        /stylize: expected masks that give every content pixel a style .*received \d+ content pixel\(s\) with none, in rows \d+–31 and columns 0–35 of the 36×32 content/,
      );
    });
  });
});

it('the controls combine, with a pipeline and a batch of contents, and leave no tensor behind', async () => {
  const content = tf.stack([image(61, 40, 44), image(62, 40, 44)]) as tf.Tensor4D;
  const [a, b] = [image(63), image(64)];
  const opts = { strength: 0.7, styleWeights: [0.3, 0.7], preserveColor: 'luminance' as const, pipeline: { size: 32 } };
  const y = stylize(model, content, [a, b], opts);
  expect(y.shape).toEqual([2, 32, 32, 3]);
  y.dispose();
  await expectNoLeaks(() => stylize(model, content, [a, b], opts), 'stylize with every control');
  const masks = [tf.ones([3, 3]), tf.ones([3, 3])];
  await expectNoLeaks(() => stylize(model, content, [a, b], { masks }), 'stylize with masks');
  // A stylizer keeps its last frame (codes, graphs, mix) until the next: the count is flat from frame to frame, and back where it began once disposed.
  const start = tf.memory().numTensors;
  const stylizer = createStylizer(model, [a, b], { masks, inspect: true, strength: 0.5 });
  // Two frames: from the second on, a frame also keeps what coherence compares the next one with.
  stylizer.stylize(content).dispose();
  stylizer.stylize(content).dispose();
  const steady = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    stylizer.stylize(content, { strength: 0.3 * i }).dispose();
    stylizer.restyle(0.9).dispose();
    expect(tf.memory().numTensors).toBe(steady);
  }
  stylizer.dispose();
  expect(tf.memory().numTensors).toBe(start);
  tf.dispose([content, a, b, ...masks]);
});
