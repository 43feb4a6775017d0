import fc from 'fast-check';
import { expect, it } from 'vitest';
import { differingRows } from './graph-diff.js';

it('differingRows finds the rows whose neighbour sets differ, ignoring the order within a row', () => {
  const a = Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(differingRows(a, Int32Array.from([3, 2, 1, 4, 5, 6, 9, 8, 7]), 3)).toEqual([]);
  expect(differingRows(a, Int32Array.from([1, 2, 3, 4, 5, 0, 7, 8, 9]), 3)).toEqual([1]);
  expect(differingRows(a, Int32Array.from([1, 2, 3]), 3)).toEqual([1, 2]);
  expect(() => differingRows(a, a, 0)).toThrow(/differingRows: expected k an integer ≥ 1, received 0/);
});

it('differingRows of a graph and any shuffle of its rows is empty; changing one entry flags its row (seeded property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 40 }),
      fc.nat(),
      (k, flat, at) => {
        const rows = Math.floor(flat.length / k);
        fc.pre(rows > 0);
        // Distinct entries per row, as neighbour lists have.
        const g = Int32Array.from({ length: rows * k }, (_, i) => Math.floor(i / k) * 100 + (i % k) * 7 + (flat[i] % 7));
        const shuffled = g.slice();
        for (let r = 0; r < rows; r++) shuffled.subarray(r * k, r * k + k).reverse();
        expect(differingRows(g, shuffled, k)).toEqual([]);
        const changed = g.slice();
        changed[at % g.length] = -1;
        expect(differingRows(g, changed, k)).toEqual([Math.floor((at % g.length) / k)]);
      },
    ),
    { seed: 23, numRuns: 50 },
  );
});
