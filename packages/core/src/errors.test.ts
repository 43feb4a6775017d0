import { expect, it } from 'vitest';
import { ShapeError, TpfrError } from '@tpfr/core';

it('errors carry the function, the expectation and what was received', () => {
  const e = new ShapeError('knn', 'pool of rank 2 [M, d]', 'shape [2,2,2]');
  expect(e).toBeInstanceOf(TpfrError);
  expect(e.name).toBe('ShapeError');
  expect(e.fn).toBe('knn');
  expect(e.message).toBe('knn: expected pool of rank 2 [M, d], received shape [2,2,2]');
});
