import { describe, expect, it } from 'vitest';
import { DEFAULT_LOSS_WEIGHTS } from '@tpfr/losses';
import { TRAINER_OPTION_NAMES, resolveTrainerOptions, type TrainerOptions } from './options.js';

const resolve = (o: unknown) => resolveTrainerOptions('fn', o as TrainerOptions);

describe('resolveTrainerOptions', () => {
  it('lists the option names in checkpoint order', () => {
    expect(TRAINER_OPTION_NAMES).toEqual([
      'seed',
      'steps',
      'batchSize',
      'learningRate',
      'beta1',
      'beta2',
      'decayFrom',
      'adversarial',
      'imageHistorySize',
      'weights',
      'warmupSteps',
      'warmupBatchSize',
      'emaDecay',
      'peerPaintings',
      'recompute',
    ]);
  });

  it('fills in every default', () => {
    expect(resolve({ steps: 10 })).toEqual({
      steps: 10,
      batchSize: 1,
      learningRate: 4e-4,
      beta1: 0.5,
      beta2: 0.999,
      decayFrom: 2,
      weights: { ...DEFAULT_LOSS_WEIGHTS },
      adversarial: 'ls',
      imageHistorySize: 50,
      warmupSteps: 0,
      warmupBatchSize: 4,
      emaDecay: 0,
      peerPaintings: 1,
      seed: 0,
      recompute: false,
    });
    // decayFrom = ⌊steps / 4⌋; warmupBatchSize = 4 × batchSize.
    expect(resolve({ steps: 7, batchSize: 3 })).toMatchObject({ decayFrom: 1, batchSize: 3, warmupBatchSize: 12 });
  });

  it('keeps every given value, and merges the loss weights over the defaults', () => {
    const given = {
      steps: 20,
      batchSize: 2,
      learningRate: 1e-3,
      beta1: 0.9,
      beta2: 0.99,
      decayFrom: -1.5,
      weights: { reconstruction: 3, adversarial: 0 },
      adversarial: 'bce',
      imageHistorySize: 0,
      warmupSteps: 5,
      warmupBatchSize: 3,
      emaDecay: 0.999,
      peerPaintings: 2,
      seed: 7,
      recompute: true,
    } as const;
    expect(resolve(given)).toEqual({ ...given, weights: { ...DEFAULT_LOSS_WEIGHTS, reconstruction: 3, adversarial: 0 } });
    expect(DEFAULT_LOSS_WEIGHTS.reconstruction).toBe(25); // not changed by the merge
  });

  it('refuses what is not an options object', () => {
    expect(() => resolve(null)).toThrow(/^fn: expected options \{ steps, … \}, received null$/);
    expect(() => resolve(5)).toThrow(/^fn: expected options \{ steps, … \}, received 5$/);
    expect(() => resolve(undefined)).toThrow(/^fn: expected options \{ steps, … \}, received undefined$/);
  });

  it('refuses unknown option names, naming all of them', () => {
    expect(() => resolve({ steps: 1, stepz: 2, lr: 1 })).toThrow(
      /^fn: expected options among seed, steps, batchSize, learningRate, beta1, beta2, decayFrom, adversarial, imageHistorySize, weights, warmupSteps, warmupBatchSize, emaDecay, peerPaintings, recompute, received unknown stepz, lr$/,
    );
  });

  it.each([
    [{ steps: 0 }, /^fn: expected steps to be an integer >= 1, received 0$/],
    [{ steps: 1.5 }, /^fn: expected steps to be an integer >= 1, received 1.5$/],
    [{}, /^fn: expected steps to be an integer >= 1, received undefined$/],
    [{ steps: 1, batchSize: 0 }, /^fn: expected batchSize to be an integer >= 1, received 0$/],
    [{ steps: 1, batchSize: 2.5 }, /^fn: expected batchSize to be an integer >= 1, received 2.5$/],
    [{ steps: 1, learningRate: 0 }, /^fn: expected learningRate > 0, received 0$/],
    [{ steps: 1, learningRate: -1e-3 }, /^fn: expected learningRate > 0, received -0.001$/],
    [{ steps: 1, learningRate: NaN }, /^fn: expected learningRate > 0, received NaN$/],
    [{ steps: 1, emaDecay: -0.1 }, /^fn: expected emaDecay in \[0, 1\), received -0.1$/],
    [{ steps: 1, emaDecay: 1 }, /^fn: expected emaDecay in \[0, 1\), received 1$/],
    [{ steps: 1, emaDecay: NaN }, /^fn: expected emaDecay in \[0, 1\), received NaN$/],
    [{ steps: 1, peerPaintings: 3 }, /^fn: expected peerPaintings 1 or 2, received 3$/],
    [{ steps: 1, peerPaintings: 0 }, /^fn: expected peerPaintings 1 or 2, received 0$/],
    [{ steps: 1, adversarial: 'wgan' }, /^fn: expected adversarial 'ls' or 'bce', received wgan$/],
    [{ steps: 1, decayFrom: NaN }, /^fn: expected decayFrom a finite number, received NaN$/],
    [{ steps: 1, decayFrom: Infinity }, /^fn: expected decayFrom a finite number, received Infinity$/],
    [{ steps: 1, warmupSteps: -1 }, /^fn: expected warmupSteps to be an integer >= 0, received -1$/],
    [{ steps: 1, warmupSteps: 0.5 }, /^fn: expected warmupSteps to be an integer >= 0, received 0.5$/],
    [{ steps: 1, imageHistorySize: -1 }, /^fn: expected imageHistorySize to be an integer >= 0, received -1$/],
    [{ steps: 1, imageHistorySize: 2.5 }, /^fn: expected imageHistorySize to be an integer >= 0, received 2.5$/],
  ])('refuses %j', (o, message) => {
    expect(() => resolve(o)).toThrow(message);
  });

  it('accepts the edges of each range', () => {
    const o = resolve({
      steps: 1,
      learningRate: 1e-9,
      emaDecay: 0,
      warmupSteps: 0,
      imageHistorySize: 0,
      decayFrom: -1e6,
      peerPaintings: 2,
      adversarial: 'bce',
    });
    expect(o).toMatchObject({
      learningRate: 1e-9,
      emaDecay: 0,
      warmupSteps: 0,
      imageHistorySize: 0,
      decayFrom: -1e6,
      peerPaintings: 2,
      adversarial: 'bce',
    });
    expect(resolve({ steps: 1, emaDecay: 0.9999, peerPaintings: 1, adversarial: 'ls' })).toMatchObject({
      emaDecay: 0.9999,
      peerPaintings: 1,
      adversarial: 'ls',
    });
  });

  it('refuses unknown loss-weight names, listing the known ones', () => {
    expect(() => resolve({ steps: 1, weights: { reconstruction: 1, reconstrution: 2, adv: 1 } })).toThrow(
      /^fn: expected loss weights named reconstruction, adversarial, contentFeatureCycle, metricLearning, latentCycle, transferLatentCycle, received unknown reconstrution, adv$/,
    );
  });

  it('refuses loss weights that are negative, not finite or not numbers, naming each, and accepts 0', () => {
    expect(() => resolve({ steps: 1, weights: { adversarial: -1, reconstruction: 2, latentCycle: NaN } })).toThrow(
      /^fn: expected loss weights finite and ≥ 0, received adversarial: -1, latentCycle: NaN$/,
    );
    expect(() => resolve({ steps: 1, weights: { metricLearning: Infinity } })).toThrow(
      /^fn: expected loss weights finite and ≥ 0, received metricLearning: Infinity$/,
    );
    expect(() => resolve({ steps: 1, weights: { metricLearning: '2' } })).toThrow(
      /^fn: expected loss weights finite and ≥ 0, received metricLearning: 2$/,
    );
    expect(resolve({ steps: 1, weights: { metricLearning: 0 } }).weights.metricLearning).toBe(0);
  });
});
