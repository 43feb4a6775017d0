import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoLeaks } from '@tpfr/testing';
import { knn, knnTileSizes, ShapeError, ValueError } from '@tpfr/core';

/** Dense distances in float64 and a full stable sort: the reference knn must equal. */
function bruteForce(q: Float32Array, p: Float32Array, n: number, m: number, d: number, k: number, metric: 'euclidean' | 'cosine') {
  const indices: number[][] = [];
  const distances: number[][] = [];
  const norm = (x: Float32Array, r: number) => Math.sqrt(Array.from({ length: d }, (_, c) => x[r * d + c] ** 2).reduce((a, b) => a + b, 0));
  for (let i = 0; i < n; i++) {
    const row: { j: number; dist: number }[] = [];
    for (let j = 0; j < m; j++) {
      let dist = 0;
      if (metric === 'euclidean') {
        for (let c = 0; c < d; c++) dist += (q[i * d + c] - p[j * d + c]) ** 2;
      } else {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += q[i * d + c] * p[j * d + c];
        dist = 1 - dot / (Math.max(norm(q, i), 1e-12) * Math.max(norm(p, j), 1e-12));
      }
      row.push({ j, dist });
    }
    row.sort((a, b) => a.dist - b.dist || a.j - b.j);
    indices.push(row.slice(0, k).map((r) => r.j));
    distances.push(row.slice(0, k).map((r) => r.dist));
  }
  return { indices, distances };
}

const problem = fc
  .record({
    n: fc.integer({ min: 1, max: 12 }),
    m: fc.integer({ min: 1, max: 14 }),
    d: fc.integer({ min: 1, max: 5 }),
  })
  .chain(({ n, m, d }) =>
    fc.record({
      n: fc.constant(n),
      m: fc.constant(m),
      d: fc.constant(d),
      // Small integers: float32 arithmetic is exact, so exact ties occur and must go to the lower index.
      q: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: n * d, maxLength: n * d }),
      p: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: m * d, maxLength: m * d }),
      k: fc.integer({ min: 1, max: m }),
      queryTile: fc.integer({ min: 1, max: n + 2 }),
      poolTile: fc.integer({ min: 1, max: m + 2 }),
      topk: fc.constantFrom('host' as const, 'tensor' as const),
    }),
  );

describeEachBackend('knn', () => {
  test.prop([problem], { seed: 7, numRuns: 60 })('equals brute force for every tile size, ties to the lower index', async (c) => {
    const q = Float32Array.from(c.q);
    const p = Float32Array.from(c.p);
    const ref = bruteForce(q, p, c.n, c.m, c.d, c.k, 'euclidean');
    const qt = tf.tensor2d(q, [c.n, c.d]);
    const pt = tf.tensor2d(p, [c.m, c.d]);
    await expectNoLeaks(() => {
      const r = knn(qt, pt, c.k, { queryTileSize: c.queryTile, poolTileSize: c.poolTile, topk: c.topk });
      expect(r.indices.dtype).toBe('int32');
      expect(r.indices.shape).toEqual([c.n, c.k]);
      expect(r.indices.arraySync()).toEqual(ref.indices);
      expect(r.distances.arraySync()).toEqual(ref.distances);
      return r;
    }, 'knn');
    tf.dispose([qt, pt]);
  });

  test.prop([fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 30 })], {
    seed: 11,
    numRuns: 25,
  })('cosine metric equals brute force (continuous data, any tiling)', async (seed, n, m) => {
    const d = 3;
    const k = Math.min(3, m);
    const qt = tf.randomNormal([n, d], 0, 1, 'float32', seed) as tf.Tensor2D;
    const pt = tf.randomNormal([m, d], 0, 1, 'float32', seed + 1) as tf.Tensor2D;
    const ref = bruteForce(qt.dataSync() as Float32Array, pt.dataSync() as Float32Array, n, m, d, k, 'cosine');
    const r = knn(qt, pt, k, { metric: 'cosine', queryTileSize: 1 + (seed % 7), poolTileSize: 1 + (seed % 5) });
    const dist = r.distances.arraySync();
    dist.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(ref.distances[i][j], 5)));
    // Indices agree wherever the reference distances are not within rounding of each other.
    const idx = r.indices.arraySync();
    idx.forEach((row, i) =>
      row.forEach((v, j) => {
        const gapOk = ref.distances[i].every((x, jj) => jj === j || Math.abs(x - ref.distances[i][j]) > 1e-5);
        if (gapOk) expect(v).toBe(ref.indices[i][j]);
      }),
    );
    tf.dispose([qt, pt, r.indices, r.distances]);
  });

  test.prop([fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 2, max: 25 })], { seed: 3, numRuns: 20 })(
    'permuting the pool changes nothing but the indices',
    (seed, m) => {
      const qt = tf.randomNormal([9, 4], 0, 1, 'float32', seed) as tf.Tensor2D;
      const pt = tf.randomNormal([m, 4], 0, 1, 'float32', seed + 7) as tf.Tensor2D;
      const perm = Array.from({ length: m }, (_, i) => i).sort((a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101));
      const permuted = tf.gather(pt, perm) as tf.Tensor2D;
      const k = Math.min(4, m);
      const a = knn(qt, pt, k);
      const b = knn(qt, permuted, k, { poolTileSize: 3 });
      expect(b.distances.arraySync()).toEqual(a.distances.arraySync());
      expect(b.indices.arraySync().map((row) => row.map((j) => perm[j]))).toEqual(a.indices.arraySync());
      tf.dispose([qt, pt, permuted, a.indices, a.distances, b.indices, b.distances]);
    },
  );

  test.prop([fc.integer({ min: 0, max: 1000 }), fc.constantFrom('host' as const, 'tensor' as const)], { seed: 13, numRuns: 6 })(
    'equals brute force on wide pools (two-level top-k, cut tiles), with ties',
    (seed, topk) => {
      const n = 5,
        m = 16 * 5 * 4 + 7,
        d = 2,
        k = 5;
      const q = Float32Array.from({ length: n * d }, (_, i) => ((i * 7 + seed) % 5) - 2);
      const p = Float32Array.from({ length: m * d }, (_, i) => ((i * 13 + seed * 3) % 5) - 2);
      const ref = bruteForce(q, p, n, m, d, k, 'euclidean');
      const qt = tf.tensor2d(q, [n, d]);
      const pt = tf.tensor2d(p, [m, d]);
      const r = knn(qt, pt, k, { topk });
      expect(r.indices.arraySync()).toEqual(ref.indices);
      tf.dispose([qt, pt, r.indices, r.distances]);
    },
  );

  it('returns [0, k] for no queries', () => {
    const r = knn(tf.zeros([0, 3]) as tf.Tensor2D, tf.ones([4, 3]) as tf.Tensor2D, 2);
    expect(r.indices.shape).toEqual([0, 2]);
    tf.dispose([r.indices, r.distances]);
  });

  it('rejects bad inputs with errors that name knn, the expectation and what it got', () => {
    const q = tf.ones([3, 2]) as tf.Tensor2D;
    const p = tf.ones([4, 2]) as tf.Tensor2D;
    expect(() => knn(q, p, 5)).toThrow(ValueError);
    expect(() => knn(q, p, 5)).toThrow(/^knn: expected k to be an integer in \[1, M = 4\].*received 5$/);
    expect(() => knn(q, p, 0)).toThrow(ValueError);
    expect(() => knn(q, tf.ones([4, 3]) as tf.Tensor2D, 2)).toThrow(
      /knn: expected queries \[N, d\] and pool \[M, d\] of the same width d, received \[3,2\] and \[4,3\]/,
    );
    expect(() => knn(tf.ones([3]) as unknown as tf.Tensor2D, p, 2)).toThrow(ShapeError);
    expect(() => knn(q, tf.ones([2, 2, 2]) as unknown as tf.Tensor2D, 2)).toThrow(
      /knn: expected pool of rank 2 \[M, d\], received shape \[2,2,2\]/,
    );
    expect(() => knn(tf.tensor2d([[NaN, 1]]), p, 2)).toThrow(/knn: expected queries to be finite, received 1 NaN or infinite/);
    expect(() => knn(q, tf.tensor2d([[Infinity, 1]]), 1)).toThrow(/knn: expected pool to be finite/);
    expect(() => knn(q, p, 2, { metric: 'manhattan' as 'cosine' })).toThrow(/metric/);
    tf.dispose([q, p]);
  });
});

it('sizes tiles from the byte budget: the whole pool when it fits, bounded tiles when not', () => {
  expect(knnTileSizes(36864, 36864)).toEqual({ queryTile: 227, poolTile: 36864 });
  const big = knnTileSizes(1_000_000, 1_000_000, 8 * 1024 * 1024);
  expect(big.queryTile * big.poolTile * 8).toBeLessThanOrEqual(8 * 1024 * 1024);
  expect(knnTileSizes(3, 5, 1)).toEqual({ queryTile: 1, poolTile: 1 });
});
