import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { stylize, toModelRange, type TpfrModel } from '@tpfr/models';
import { TpfrTrainer } from '@tpfr/models/train';
import { neighboursAt } from './inspect.js';
import { JOB_STEPS, prepareImages, stylizeJob, type JobControls, type MaskPixels, type Pixels } from './job.js';
import { poolPosition } from './pool-position.js';

/** Seeded 8-bit RGB noise with some structure. */
function pixels(width: number, height: number, seed: number): Pixels {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i + seed * 7919, 2654435761) >>> 24) ^ ((i / 3 / width) * 4);
  return { width, height, data };
}

/** A mask `width × height`: 255 left of column `split`, else 0 (or the reverse). */
function half(width: number, height: number, split: number, left: boolean): MaskPixels {
  return { width, height, data: Uint8Array.from({ length: width * height }, (_, i) => (i % width < split === left ? 255 : 0)) };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
let model: TpfrModel;
const content = pixels(50, 37, 1);
const styles = [pixels(40, 44, 2), pixels(45, 33, 3)];

beforeAll(async () => {
  await initBackend('wasm');
  model = TpfrTrainer.createModel('tiny', 3);
});
afterAll(() => model.dispose());

/** `stylize` of the prepared images with the controls, on the −1…1 scale. */
async function reference(controls: JobControls, size: number): Promise<Float32Array> {
  const prepared = prepareImages(model, content, styles, size, controls.masks);
  const perStyle = controls.styleWeights !== undefined || prepared.masks.length > 0;
  const y = tf.tidy(() =>
    toModelRange(
      stylize(model, prepared.content, perStyle ? prepared.exemplars.map((e) => [e]) : prepared.exemplars, {
        ...controls,
        masks: prepared.masks.length > 0 ? prepared.masks : undefined,
        range: '0-255',
      }),
    ),
  );
  const out = (await y.data()) as Float32Array;
  tf.dispose([y, prepared.content, ...prepared.exemplars, ...prepared.masks]);
  return out;
}

it("the page's job equals stylize() of the prepared images, with the pool's neighbours and weights, and leaks nothing once disposed", async () => {
  const steps: string[] = [];
  const job = await stylizeJob(model, content, styles, { size: 32, onProgress: (_, name) => void steps.push(name) });
  const r = job.result;
  expect(steps).toEqual([...JOB_STEPS]);
  // Shorter side 37 → 32: 50 → 43, cropped to the multiple of 4: 40 × 32. Exemplars 32 × 32.
  expect([r.width, r.height, r.content.width, r.content.height]).toEqual([40, 32, 40, 32]);
  expect(r.exemplars.map((e) => [e.width, e.height])).toEqual([
    [32, 32],
    [32, 32],
  ]);
  expect(r.latent).toEqual({ height: 8, width: 10, exemplars: 2, exemplarHeight: 8, exemplarWidth: 8, k: 5, scale: 4 });
  expect(maxDiff(await reference({}, 32), r.output)).toBeLessThan(1e-5);
  // One pool of both images: one graph, its rows in the whole pool, no mix.
  expect(r.graph.mix).toBeNull();
  expect(r.graph.styles.map((s) => [s.style, s.images])).toEqual([[0, [0, 1]]]);
  for (const s of r.graph.styles[0].stages) {
    expect(s.indices.length).toBe(8 * 10 * 5);
    expect(Math.max(...s.indices)).toBeLessThan(2 * 64);
    for (let q = 0; q < 80; q++) {
      const w = s.weights.slice(q * 5, q * 5 + 5);
      expect(Math.abs(w.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
      expect(Math.min(...w)).toBeGreaterThanOrEqual(0);
    }
  }
  expect(Object.keys(r.timings)).toEqual(expect.arrayContaining([...JOB_STEPS, 'part: encode content', 'part: decode']));
  job.dispose();
  await expectNoLeaks(async () => (await stylizeJob(model, content, styles, { size: 32 })).dispose(), 'stylizeJob');
});

it('with every control (strength, weights, regions, colour) the job equals stylize() of the prepared images, restyle equals stylize() at the new strength, and the masks follow the crop', async () => {
  // Style 1 on the left 20 of 50 columns, style 2 elsewhere: the content is resized to 43 wide and cropped to 40 (offset 2).
  const masks = [half(50, 37, 20, true), half(50, 37, 20, false)];
  const controls: JobControls = { strength: 0.7, styleWeights: [1, 0.5], preserveColor: 'luminance', masks };
  const job = await stylizeJob(model, content, styles, { size: 32, controls });
  const r = job.result;
  expect(maxDiff(await reference(controls, 32), r.output)).toBeLessThan(1e-5);
  expect(r.controls).toEqual({ strength: 0.7, styleWeights: [1, 0.5], preserveColor: 'luminance' });
  // The masks as the network got them: the content's 40 × 32, the split at 20·43/50 − 2 ≈ 15.
  expect(r.masks!.map((m) => [m.width, m.height])).toEqual([
    [40, 32],
    [40, 32],
  ]);
  const row = Array.from(r.masks![0].data.slice(0, 40));
  expect(row.slice(0, 14).every((v) => v === 255)).toBe(true);
  expect(row.slice(17).every((v) => v === 0)).toBe(true);
  // A graph per style, each in its own pool (one 32² exemplar: 64 rows), and the mix per latent pixel.
  expect(r.graph.styles.map((s) => [s.style, s.images])).toEqual([
    [0, [0]],
    [1, [1]],
  ]);
  for (const s of r.graph.styles) for (const st of s.stages) expect(Math.max(...st.indices)).toBeLessThan(64);
  const mix = r.graph.mix as { data: Float32Array; styles: number };
  expect(mix.styles).toBe(2);
  expect(mix.data.length).toBe(2 * 80);
  expect(mix.data[0]).toBeCloseTo(1, 5); // latent (0, 0): style 1 alone
  expect(mix.data[80 + 9]).toBeCloseTo(1, 5); // latent (0, 9): style 2 alone
  // The inspector's view of a pixel: k neighbours per style, each from that style's image, with its share.
  const n = neighboursAt(r, 1, 1);
  expect(n.stages.map((s) => s.length)).toEqual([10, 10]);
  expect(n.stages[0].map((nb) => nb.image)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  expect(n.stages[0][0].share).toBeCloseTo(1, 5);
  expect(n.stages[0][5].share).toBeCloseTo(0, 5);
  // The slider: one decoding of the same codes at another strength, as stylize() at that strength.
  for (const s of [0, 0.35, 1]) {
    const { output, ms } = await job.restyle(s);
    expect(ms).toBeGreaterThan(0);
    expect(maxDiff(await reference({ ...controls, strength: s }, 32), output)).toBeLessThan(1e-5);
  }
  await expectNoLeaks(async () => {
    const { output } = await job.restyle(0.5);
    expect(output.length).toBe(40 * 32 * 3);
  }, 'restyle');
  job.dispose();
  await expectNoLeaks(async () => (await stylizeJob(model, content, styles, { size: 32, controls })).dispose(), 'stylizeJob with controls');
});

it("a result's prepared images with its own graphs replayed give the same result; other graphs, another result", async () => {
  for (const controls of [{}, { styleWeights: [0.2, 1], strength: 0.6 }] as JobControls[]) {
    const job = await stylizeJob(model, content, styles, { size: 32, controls });
    const r = job.result;
    job.dispose();
    const graph = r.graph.styles.map((s) => s.stages.map((st) => st.indices));
    const again = { size: 32, prepared: true, controls, neighbours: graph };
    const replayed = await stylizeJob(model, r.content, r.exemplars, again);
    expect(Array.from(replayed.result.output)).toEqual(Array.from(r.output));
    expect(Array.from(replayed.result.graph.styles[0].stages[1].indices)).toEqual(Array.from(graph[0][1]));
    replayed.dispose();
    const shifted = graph.map((g) => g.map((ix) => ix.map((j) => (j + 1) % 64)));
    const other = await stylizeJob(model, r.content, r.exemplars, { ...again, neighbours: shifted });
    expect(maxDiff(other.result.output, r.output)).toBeGreaterThan(1e-3);
    other.dispose();
    await expectNoLeaks(async () => (await stylizeJob(model, r.content, r.exemplars, again)).dispose(), 'stylizeJob replaying a graph');
  }
});

it('refuses inputs that do not fit, saying what it expected', async () => {
  expect(() => prepareImages(model, content, [], 32)).toThrow(/stylizeJob: expected at least one style image, received none/);
  expect(() => prepareImages(model, content, styles, 8)).toThrow(/stylizeJob: expected a working size ≥ 32, received 8/);
  expect(() => prepareImages(model, { width: 2, height: 2, data: [1, 2, 3] }, styles, 32)).toThrow(
    /expected 2×2×3 = 12 bytes of RGB, received 3/,
  );
  expect(() => prepareImages(model, content, styles, 32, [{ width: 4, height: 4, data: [1] }])).toThrow(
    /expected mask 1 of 4×4 = 16 levels, received 1/,
  );
  // Refused before any work, and nothing is left behind.
  await expectNoLeaks(async () => {
    await expect(stylizeJob(model, content, styles, { size: 32, controls: { strength: 2 } })).rejects.toThrow(
      /expected strength a number in \[0, 1\]/,
    );
    await expect(stylizeJob(model, content, styles, { size: 32, controls: { styleWeights: [1] } })).rejects.toThrow(
      /expected one style weight per style \(2\)/,
    );
  }, 'refused stylizeJob');
});

it('poolPosition maps a pool row to its exemplar and latent pixel', () => {
  const latent = { height: 8, width: 10, exemplars: 3, exemplarHeight: 4, exemplarWidth: 5, k: 5, scale: 4 };
  expect(poolPosition(0, latent)).toEqual({ exemplar: 0, row: 0, col: 0 });
  expect(poolPosition(19, latent)).toEqual({ exemplar: 0, row: 3, col: 4 });
  expect(poolPosition(20, latent)).toEqual({ exemplar: 1, row: 0, col: 0 });
  expect(poolPosition(47, latent)).toEqual({ exemplar: 2, row: 1, col: 2 });
});
