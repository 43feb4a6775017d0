import { expect, it } from 'vitest';
import { createSyntheticDataset } from '../data/synthetic.js';
import { resolveTrainerOptions } from './options.js';
import { describeData, planResume } from './resume.js';
import { learningRateAt } from './schedule.js';

const data = createSyntheticDataset({ size: 32, seed: 4 });
const stored = (steps: number, step: number) => ({ step, options: resolveTrainerOptions('t', { steps, seed: 4 }), data: describeData(data) });

it('an extension in the decay keeps the rate continuous, even when the decay then starts at a fraction of a step before 0', () => {
  const run = stored(1000, 600); // decayFrom 250
  const { options, notes } = planResume('t', run, data, { steps: 1500 });
  const o = resolveTrainerOptions('t', options);
  expect(o.decayFrom).toBe(-187.5);
  expect(learningRateAt(o, 600)).toBeCloseTo(learningRateAt(run.options as never, 600), 15);
  expect(learningRateAt(o, 1500)).toBe(0);
  expect(notes).toEqual(['steps: 1000 (checkpoint) → 1500', 'steps 1000 → 1500: the decay goes on from the current rate to 0 at step 1500']);
  // Before the decay, or with an explicit decayFrom, the schedule is the stored one stretched or the given one.
  expect(planResume('t', stored(1000, 100), data, { steps: 2000 }).options.decayFrom).toBe(250);
  expect(planResume('t', run, data, { steps: 1500, decayFrom: 1000 }).options.decayFrom).toBe(1000);
});

it('refuses other data by name, unless allowed, and says what it applied', () => {
  const other = createSyntheticDataset({ size: 36, seed: 4, classes: ['stripes-pop', 'pointillist-pastel'] });
  expect(() => planResume('fn', stored(10, 5), other, {})).toThrow(/fn: expected the checkpoint's data, received other data \(size: checkpoint 32, given 36; renderSize: checkpoint 32, given 36; styleClasses: checkpoint \[.*\], given \["stripes-pop","pointillist-pastel"\]\)/);
  const { notes } = planResume('fn', stored(10, 5), other, { batchSize: 2, seed: 4 }, true);
  expect(notes[0]).toMatch(/^data changed: size: checkpoint 32, given 36/);
  expect(notes.slice(1)).toEqual(['batchSize: 1 (checkpoint) → 2']);
});
