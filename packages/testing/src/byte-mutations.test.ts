import fc from 'fast-check';
import { expect, it } from 'vitest';
import { byteMutationArb, mutateBytes } from './byte-mutations.js';

it('mutateBytes cuts, sets, inserts and removes at a fraction of the length, never writing its input', () => {
  const b = Uint8Array.from([1, 2, 3, 4]);
  expect(Array.from(mutateBytes(b, [{ kind: 'cut', at: 0.5 }]))).toEqual([1, 2]);
  expect(Array.from(mutateBytes(b, [{ kind: 'set', at: 0.25, value: 9 }]))).toEqual([1, 9, 3, 4]);
  expect(Array.from(mutateBytes(b, [{ kind: 'insert', at: 1, values: Uint8Array.from([7]) }]))).toEqual([1, 2, 3, 4, 7]);
  expect(Array.from(mutateBytes(b, [{ kind: 'remove', at: 0, count: 3 }]))).toEqual([4]);
  expect(Array.from(b)).toEqual([1, 2, 3, 4]);
});

it('byteMutationArb gives edits whose result differs in length by at most the run (seeded property)', () => {
  fc.assert(
    fc.property(byteMutationArb(4), (m) => {
      const b = new Uint8Array(20);
      const out = mutateBytes(b, [m]);
      if (m.kind !== 'cut') expect(Math.abs(out.length - b.length)).toBeLessThanOrEqual(4);
      expect(Array.from(b).every((v) => v === 0)).toBe(true);
    }),
    { seed: 3, numRuns: 100 },
  );
});
