import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { createSyntheticDataset } from '@tpfr/models/data';
import { estimateTrainStepMemory, partParams, TrainMemoryBudgetError } from './memory-estimate.js';
import { TpfrTrainer } from './trainer.js';

/** The peak of tf.memory().numBytes during a second training step on wasm (every optimizer has its states by then). */
async function measuredPeak(size: number, batchSize: number, recompute = false): Promise<{ peak: number; estimate: number }> {
  const model = TpfrTrainer.createModel('tiny', 1);
  const trainer = new TpfrTrainer(model, createSyntheticDataset({ size, seed: 1 }), { steps: 2, seed: 1, batchSize, recompute });
  trainer.trainStep();
  const info = await tf.profile(() => {
    trainer.trainStep();
  });
  const estimate = trainer.estimateStepMemory().peakBytes;
  trainer.dispose();
  model.dispose();
  return { peak: info.peakBytes, estimate };
}

describe('estimateTrainStepMemory', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  // Sizes and batches besides those the coefficients were measured at (the guide's table).
  for (const [size, batch, recompute] of [
    [48, 1, false],
    [32, 2, false],
    [64, 1, true],
    [48, 2, true],
  ] as const) {
    it(`is within 15 % of the measured peak on wasm: tiny preset, ${size}², batch ${batch}${recompute ? ', recomputing activations' : ''}`, async () => {
      const { peak, estimate } = await measuredPeak(size, batch, recompute);
      console.log(
        JSON.stringify({
          preset: 'tiny',
          size,
          batch,
          recompute,
          estimateMiB: +(estimate / 2 ** 20).toFixed(1),
          peakMiB: +(peak / 2 ** 20).toFixed(1),
        }),
      );
      expect(Math.abs(estimate - peak) / peak).toBeLessThan(0.15);
    }, 60_000);
  }

  it("knows the presets' parameters without building them, and counts a model's own", () => {
    const before = tf.memory().numTensors;
    const paper = estimateTrainStepMemory('paper', { size: 64 });
    expect(tf.memory().numTensors).toBe(before);
    const model = TpfrTrainer.createModel('tiny', 0);
    expect(estimateTrainStepMemory('tiny', { size: 64 }).params).toEqual(partParams(model));
    model.dispose();
    expect(paper.params.encoder + paper.params.mainDecoder + paper.params.recombination).toBeGreaterThan(17e6);
    // Weights, two Adam moments for every weight, and activations that grow with the pixels and the batch.
    expect(paper.optimizerBytes).toBe(2 * paper.weightsBytes);
    const big = estimateTrainStepMemory('paper', { size: 128, batch: 2 });
    expect(big.activationBytes).toBeGreaterThan(4 * paper.activationBytes);
    expect(big.peakBytes).toBe(big.weightsBytes + big.optimizerBytes + big.historyBytes + big.activationBytes);
  });

  it('names the function, the expected and the received on bad sizes', () => {
    expect(() => estimateTrainStepMemory('tiny', { size: 0 })).toThrow(
      'estimateTrainStepMemory: expected size an integer >= 1, received 0',
    );
    expect(() => estimateTrainStepMemory('tiny', { size: 64, batch: 1.5 })).toThrow(
      'estimateTrainStepMemory: expected batch an integer >= 1, received 1.5',
    );
  });

  it('makes fit refuse a run above its budget before the first step, with the estimate', async () => {
    const model = TpfrTrainer.createModel('tiny', 0);
    const trainer = new TpfrTrainer(model, createSyntheticDataset({ size: 64, seed: 0 }), { steps: 1 });
    const before = tf.memory().numTensors;
    const error = await trainer.fit({ memoryBudgetBytes: 2 ** 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainMemoryBudgetError);
    expect((error as TrainMemoryBudgetError).estimate.peakBytes).toBe(trainer.estimateStepMemory().peakBytes);
    expect((error as Error).message).toMatch(
      /^TpfrTrainer\.fit: expected a training step within the memory budget of 1\.0 MiB, received an estimated peak of [\d.]+ MiB \(weights /,
    );
    expect(trainer.step).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    await expect(trainer.fit({ memoryBudgetBytes: 0 })).rejects.toThrow('TpfrTrainer.fit: expected memoryBudgetBytes > 0, received 0');
    trainer.dispose();
    model.dispose();
  });
});
