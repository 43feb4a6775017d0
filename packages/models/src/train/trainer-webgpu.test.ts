/**
 * Training on WebGPU in Node: Dawn (the optional `webgpu` package) on SwiftShader's CPU Vulkan
 * driver, as stylize-webgpu.test.ts. Each update's gradients (auxiliary, main, discriminator)
 * equal wasm's within tolerance, with a gradient for every variable (a missing gradient kernel
 * throws), for the micro model (also with each network recomputed block by block in the backward pass) and for the paper preset's topology at an eighth of its width, and a whole step (`trainStepAsync`: WebGPU has no synchronous read in Node) gives
 * wasm's losses and weights. Skipped with a message where no adapter is found, required where
 * TPFR_REQUIRE_WEBGPU=1 (`.ci/run`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { expect, it } from 'vitest';
import { MICRO_MODEL, probeNodeWebGpu } from '@tpfr/testing';
import { initBackend } from '@tpfr/core';
import { weightedLossSum } from '@tpfr/losses';
import { createSyntheticDataset } from '@tpfr/models/data';
import type { TpfrModel } from '../model/model.js';
import { resolveTrainerOptions } from './options.js';
import { TpfrTrainer } from './trainer.js';
import { auxiliaryTerms, discriminatorTerms, mainTerms } from './updates.js';

const { why, skip } = await probeNodeWebGpu('training');

const SEED = 5;
/**
 * The paper preset's layers (6 residual blocks, instance norm, global style, transposed upsampling)
 * at width 8: the full width (64) takes over 10 minutes on SwiftShader.
 */
const PAPER_TOPOLOGY = { preset: 'paper', ngf: 8, ndf: 8 } as const;
const vars = (models: tfl.LayersModel[]) => models.flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));

type Gradients = Record<string, Record<string, Float32Array>>;

/** Each update's gradients by variable name, on the active backend, for a seeded model and batch. */
async function gradients(
  config: Parameters<typeof TpfrTrainer.createModel>[0] = MICRO_MODEL,
  batchSize = 2,
  recompute = false,
): Promise<Gradients> {
  const model: TpfrModel = TpfrTrainer.createModel(config, SEED);
  const o = resolveTrainerOptions('test', { steps: 1, seed: SEED });
  const batch = createSyntheticDataset({ size: 32, seed: SEED }).sampleBatch(0, batchSize);
  const out: Record<string, Record<string, Float32Array>> = {};
  // With `recompute`, each block of each network runs again in the backward pass (the trainer's `recompute`).
  const opts = (list: tf.Variable[]) => (recompute ? { ...o, recomputeFor: list } : o);
  const grads = async (name: string, f: () => tf.Scalar, list: tf.Variable[]) => {
    const { value, grads: g } = tf.variableGrads(f, list);
    expect(Object.keys(g).length, `${name}: a gradient for every variable`).toBe(list.length);
    out[name] = {};
    // By position (layer names differ between two models of one process) and weight name.
    for (const [i, v] of list.entries()) out[name][`${i} [${v.shape.join(',')}]`] = (await g[v.name].data()) as Float32Array;
    out[name]['(loss)'] = (await value.data()) as Float32Array;
    tf.dispose([value, ...Object.values(g)]);
  };
  try {
    const auxVars = vars([model.encoder, model.auxDecoder]);
    await grads('aux', () => weightedLossSum(auxiliaryTerms(model, batch, opts(auxVars)), o.weights), auxVars);
    model.recombinationLayer.setDropoutSeed(7);
    const mainVars = vars([model.recombination, model.mainDecoder]);
    await grads('main', () => weightedLossSum(mainTerms(model, batch, 11, opts(mainVars)).terms, o.weights), mainVars);
    model.recombinationLayer.setDropoutSeed(7);
    const fakes = tf.tidy(() => {
      const r = mainTerms(model, batch, 11, o);
      return tf.concat([r.reconstruction, r.stylized], 0) as tf.Tensor4D;
    });
    const discVars = vars([model.discriminator]);
    await grads('disc', () => weightedLossSum(discriminatorTerms(model, batch, fakes, 11, opts(discVars)), o.weights), discVars);
    fakes.dispose();
  } finally {
    model.recombinationLayer.setDropoutSeed(null);
    tf.dispose([batch.photoA, batch.paintingB, batch.photoA2, batch.paintingB2]);
    model.dispose();
  }
  return out;
}

/** Each update's gradients on WebGPU against wasm's: the loss and every variable's, within tolerance. */
function expectSameGradients(cpu: Gradients, gpu: Gradients): void {
  for (const update of ['aux', 'main', 'disc']) {
    expect(Object.keys(gpu[update]).sort()).toEqual(Object.keys(cpu[update]).sort());
    // The update's largest gradient entry: a gradient that is ~0 in exact arithmetic (a conv bias
    // before an instance norm) is float noise on both backends, compared against this scale.
    const whole = Math.max(
      ...Object.entries(cpu[update])
        .filter(([k]) => k !== '(loss)')
        .map(([, g]) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0)),
    );
    for (const [name, ref] of Object.entries(cpu[update])) {
      const got = gpu[update][name];
      let scale = 0;
      let diff = 0;
      for (let i = 0; i < ref.length; i++) {
        scale = Math.max(scale, Math.abs(ref[i]));
        diff = Math.max(diff, Math.abs(got[i] - ref[i]));
      }
      // Relative to the gradient's largest entry (float32 sums in another order), at least 1e-3 of the update's.
      expect(diff / Math.max(scale, 1e-3 * whole), `${update} ${name}`).toBeLessThan(2e-3);
    }
  }
}

it.skipIf(skip)(
  "each update's gradients on WebGPU (Dawn in Node) equal wasm's, every variable getting one, and so do they with each block recomputed in the backward pass",
  async () => {
    if (why) throw new Error(`TPFR_REQUIRE_WEBGPU=1 but no WebGPU adapter: ${why}`);
    await initBackend('wasm');
    const cpu = await gradients();
    await initBackend('webgpu');
    const gpu = await gradients();
    const gpuRecomputed = await gradients(MICRO_MODEL, 2, true);
    await initBackend('wasm');
    expectSameGradients(cpu, gpu);
    expectSameGradients(cpu, gpuRecomputed);
  },
  600_000,
);

it.skipIf(skip)(
  "the paper preset's topology (6 residual blocks) at an eighth of its width: gradients on WebGPU equal wasm's at 32²",
  async () => {
    if (why) throw new Error(`TPFR_REQUIRE_WEBGPU=1 but no WebGPU adapter: ${why}`);
    await initBackend('wasm');
    const cpu = await gradients(PAPER_TOPOLOGY, 1);
    await initBackend('webgpu');
    const gpu = await gradients(PAPER_TOPOLOGY, 1);
    await initBackend('wasm');
    expectSameGradients(cpu, gpu);
  },
  600_000,
);

it.skipIf(skip)(
  "a training step on WebGPU (trainStepAsync) gives wasm's losses and weights; nearly all its weights",
  async () => {
    if (why) throw new Error(`TPFR_REQUIRE_WEBGPU=1 but no WebGPU adapter: ${why}`);
    const step = async (backend: 'wasm' | 'webgpu') => {
      await initBackend(backend);
      const model = TpfrTrainer.createModel(MICRO_MODEL, SEED);
      const trainer = new TpfrTrainer(model, createSyntheticDataset({ size: 32, seed: SEED }), { steps: 2, seed: SEED, warmupSteps: 1 });
      const warm = await trainer.trainStepAsync();
      const info = await trainer.trainStepAsync();
      const weights = await Promise.all(
        [model.encoder, model.recombination, model.mainDecoder, model.auxDecoder, model.discriminator]
          .flatMap((m) => m.getWeights())
          .map(async (w) => (await w.data()) as Float32Array),
      );
      trainer.dispose();
      model.dispose();
      return { losses: { ...warm.losses, ...info.losses }, weights };
    };
    const cpu = await step('wasm');
    const gpu = await step('webgpu');
    await initBackend('wasm');
    expect(Object.keys(gpu.losses)).toEqual(Object.keys(cpu.losses));
    for (const [k, v] of Object.entries(cpu.losses)) expect(Math.abs(gpu.losses[k] - v) / Math.max(1, Math.abs(v)), k).toBeLessThan(1e-4);
    // Adam's first steps move each weight by about ±lr whatever the gradient's size, so a weight
    // whose gradient is ~0 may move either way: nearly all weights agree, none by more than 2·lr a step.
    let [diff, off, n] = [0, 0, 0];
    cpu.weights.forEach((w, i) =>
      w.forEach((v, j) => {
        const d = Math.abs(gpu.weights[i][j] - v);
        diff = Math.max(diff, d);
        if (d > 1e-5) off++;
        n++;
      }),
    );
    expect(diff).toBeLessThan(2 * 2 * 2e-4 * 1.01);
    expect(off / n).toBeLessThan(0.01);
  },
  600_000,
);
