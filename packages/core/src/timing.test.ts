import { expect, it } from 'vitest';
import { collectTimings, timed } from '@tpfr/core/utils';

const busy = (ms: number) => {
  const t0 = performance.now();
  while (performance.now() - t0 < ms);
  return ms;
};

it('sums the wall time of each named part while collecting, and costs nothing otherwise', async () => {
  expect(timed('a', () => 7)).toBe(7);
  const { result, parts } = await collectTimings(() => {
    timed('a', () => busy(20));
    timed('a', () => busy(20));
    return timed('outer', () => timed('inner', () => busy(10)) + 1);
  });
  expect(result).toBe(11);
  expect(Object.keys(parts).sort()).toEqual(['a', 'inner', 'outer']);
  expect(parts.a).toBeGreaterThanOrEqual(40);
  expect(parts.inner).toBeGreaterThanOrEqual(10);
  expect(parts.outer).toBeGreaterThanOrEqual(parts.inner);
  // A part that throws still counts, and the error comes through.
  const failed = await collectTimings(async () => {
    try {
      timed('boom', () => {
        busy(5);
        throw new Error('boom');
      });
    } catch (e) {
      return (e as Error).message;
    }
  });
  expect(failed.result).toBe('boom');
  expect(failed.parts.boom).toBeGreaterThanOrEqual(5);
  // Nothing is collected outside.
  const inner = await collectTimings(() => timed('x', () => 1));
  expect(inner.parts).toHaveProperty('x');
});
