import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend } from '@tpfr/testing';
import { initBackend, knn, knnTileSizes, tiedNeighbourhoodAttention } from '@tpfr/core';
import { disposePoolTiles, preparePoolTiles, runningTopK } from './knn.js';

const memoryDelta = async (f: () => tf.TensorContainer) => {
  const before = tf.memory().numBytes;
  const info = await tf.profile(f);
  tf.dispose(info.result as tf.TensorContainer);
  return { peak: info.peakBytes - before, kernels: info.kernelNames };
};

describeEachBackend('preparePoolTiles', () => {
  // [pool rows, tile rows, k] → the widths of the tiles. A wide tile (at least 4k groups of 16
  // once its remainder is cut off) is cut in two: a multiple of 16, then the remainder.
  const cases: [number, number, number, number[]][] = [
    [327, 327, 5, [320, 7]], // 327 = 4·5·16 + 7: exactly wide enough
    [326, 326, 5, [320, 6]],
    [319, 319, 5, [319]], // 304 + 15: the part without the remainder is below 4·5·16
    [320, 320, 5, [320]], // no remainder: nothing to cut
    [56, 56, 1, [56]], // 48 + 8 < 64
    [56, 56, 2, [56]],
    [72, 72, 1, [64, 8]],
    [250, 100, 1, [96, 4, 96, 4, 50]], // the cut applies per tile of the pool
  ];
  it.each(cases)('a pool of %i rows in tiles of %i (k = %i) gives tiles of %j rows', (m, tp, k, widths) => {
    const pool = tf.tidy(() => tf.reshape(tf.range(0, 2 * m, 1, 'float32'), [m, 2])) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const tiles = preparePoolTiles(pool, tp, k, 'euclidean');
    expect(tiles.map((t) => t.t.shape)).toEqual(widths.map((w) => [2, w]));
    const offsets = widths.map((_, i) => widths.slice(0, i).reduce((a, b) => a + b, 0));
    expect(tiles.map((t) => t.offset)).toEqual(offsets);
    // Each tile is its pool rows transposed, with the bias −½‖p‖².
    const rows = pool.arraySync();
    tiles.forEach((tile, i) => {
      const mine = rows.slice(offsets[i], offsets[i] + widths[i]);
      expect(tile.t.arraySync()).toEqual([mine.map((r) => r[0]), mine.map((r) => r[1])]);
      expect(Array.from(tile.bias!.dataSync())).toEqual(mine.map(([a, b]) => -0.5 * (a * a + b * b)));
    });
    disposePoolTiles(tiles);
    expect(tf.memory().numTensors).toBe(before);
    pool.dispose();
  });

  it('cosine tiles are the unit rows transposed, without a bias, and are freed as well', () => {
    const pool = tf.tensor2d([
      [3, 4],
      [0, 2],
      [-1, 0],
    ]);
    const before = tf.memory().numTensors;
    const tiles = preparePoolTiles(pool, 2, 1, 'cosine');
    expect(tiles.map((t) => [t.offset, t.bias])).toEqual([
      [0, null],
      [2, null],
    ]);
    const t0 = tiles[0].t.arraySync();
    [
      [0.6, 0],
      [0.8, 1],
    ].forEach((r, i) => r.forEach((x, j) => expect(t0[i][j]).toBeCloseTo(x, 6)));
    expect(tiles[1].t.arraySync()).toEqual([[-1], [0]]);
    disposePoolTiles(tiles);
    expect(tf.memory().numTensors).toBe(before);
    pool.dispose();
  });

  it('runningTopK returns tie counts only when asked, on both strategies', () => {
    const q = tf.tensor2d([[0], [3]]);
    const pool = tf.tensor2d([[1], [-1], [3], [2], [4]]);
    const tiles = preparePoolTiles(pool, 2, 2, 'euclidean');
    const view = (t: tf.Tensor) => t.dataSync() as Float32Array;
    for (const scan of [null, view]) {
      const plain = tf.tidy(() => runningTopK(scan, q, 2, tiles, false) as unknown as tf.TensorContainer) as unknown as ReturnType<
        typeof runningTopK
      >;
      expect(plain.counts).toBeUndefined();
      expect(plain.indices.arraySync()).toEqual([
        [0, 1],
        [2, 3],
      ]);
      const tied = tf.tidy(() => runningTopK(scan, q, 2, tiles, true) as unknown as tf.TensorContainer) as unknown as ReturnType<
        typeof runningTopK
      >;
      // Query 0 ties rows 0 and 1 (distance 1) at the 1st and 2nd place; query 3: rows 3 and 4 tie at the 2nd.
      expect(Array.from(tied.counts!.dataSync())).toEqual([2, 3]);
      tf.dispose([plain.scores, plain.indices, tied.scores, tied.indices, tied.counts!]);
    }
    disposePoolTiles(tiles);
    tf.dispose([q, pool]);
  });
});

describeEachBackend('knn: strategies, memory and failures', (backend) => {
  it("topk: 'tensor' runs top-k kernels; 'host' and 'auto' (host memory here) scan in JS, with the same result", async () => {
    const q = tf.randomNormal([6, 3], 0, 1, 'float32', 1) as tf.Tensor2D;
    const p = tf.randomNormal([40, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
    const runs = [];
    for (const topk of ['tensor', 'host', 'auto'] as const) {
      // one profile at a time: tf.profile reuses its record
      const { kernels } = await memoryDelta(() => {
        const r = knn(q, p, 3, { topk, poolTileSize: 16 });
        return [r.indices, r.distances];
      });
      const r = knn(q, p, 3, { topk, poolTileSize: 16 });
      const idx = r.indices.arraySync();
      tf.dispose([r.indices, r.distances]);
      runs.push({ topk, usesTopK: kernels.includes('TopK'), idx });
    }
    expect(runs.map((r) => [r.topk, r.usesTopK])).toEqual([
      ['tensor', true],
      ['host', false],
      ['auto', false],
    ]);
    expect(runs[1].idx).toEqual(runs[0].idx);
    expect(runs[2].idx).toEqual(runs[0].idx);
    tf.dispose([q, p]);
  });

  it('memoryBudgetBytes bounds the memory that knn takes', async () => {
    const [n, m] = [256, 256];
    const q = tf.randomNormal([n, 2], 0, 1, 'float32', 3) as tf.Tensor2D;
    const p = tf.randomNormal([m, 2], 0, 1, 'float32', 4) as tf.Tensor2D;
    const scoresBytes = n * m * 4; // the untiled score matrix
    const budget = 16 * 1024; // tiles of 45 × 45
    expect(knnTileSizes(n, m, budget)).toEqual({ queryTile: 45, poolTile: 45 });
    const run = (o: { memoryBudgetBytes?: number }) =>
      memoryDelta(() => {
        const r = knn(q, p, 4, o);
        return [r.indices, r.distances];
      });
    const small = await run({ memoryBudgetBytes: budget });
    const large = await run({});
    expect(large.peak).toBeGreaterThanOrEqual(scoresBytes); // the default budget takes the whole problem in one tile
    expect(small.peak).toBeLessThan(scoresBytes / 4);
    tf.dispose([q, p]);
  });

  it('bad options throw before anything is allocated, and no queries with ties give empty counts', () => {
    const q = tf.tensor2d([[0], [1]]);
    const p = tf.tensor2d([[0], [1], [2]]);
    const before = tf.memory().numTensors;
    expect(() => knn(q, p, 1, { ties: 'some' as never })).toThrow(/^knn: expected ties 'exactly-k' or 'include', received some$/);
    expect(() => knn(q, p, 1, { topk: 'gpu' as never })).toThrow(/^knn: expected topk 'auto', 'host' or 'tensor', received gpu$/);
    expect(tf.memory().numTensors).toBe(before);
    const empty = knn(tf.zeros([0, 1]) as tf.Tensor2D, p, 2, { ties: 'include' });
    expect([empty.indices.shape, empty.distances.shape, empty.counts!.shape, empty.counts!.dtype]).toEqual([[0, 2], [0, 2], [0], 'int32']);
    const exactly = knn(tf.zeros([0, 1]) as tf.Tensor2D, p, 2);
    expect(exactly.counts).toBeUndefined();
    tf.dispose([q, p, empty.indices, empty.distances, empty.counts!, exactly.indices, exactly.distances]);
  });

  it('host scan: scores of −∞ (pool rows whose squared norm overflows float32) never count as ties of the empty slots', () => {
    // Distances 0, ∞, ∞: with k = 3 every pool row is in the set, and no more.
    const q = tf.tensor2d([[0]]);
    const p = tf.tensor2d([[0], [3e19], [3e19]]);
    for (const k of [2, 3]) {
      const r = knn(q, p, k, { ties: 'include', topk: 'host' });
      const count = r.counts!.dataSync()[0];
      expect(count, `k = ${k}`).toBeGreaterThanOrEqual(k);
      expect(count, `k = ${k}`).toBeLessThanOrEqual(3);
      expect(r.indices.dataSync()[0]).toBe(0);
      expect(r.distances.dataSync()[0]).toBe(0);
      tf.dispose([r.indices, r.distances, r.counts!]);
    }
    tf.dispose([q, p]);
  });

  it('frees its partial results when the backend fails in a later query tile', () => {
    // One Relu per query tile (the clamp of the distances): make the third one fail.
    const original = tf.getKernel('Relu', backend)!;
    let calls = 0;
    tf.unregisterKernel('Relu', backend);
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => {
        if (++calls === 3) throw new Error('injected failure');
        return original.kernelFunc(args);
      },
    });
    try {
      const q = tf.tensor2d([[0], [1], [2], [3]]);
      const p = tf.tensor2d([[0], [1], [2]]);
      for (const ties of ['exactly-k', 'include'] as const) {
        calls = 0;
        const before = tf.memory().numTensors;
        expect(() => knn(q, p, 2, { queryTileSize: 1, ties })).toThrow('injected failure');
        expect(calls).toBe(3);
        expect(tf.memory().numTensors, ties).toBe(before);
      }
      tf.dispose([q, p]);
    } finally {
      tf.unregisterKernel('Relu', backend);
      tf.registerKernel(original);
    }
  });
});

describe('on a backend whose memory is not host memory (as WebGPU, WebGL, tfjs-node)', () => {
  // The cpu backend under another name: knn cannot know that its memory is the JS heap.
  const name = 'device-memory';
  const kernels = tf.getKernelsForBackend('cpu');
  beforeAll(async () => {
    await initBackend('cpu');
    kernels.forEach((kernel) => tf.registerKernel({ ...kernel, backendName: name }));
    tf.registerBackend(name, () => new MathBackendCPU());
    await tf.setBackend(name);
  });
  afterAll(async () => {
    await initBackend('cpu');
    tf.removeBackend(name);
    kernels.forEach((kernel) => tf.unregisterKernel(kernel.kernelName, name));
  });

  it("refuses topk: 'host' by name, and 'auto' takes the top-k kernels with the result of the host scan on cpu", async () => {
    expect(tf.getBackend()).toBe(name);
    const q = tf.tensor2d([[0], [10]]);
    const p = tf.tensor2d([[1], [-1], [1], [2], [2], [1], [20], [-1]]);
    const u = tf.zeros([2]) as tf.Tensor1D;
    const v = tf.zeros([8]) as tf.Tensor1D;
    const values = tf.ones([8, 1]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    expect(() => knn(q, p, 2, { topk: 'host' })).toThrow(
      /^knn: expected topk 'auto' or 'tensor' on backend 'device-memory', received 'host'$/,
    );
    expect(() => tiedNeighbourhoodAttention(q, p, 2, u, v, values, { topk: 'host' })).toThrow(
      /^tiedNeighbourhoodAttention: expected topk 'auto' or 'tensor' on backend 'device-memory', received 'host'$/,
    );
    expect(tf.memory().numTensors).toBe(before);
    const info = await tf.profile(() => {
      const r = knn(q, p, 2, { ties: 'include' });
      return [r.indices, r.counts!];
    });
    expect(info.kernelNames).toContain('TopK');
    const [indices, counts] = info.result as tf.Tensor[];
    expect(indices.arraySync()).toEqual([
      [0, 1],
      [3, 4],
    ]);
    expect(Array.from(counts.dataSync())).toEqual([5, 2]);
    tf.dispose([q, p, u, v, values, ...(info.result as tf.Tensor[])]);
  });
});
