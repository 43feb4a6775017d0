import { expect, it } from 'vitest';
import { learningRateAt } from './schedule.js';

it('is constant until decayFrom, then falls linearly to 0 at steps, and stays 0 after', () => {
  const o = { learningRate: 2, decayFrom: 2, steps: 10 };
  // lr · (steps − step) / (steps − decayFrom) from decayFrom on.
  expect([0, 1, 1.999, 2, 4, 6, 9, 10, 11, 20].map((s) => learningRateAt(o, s))).toEqual([2, 2, 2, 2, 1.5, 1, 0.25, 0, 0, 0]);
});

it('decays from a fraction of a step, or from before 0', () => {
  expect(learningRateAt({ learningRate: 1, decayFrom: -2, steps: 6 }, 0)).toBe(0.75);
  expect(learningRateAt({ learningRate: 1, decayFrom: 2.5, steps: 7.5 }, 5)).toBe(0.5);
});

it('a decay shorter than one step falls over one step (no division by less than 1)', () => {
  // steps − decayFrom = 0.5: the rate falls by lr per step, not by 2·lr.
  expect(learningRateAt({ learningRate: 1, decayFrom: 9.5, steps: 10 }, 9.5)).toBe(0.5);
  expect(learningRateAt({ learningRate: 1, decayFrom: 9.5, steps: 10 }, 9.75)).toBe(0.25);
  // decayFrom = steps: the last step already has rate 0 (the run ends there).
  expect(learningRateAt({ learningRate: 1, decayFrom: 10, steps: 10 }, 10)).toBe(0);
  expect(learningRateAt({ learningRate: 1, decayFrom: 10, steps: 10 }, 9)).toBe(1);
});
