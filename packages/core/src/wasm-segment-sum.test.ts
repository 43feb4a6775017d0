import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { gatherRows } from '@tpfr/core/utils';
import { PAPER, firstMismatch } from '@tpfr/testing/kernel-references';

/**
 * wasm's UnsortedSegmentSum (`wasm-kernels.ts`, the gradient of `gatherRows` and so of the
 * neighbourhood attention) against index arithmetic. Integer values: every sum is exact in
 * float32, so the results must be equal.
 */

beforeAll(async () => {
  await initBackend('wasm');
});

/** `out[s] = Σ x[i]` over `ids[i] = s` (ids outside [0, segments) dropped), rows of `inner` values. */
function segmentSumReference(x: ArrayLike<number>, ids: ArrayLike<number>, segments: number, inner: number): Float64Array {
  const out = new Float64Array(segments * inner);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= segments) continue;
    for (let j = 0; j < inner; j++) out[s * inner + j] += x[i * inner + j];
  }
  return out;
}

/** Integers in [−8, 8] from a seed. */
function smallIntegers(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (s >>> 28) - 8 + ((s >>> 27) & 1);
  }
  return v;
}

describe('wasm UnsortedSegmentSum', () => {
  it('equals the index arithmetic for rows of rank 0–2, ids past the first segment and outside the range (seeded)', () => {
    let pastFirst = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 2 }),
        fc.integer({ min: 2, max: 9 }),
        fc.nat(),
        (n, innerShape, segments, seed) => {
          const inner = innerShape.reduce((p, q) => p * q, 1);
          // Mostly segments past the first; now and then −1 or `segments` (dropped).
          const ids = Int32Array.from(smallIntegers(n, seed + 1), (v) =>
            v === -8 ? -1 : v === 8 ? segments : 1 + (Math.abs(v) % (segments - 1)),
          );
          if (ids.some((s) => s > 0 && s < segments)) pastFirst++;
          const xv = smallIntegers(n * inner, seed);
          const got = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor(xv, [n, ...innerShape]), tf.tensor1d(ids, 'int32'), segments));
          expect(got.shape).toEqual([segments, ...innerShape]);
          const at = firstMismatch(got.dataSync() as Float32Array, segmentSumReference(xv, ids, segments, inner));
          got.dispose();
          expect(at, `${JSON.stringify({ n, innerShape, segments })}: first wrong value at ${at}`).toBe(-1);
        },
      ),
      { seed: 61, numRuns: 80 },
    );
    expect(pastFirst).toBeGreaterThan(70);
  });

  it("the gradient of the attention's row gathers at the paper's sizes (4096 queries × 5 neighbours, rows of 256 and 512)", () => {
    const k = 5;
    const m = PAPER.codePixels; // one exemplar's pool
    for (const [i, c] of [PAPER.content, PAPER.style].entries()) {
      const rows = PAPER.codePixels * k;
      const ids = Int32Array.from({ length: rows }, (_, r) => (r * 7919 + i) % m);
      const dy = smallIntegers(rows * c, 3 + i);
      const got = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d(dy, [rows, c]), tf.tensor1d(ids, 'int32'), m));
      const at = firstMismatch(got.dataSync() as Float32Array, segmentSumReference(dy, ids, m, c));
      got.dispose();
      expect(at, `rows of ${c}: first wrong value at ${at}`).toBe(-1);
      // The same through gatherRows' gradient.
      const g = tf.tidy(() =>
        tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gatherRows(v as tf.Tensor2D, tf.tensor1d(ids, 'int32')), tf.tensor2d(dy, [rows, c]))))(
          tf.zeros([m, c]),
        ),
      );
      const gAt = firstMismatch(g.dataSync() as Float32Array, segmentSumReference(dy, ids, m, c));
      g.dispose();
      expect(gAt, `gatherRows gradient, rows of ${c}: first wrong value at ${gAt}`).toBe(-1);
    }
  });
});
