import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { weightedLossSum } from '@tpfr/losses';
import { createSyntheticDataset } from '@tpfr/models/data';
import { MICRO_MODEL } from '@tpfr/testing';
import { TpfrTrainer } from './trainer.js';
import type { TpfrModel } from '../model/model.js';
import { auxiliaryTerms } from './updates.js';

const ZERO = { reconstruction: 0, adversarial: 0, contentFeatureCycle: 0, metricLearning: 0, latentCycle: 0, transferLatentCycle: 0 };

/** The trainable weights of each sub-model, copied. */
function snapshot(model: TpfrModel): Record<string, Float32Array[]> {
  const parts = model.parts();
  return Object.fromEntries(
    Object.entries(parts).map(([k, m]) => [k, m.trainableWeights.map((w) => w.read().dataSync().slice() as Float32Array)]),
  );
}
/** Lets vitest's worker talk to the main process between long synchronous steps. */
const tick = () => new Promise((r) => setImmediate(r));
const changed = (a: Float32Array[], b: Float32Array[]) => a.some((w, i) => w.some((x, j) => x !== b[i][j]));

it("each loss term's weight reaches its update: weights of 0 leave that update's variables unchanged", async () => {
  await initBackend('wasm');
  const data = createSyntheticDataset({ size: 32, seed: 9 });
  const step = async (weights: Record<string, number>) => {
    await tick();
    const model = TpfrTrainer.createModel(MICRO_MODEL, 9);
    const trainer = new TpfrTrainer(model, data, { steps: 1, seed: 9, imageHistorySize: 0, weights });
    const before = snapshot(model);
    trainer.trainStep();
    const after = snapshot(model);
    trainer.dispose();
    model.dispose();
    return Object.fromEntries(Object.keys(before).map((k) => [k, changed(before[k], after[k])]));
  };
  // Every term at 0: no update moves anything (Adam's step of a zero gradient is zero).
  expect(await step(ZERO)).toEqual({ encoder: false, recombination: false, mainDecoder: false, auxDecoder: false, discriminator: false });
  // The auxiliary terms train the encoder and the auxiliary decoder, and only them.
  for (const term of ['reconstruction', 'contentFeatureCycle', 'metricLearning', 'latentCycle'] as const) {
    expect((await step({ ...ZERO, [term]: 1 })).encoder, term).toBe(true);
  }
  expect(await step({ ...ZERO, metricLearning: 1 })).toEqual({
    encoder: true,
    recombination: false,
    mainDecoder: false,
    auxDecoder: false,
    discriminator: false,
  });
  // The main update's terms train the TPFR layer and the main decoder (the encoder is frozen there).
  expect(await step({ ...ZERO, transferLatentCycle: 1 })).toMatchObject({
    encoder: false,
    recombination: true,
    mainDecoder: true,
    discriminator: false,
  });
  // 'adversarial' weighs both the main update's term and the discriminator's.
  expect(await step({ ...ZERO, adversarial: 1 })).toMatchObject({
    encoder: false,
    mainDecoder: true,
    discriminator: true,
    auxDecoder: false,
  });
}, 120_000);

it("the auxiliary update moves the encoder by Adam's first step of the gradient of the weighted sum", async () => {
  await initBackend('wasm');
  const data = createSyntheticDataset({ size: 32, seed: 10 });
  const weights = { reconstruction: 3, contentFeatureCycle: 0.5, metricLearning: 2, latentCycle: 0.25 };
  const model = TpfrTrainer.createModel(MICRO_MODEL, 10);
  // decayFrom −1 of 1 step: the first step's rate is half the base rate (the schedule reaches the optimizer).
  const trainer = new TpfrTrainer(model, data, {
    steps: 1,
    seed: 10,
    learningRate: 2e-3,
    decayFrom: -1,
    weights: { ...weights, adversarial: 0, transferLatentCycle: 0 },
  });
  const vars = model.encoder.trainableWeights.map((w) => w.read() as tf.Variable);
  // The gradient of Σ w·term at the initial weights, for the same batch (step 0).
  const batch = data.sampleBatch(0, 1);
  const { grads } = tf.variableGrads(() => weightedLossSum(auxiliaryTerms(model, batch, trainer.options), trainer.options.weights), vars);
  const g = vars.map((v) => grads[v.name].dataSync().slice());
  const before = vars.map((v) => v.dataSync().slice());
  tf.dispose([...Object.values(grads), batch.photoA, batch.paintingB, batch.photoA2, batch.paintingB2]);
  await tick();
  expect(trainer.trainStep().learningRate).toBe(1e-3);
  // Adam's first step: m̂ = g, v̂ = g², Δ = −lr · g / (|g| + ε), ε = 1e-7 (tfjs' float32 epsilon).
  let worst = 0;
  let moved = 0;
  vars.forEach((v, i) => {
    const after = v.dataSync();
    for (let j = 0; j < after.length; j++) {
      const expected = (-1e-3 * g[i][j]) / (Math.abs(g[i][j]) + 1e-7);
      worst = Math.max(worst, Math.abs(after[j] - before[i][j] - expected));
      if (Math.abs(g[i][j]) > 1e-5) moved++;
    }
  });
  expect(moved).toBeGreaterThan(100);
  expect(worst).toBeLessThan(2e-5); // of steps of 1e-3
  trainer.dispose();
  model.dispose();
}, 120_000);
