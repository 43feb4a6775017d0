import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';

beforeAll(async () => {
  await initBackend('wasm');
});

/** `x[begin : begin + size]` of a row-major array of `shape`, by index arithmetic. */
function reference(vals: ArrayLike<number>, shape: number[], begin: number[], size: number[]): number[] {
  const out: number[] = [];
  const total = size.reduce((a, b) => a * b, 1);
  for (let i = 0; i < total; i++) {
    let rest = i;
    let src = 0;
    let stride = 1;
    const idx: number[] = [];
    for (let a = size.length - 1; a >= 0; a--) {
      idx[a] = rest % size[a];
      rest = Math.floor(rest / size[a]);
    }
    for (let a = shape.length - 1; a >= 0; a--) {
      src += (begin[a] + idx[a]) * stride;
      stride *= shape[a];
    }
    out.push(vals[src]);
  }
  return out;
}

/** A shape of rank 1–5 (tf.slice refuses scalars) with a slice inside it. */
const shapeAndSlice = fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 5 }).chain((shape) => fc.tuple(
  fc.constant(shape),
  fc.tuple(...shape.map((n) => fc.integer({ min: 0, max: n }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 0, max: n - b }))))),
));

describe('wasm Slice, SplitV and Unpack (read through a heap view)', () => {
  it('slice equals the index arithmetic for every rank, dtype and position (seeded)', () => {
    fc.assert(fc.property(shapeAndSlice, fc.constantFrom('float32', 'int32', 'bool'), ([shape, bs], dtype) => {
      const begin = bs.map(([b]) => b);
      const size = bs.map(([, s]) => s);
      const n = shape.reduce((a, b) => a * b, 1);
      const vals = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 3 === 0 : i * 7 - 3)) as number[];
      tf.tidy(() => {
        const x = tf.tensor(vals as number[], shape, dtype as 'float32');
        const y = tf.slice(x, begin, size);
        expect(y.shape).toEqual(size);
        expect(y.dtype).toBe(dtype);
        expect(Array.from(y.dataSync())).toEqual(reference(Array.from(x.dataSync()), shape, begin, size));
      });
    }), { seed: 41, numRuns: 300 });
  });

  it('split and unstack give the pieces the cpu-free reference gives, along every axis (seeded)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }), fc.nat(), ([...shape], pick) => {
      const axis = pick % shape.length;
      const n = shape.reduce((a, b) => a * b, 1);
      tf.tidy(() => {
        const x = tf.tensor(Array.from({ length: n }, (_, i) => i + 0.5), shape);
        const xv = Array.from(x.dataSync());
        const sizes = shape[axis] === 1 ? [1] : [1, shape[axis] - 1];
        let b = 0;
        tf.split(x, sizes, axis).forEach((piece, i) => {
          const begin = shape.map((_, a) => (a === axis ? b : 0));
          const size = shape.map((s, a) => (a === axis ? sizes[i] : s));
          expect(Array.from(piece.dataSync())).toEqual(reference(xv, shape, begin, size));
          b += sizes[i];
        });
        tf.unstack(x, axis).forEach((piece, i) => {
          expect(piece.shape).toEqual(shape.filter((_, a) => a !== axis));
          const begin = shape.map((_, a) => (a === axis ? i : 0));
          const size = shape.map((s, a) => (a === axis ? 1 : s));
          expect(Array.from(piece.dataSync())).toEqual(reference(xv, shape, begin, size));
        });
      });
    }), { seed: 43, numRuns: 100 });
  });

  it('does not copy the whole input out of the heap (no readSync), and still refuses a slice outside it', () => {
    const x = tf.randomNormal([64, 32]);
    const backend = tf.backend() as unknown as { readSync: (...a: unknown[]) => unknown };
    const spy = vi.spyOn(backend, 'readSync');
    tf.tidy(() => {
      tf.slice(x, [3, 0], [5, 32]);
      tf.slice(x, [3, 4], [5, 7]);
      tf.split(x, 4, 1);
      tf.unstack(tf.slice(x, [0, 0], [4, 32]));
    });
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    expect(() => tf.slice(x, [60, 0], [5, 32])).toThrow(/slice/i);
    x.dispose();
  });

  it('strings keep wasm\'s own kernel; nothing leaks, in the engine or the heap', async () => {
    const s = tf.tensor(['a', 'b', 'c', 'd'], [2, 2], 'string');
    expect(tf.tidy(() => tf.slice(s, [1, 0], [1, 2]).arraySync())).toEqual([['c', 'd']]);
    s.dispose();
    const x = tf.randomNormal([8, 6, 4]);
    const backend = tf.engine().backend;
    const ids = backend.numDataIds();
    await expectNoLeaks(() => tf.slice(x, [1, 2, 0], [3, 2, 4]));
    await expectNoLeaks(() => tf.split(x, 2, 1));
    await expectNoLeaks(() => tf.unstack(x, 2));
    expect(backend.numDataIds()).toBe(ids);
    x.dispose();
  });
});
