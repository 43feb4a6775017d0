import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { weightedLossSum } from '@tpfr/losses';
import { createSyntheticDataset } from '@tpfr/models/data';
import { MICRO_MODEL } from '@tpfr/testing';
import { TpfrTrainer } from './trainer.js';
import { auxiliaryTerms, discriminatorTerms, mainTerms, type UpdateOptions } from './updates.js';
import type { TpfrModel } from '../model/model.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const vars = (model: TpfrModel, parts: (keyof ReturnType<TpfrModel['parts']>)[]) =>
  parts.flatMap((p) => model.parts()[p].trainableWeights.map((w) => w.read() as tf.Variable));

/** Largest |a − b| over max(1, |b|), over every value. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

describe('recompute (gradient checkpointing) in training', () => {
  it("gives each update's losses and gradients of the plain step (aux, main, discriminator; 1 and 2 paintings per pool)", async () => {
    const model = TpfrTrainer.createModel(MICRO_MODEL, 3);
    const data = createSyntheticDataset({ size: 32, seed: 3 });
    const batch = data.sampleBatch(0, 2);
    const fakes = tf.concat([batch.photoA, batch.paintingB], 0) as tf.Tensor4D;
    for (const peerPaintings of [1, 2] as const) {
      const base: UpdateOptions = { adversarial: 'ls', peerPaintings };
      const updates = [
        { name: 'aux', trained: vars(model, ['encoder', 'auxDecoder']), terms: (o: UpdateOptions) => auxiliaryTerms(model, batch, o) },
        {
          name: 'main',
          trained: vars(model, ['recombination', 'mainDecoder']),
          terms: (o: UpdateOptions) => mainTerms(model, batch, 5, o).terms,
        },
        {
          name: 'disc',
          trained: vars(model, ['discriminator']),
          terms: (o: UpdateOptions) => discriminatorTerms(model, batch, fakes, 5, o),
        },
      ];
      for (const u of updates) {
        const run = (o: UpdateOptions) =>
          tf.tidy(() => {
            model.recombinationLayer.setDropoutSeed(11);
            let terms: Record<string, tf.Scalar> = {};
            const { value, grads } = tf.variableGrads(() => {
              terms = u.terms(o);
              Object.values(terms).forEach((t) => tf.keep(t));
              return weightedLossSum(terms, {});
            }, u.trained);
            return {
              value: value.dataSync()[0],
              terms: Object.fromEntries(Object.entries(terms).map(([k, t]) => [k, t.dataSync()[0]])),
              grads: u.trained.map((v) => grads[v.name].dataSync().slice()),
            };
          });
        const plain = run(base);
        const recomputed = run({ ...base, recomputeFor: u.trained });
        const label = `${u.name}, ${peerPaintings} painting(s)`;
        expect(Object.keys(recomputed.terms), label).toEqual(Object.keys(plain.terms));
        for (const k of Object.keys(plain.terms))
          expect(relDiff([recomputed.terms[k]], [plain.terms[k]]), `${label}: ${k}`).toBeLessThan(1e-6);
        for (const [i, g] of plain.grads.entries())
          expect(relDiff(recomputed.grads[i], g), `${label}: ${u.trained[i].name}`).toBeLessThan(1e-5);
      }
    }
    model.recombinationLayer.setDropoutSeed(null);
    tf.dispose([batch.photoA, batch.paintingB, batch.photoA2, batch.paintingB2, fakes]);
    model.dispose();
  }, 120_000);

  it('trains as the plain trainer does (two steps, losses and weights), and holds no more tensors after a step', async () => {
    const run = async (recompute: boolean) => {
      const model = TpfrTrainer.createModel(MICRO_MODEL, 4);
      const trainer = new TpfrTrainer(model, createSyntheticDataset({ size: 32, seed: 4 }), {
        steps: 3,
        seed: 4,
        recompute,
        warmupSteps: 1,
      });
      const losses = [trainer.trainStep().losses, trainer.trainStep().losses];
      // The image history grows by a step's generated images; nothing else may stay.
      const before = tf.memory().numTensors;
      trainer.trainStep();
      const growth = tf.memory().numTensors - before;
      const weights = model.encoder.trainableWeights.map((w) => w.read().dataSync().slice());
      trainer.dispose();
      model.dispose();
      return { losses, weights, growth };
    };
    const plain = await run(false);
    const recomputed = await run(true);
    for (const [s, l] of plain.losses.entries())
      for (const k of Object.keys(l)) expect(relDiff([recomputed.losses[s][k]], [l[k]]), `step ${s + 1}: ${k}`).toBeLessThan(1e-5);
    for (const [i, w] of plain.weights.entries()) expect(relDiff(recomputed.weights[i], w)).toBeLessThan(1e-4);
    expect(recomputed.growth).toBe(plain.growth);
  }, 120_000);

  it('refuses a recompute that is not a boolean', () => {
    const model = TpfrTrainer.createModel(MICRO_MODEL, 1);
    expect(
      () => new TpfrTrainer(model, createSyntheticDataset({ size: 32, seed: 1 }), { steps: 1, recompute: 'yes' as unknown as boolean }),
    ).toThrow(/recompute true or false/);
    model.dispose();
  });
});
