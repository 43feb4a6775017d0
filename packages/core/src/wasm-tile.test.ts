import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';

beforeAll(async () => {
  await initBackend('wasm');
});

/** `tile(x, reps)` of a row-major array of `shape`, by index arithmetic: out[i] = x[i mod shape]. */
function reference(vals: ArrayLike<number>, shape: number[], reps: number[]): number[] {
  const outShape = shape.map((s, a) => s * reps[a]);
  const total = outShape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let i = 0; i < total; i++) {
    let rest = i;
    let src = 0;
    let stride = 1;
    for (let a = shape.length - 1; a >= 0; a--) {
      const idx = rest % outShape[a];
      rest = Math.floor(rest / outShape[a]);
      src += (idx % shape[a]) * stride;
      stride *= shape[a];
    }
    out.push(vals[src]);
  }
  return out;
}

describe('wasm Tile (block copies)', () => {
  it('equals the index arithmetic for shapes of rank 1–5 and repetitions 0–3, float32, int32 and bool (seeded)', () => {
    const cases = fc
      .array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 5 })
      .chain((shape) =>
        fc.tuple(fc.constant(shape), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: shape.length, maxLength: shape.length })),
      );
    fc.assert(
      fc.property(cases, fc.constantFrom('float32' as const, 'int32' as const, 'bool' as const), ([shape, reps], dtype) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const vals = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 3 === 0 : dtype === 'int32' ? i * 7 - 5 : i * 0.25 - 1));
        const x = tf.tensor(vals.map(Number), shape, dtype);
        const y = tf.tile(x, reps);
        expect(y.shape).toEqual(shape.map((s, a) => s * reps[a]));
        expect(Array.from(y.dataSync())).toEqual(reference(vals.map(Number), shape, reps));
        tf.dispose([x, y]);
      }),
      { seed: 29, numRuns: 300 },
    );
  });

  it("broadcasts a mean's gradient to the map (instance normalization's backward) without leaking", async () => {
    const m = tf.tensor4d(
      Array.from({ length: 256 }, (_, i) => i),
      [1, 1, 1, 256],
    );
    await expectNoLeaks(() => tf.broadcastTo(m, [2, 16, 16, 256]).dispose());
    const y = tf.broadcastTo(m, [2, 16, 16, 256]);
    const v = y.dataSync();
    for (const at of [0, 255, 256, 16 * 16 * 256 - 1, 2 * 16 * 16 * 256 - 1]) expect(v[at]).toBe(at % 256);
    tf.dispose([m, y]);
  });
});
