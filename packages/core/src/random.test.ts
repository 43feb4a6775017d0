import { fc, test } from '@fast-check/vitest';
import { expect, it } from 'vitest';
import { createRng, hashSeed, hashString } from './random.js';

test.prop([fc.integer(), fc.integer({ min: 1, max: 50 })], { seed: 42, numRuns: 10 })(
  'createRng is deterministic and in [0, 1)',
  (seed, n) => {
    const a = createRng(seed);
    const b = createRng(seed);
    for (let i = 0; i < n; i++) {
      const v = a.next();
      expect(v).toBe(b.next());
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  },
);

test.prop([fc.integer({ min: -100, max: 100 }), fc.integer({ min: 0, max: 100 })], { seed: 42, numRuns: 10 })(
  'int stays in its bounds',
  (min, span) => {
    const rng = createRng(min * 7 + span);
    for (let i = 0; i < 20; i++) {
      const v = rng.int(min, min + span);
      expect(Number.isInteger(v) && v >= min && v <= min + span).toBe(true);
    }
  },
);

it('hashSeed separates its parts and hashString names', () => {
  const seen = new Set<number>();
  for (let s = 0; s < 4; s++) for (let step = 0; step < 16; step++) for (let i = 0; i < 4; i++) seen.add(hashSeed(s, step, i));
  expect(seen.size).toBe(4 * 16 * 4);
  expect(hashSeed(1, 2)).not.toBe(hashSeed(2, 1));
  expect(hashString('hatch-sepia')).toBe(hashString('hatch-sepia'));
  expect(hashString('a')).not.toBe(hashString('b'));
  const rng = createRng(3);
  const mean = Array.from({ length: 2000 }, () => rng.next()).reduce((a, b) => a + b) / 2000;
  expect(mean).toBeGreaterThan(0.45);
  expect(mean).toBeLessThan(0.55);
});
