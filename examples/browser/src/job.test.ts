import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { stylize, toModelRange } from '@tpfr/models';
import { TpfrTrainer } from '@tpfr/models/train';
import { JOB_STEPS, prepareImages, stylizeJob, type Pixels } from './job.js';
import { poolPosition } from './pool-position.js';

/** Seeded 8-bit RGB noise with some structure. */
function pixels(width: number, height: number, seed: number): Pixels {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i + seed * 7919, 2654435761) >>> 24) ^ ((i / 3 / width) * 4);
  return { width, height, data };
}

it("the page's job equals stylize() of the prepared images, with both stages' neighbours and weights, and leaks nothing", async () => {
  await initBackend('wasm');
  const model = TpfrTrainer.createModel('tiny', 3);
  const content = pixels(50, 37, 1);
  const styles = [pixels(40, 44, 2), pixels(45, 33, 3)];
  const steps: string[] = [];
  const r = await stylizeJob(model, content, styles, { size: 32, onProgress: (_, name) => void steps.push(name) });
  expect(steps).toEqual([...JOB_STEPS]);
  // Shorter side 37 → 32: 50 → 43, cropped to the multiple of 4: 40 × 32. Exemplars 32 × 32.
  expect([r.width, r.height, r.content.width, r.content.height]).toEqual([40, 32, 40, 32]);
  expect(r.exemplars.map((e) => [e.width, e.height])).toEqual([
    [32, 32],
    [32, 32],
  ]);
  expect(r.latent).toEqual({ height: 8, width: 10, exemplars: 2, exemplarHeight: 8, exemplarWidth: 8, k: 5, scale: 4 });
  const prepared = prepareImages(model, content, styles, 32);
  const reference = tf.tidy(() =>
    stylize(
      model,
      toModelRange(prepared.content),
      prepared.exemplars.map((e) => toModelRange(e)),
    ),
  );
  const ref = await reference.data();
  expect(Math.max(...Array.from(ref, (v, i) => Math.abs(v - r.output[i])))).toBeLessThan(1e-5);
  tf.dispose([reference, prepared.content, ...prepared.exemplars]);
  for (const s of r.attention) {
    expect(s.indices.length).toBe(8 * 10 * 5);
    expect(Math.max(...s.indices)).toBeLessThan(2 * 64);
    for (let q = 0; q < 80; q++) {
      const w = s.weights.slice(q * 5, q * 5 + 5);
      expect(Math.abs(w.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
      expect(Math.min(...w)).toBeGreaterThanOrEqual(0);
    }
  }
  await expectNoLeaks(() => stylizeJob(model, content, styles, { size: 32 }), 'stylizeJob');
  // Its prepared images with its own graph replayed give the same result; another graph, another result.
  const graph = r.attention.map((a) => a.indices) as [Int32Array, Int32Array];
  const replayed = await stylizeJob(model, r.content, r.exemplars, { size: 32, prepared: true, neighbours: graph });
  expect(Array.from(replayed.output)).toEqual(Array.from(r.output));
  expect(Array.from(replayed.attention[1].indices)).toEqual(Array.from(graph[1]));
  const shifted = graph.map((ix) => ix.map((j) => (j + 1) % 128)) as [Int32Array, Int32Array];
  const other = await stylizeJob(model, r.content, r.exemplars, { size: 32, prepared: true, neighbours: shifted });
  expect(Array.from(other.attention[0].indices)).toEqual(Array.from(shifted[0]));
  expect(Math.max(...Array.from(other.output, (v, i) => Math.abs(v - r.output[i])))).toBeGreaterThan(1e-3);
  await expectNoLeaks(
    () => stylizeJob(model, r.content, r.exemplars, { size: 32, prepared: true, neighbours: graph }),
    'stylizeJob replaying a graph',
  );
  expect(() => prepareImages(model, content, [], 32)).toThrow(/stylizeJob: expected at least one style image, received none/);
  expect(() => prepareImages(model, content, styles, 8)).toThrow(/stylizeJob: expected a working size ≥ 32, received 8/);
  expect(() => prepareImages(model, { width: 2, height: 2, data: [1, 2, 3] }, styles, 32)).toThrow(
    /expected 2×2×3 = 12 bytes of RGB, received 3/,
  );
  model.dispose();
});

it('poolPosition maps a pool row to its exemplar and latent pixel', () => {
  const latent = { height: 8, width: 10, exemplars: 3, exemplarHeight: 4, exemplarWidth: 5, k: 5, scale: 4 };
  expect(poolPosition(0, latent)).toEqual({ exemplar: 0, row: 0, col: 0 });
  expect(poolPosition(19, latent)).toEqual({ exemplar: 0, row: 3, col: 4 });
  expect(poolPosition(20, latent)).toEqual({ exemplar: 1, row: 0, col: 0 });
  expect(poolPosition(47, latent)).toEqual({ exemplar: 2, row: 1, col: 2 });
});
