import { expect, it } from 'vitest';
import { createSyntheticDataset } from '../data/synthetic.js';
import { resolveTrainerOptions } from './options.js';
import { describeData, planResume } from './resume.js';
import { learningRateAt } from './schedule.js';

const data = createSyntheticDataset({ size: 32, seed: 4 });
const stored = (steps: number, step: number) => ({
  step,
  options: resolveTrainerOptions('t', { steps, seed: 4 }),
  data: describeData(data),
});

it('an extension in the decay keeps the rate continuous, even when the decay then starts at a fraction of a step before 0', () => {
  const run = stored(1000, 600); // decayFrom 250
  const { options, notes } = planResume('t', run, data, { steps: 1500 });
  const o = resolveTrainerOptions('t', options);
  expect(o.decayFrom).toBe(-187.5);
  expect(learningRateAt(o, 600)).toBeCloseTo(learningRateAt(run.options as never, 600), 15);
  expect(learningRateAt(o, 1500)).toBe(0);
  expect(notes).toEqual([
    'steps: 1000 (checkpoint) → 1500',
    'steps 1000 → 1500: the decay goes on from the current rate to 0 at step 1500',
  ]);
  // Before the decay, or with an explicit decayFrom, the schedule is the stored one stretched or the given one.
  expect(planResume('t', stored(1000, 100), data, { steps: 2000 }).options.decayFrom).toBe(250);
  expect(planResume('t', run, data, { steps: 1500, decayFrom: 1000 }).options.decayFrom).toBe(1000);
});

it('refuses other data by name, unless allowed, and says what it applied', () => {
  const other = createSyntheticDataset({ size: 36, seed: 4, classes: ['stripes-pop', 'pointillist-pastel'] });
  expect(() => planResume('fn', stored(10, 5), other, {})).toThrow(
    /fn: expected the checkpoint's data, received other data \(size: checkpoint 32, given 36; renderSize: checkpoint 32, given 36; styleClasses: checkpoint \[.*\], given \["stripes-pop","pointillist-pastel"\]\)/,
  );
  const { notes } = planResume('fn', stored(10, 5), other, { batchSize: 2, seed: 4 }, true);
  expect(notes[0]).toMatch(/^data changed: size: checkpoint 32, given 36/);
  expect(notes.slice(1)).toEqual(['batchSize: 1 (checkpoint) → 2']);
});

it('describes data by its source, else by its size, with a copy of its style classes', () => {
  expect(describeData(data)).toEqual({ ...data.source, styleClasses: [...data.styleClasses] });
  expect(describeData(data).kind).toBe('synthetic');
  const plain = { size: 48, styleClasses: ['a', 'b'], sampleBatch: data.sampleBatch };
  const d = describeData(plain);
  expect(d).toEqual({ size: 48, styleClasses: ['a', 'b'] });
  expect(d.styleClasses).not.toBe(plain.styleClasses);
});

it('with nothing changed, goes on with the stored options and says nothing (also in the decay)', () => {
  const run = stored(1000, 600);
  for (const given of [{}, { steps: 1000, seed: 4 }, { steps: undefined, learningRate: undefined }]) {
    const { options, notes } = planResume('t', run, data, given);
    expect(options).toEqual(run.options);
    expect(notes).toEqual([]);
  }
  expect(run.options.decayFrom).toBe(250); // the stored options are not changed
});

it('compares only what the checkpoint describes of its data', () => {
  const run = { ...stored(10, 5), data: { size: 32, styleClasses: [...data.styleClasses] } };
  expect(planResume('t', run, data, {}).notes).toEqual([]);
});

it('refuses fewer steps than the checkpoint has done, and accepts as many', () => {
  expect(() => planResume('fn', stored(1000, 600), data, { steps: 599 })).toThrow(
    /^fn: expected steps ≥ the checkpoint's step 600, received 599$/,
  );
  expect(() => planResume('fn', stored(1000, 600), data, { steps: NaN })).toThrow(
    /^fn: expected steps ≥ the checkpoint's step 600, received NaN$/,
  );
  expect(planResume('fn', stored(1000, 600), data, { steps: 600 }).options.decayFrom).toBe(600);
});

it('a shortened run in the decay keeps the current rate and reaches 0 at the new end', () => {
  const run = stored(1000, 600);
  const { options, notes } = planResume('t', run, data, { steps: 800 });
  expect(options.decayFrom).toBe(425); // 800 − 200 · 750 / 400
  const o = resolveTrainerOptions('t', options);
  expect(learningRateAt(o, 600)).toBeCloseTo(learningRateAt(run.options as never, 600), 15);
  expect(notes).toEqual(['steps: 1000 (checkpoint) → 800', 'steps 1000 → 800: the decay goes on from the current rate to 0 at step 800']);
});

it('an extension from the first step of the decay stretches it from there', () => {
  const { options, notes } = planResume('t', stored(1000, 250), data, { steps: 2000 });
  expect(options.decayFrom).toBe(250);
  expect(notes).toEqual([
    'steps: 1000 (checkpoint) → 2000',
    'steps 1000 → 2000: the decay goes on from the current rate to 0 at step 2000',
  ]);
  // One step before the decay: the stored decayFrom stays, and nothing else is said.
  expect(planResume('t', stored(1000, 249), data, { steps: 2000 }).notes).toEqual(['steps: 1000 (checkpoint) → 2000']);
});

it('a finished run extended restarts at the base rate and decays to 0 at the new end', () => {
  const run = stored(1000, 1000);
  const { options, notes } = planResume('t', run, data, { steps: 1200, learningRate: 1e-3 });
  expect(options.decayFrom).toBe(1000);
  expect(options.learningRate).toBe(1e-3);
  expect(notes).toEqual([
    'steps: 1000 (checkpoint) → 1200',
    'learningRate: 0.0004 (checkpoint) → 0.001',
    'the run had finished (rate 0): the rate restarts at 0.0004 and decays to 0 at step 1200',
  ]);
  const o = resolveTrainerOptions('t', options);
  expect([1000, 1100, 1200].map((s) => learningRateAt(o, s))).toEqual([1e-3, 5e-4, 0]);
});

it('reports each changed option with both values as JSON', () => {
  const { options, notes } = planResume('t', stored(10, 5), data, { adversarial: 'bce', weights: { reconstruction: 3 }, decayFrom: 8 });
  expect(options).toMatchObject({ adversarial: 'bce', weights: { reconstruction: 3 }, decayFrom: 8, steps: 10 });
  expect(notes).toEqual([
    'adversarial: "ls" (checkpoint) → "bce"',
    'weights: {"reconstruction":25,"adversarial":1,"contentFeatureCycle":1,"metricLearning":1,"latentCycle":1,"transferLatentCycle":1} (checkpoint) → {"reconstruction":3}',
    'decayFrom: 2 (checkpoint) → 8',
  ]);
});
