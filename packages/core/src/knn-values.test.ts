import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend, knn, knnTileSizes } from '@tpfr/core';

describe.each(['cpu', 'wasm'] as const)('knn on %s', (backend) => {
  it("ties: 'include' counts every pool row at or within the k-th distance, for both top-k strategies and any tiling", async () => {
    await initBackend(backend);
    // Query 0 at 0: five pool rows at distance 1 tie for the 2nd place; query 10: two rows at 64, no tie.
    const q = tf.tensor2d([[0], [10]]);
    const p = tf.tensor2d([[1], [-1], [1], [2], [2], [1], [20], [-1]]);
    for (const topk of ['host', 'tensor'] as const) {
      for (const poolTileSize of [1, 3, 8]) {
        const r = knn(q, p, 2, { ties: 'include', topk, poolTileSize, queryTileSize: 1 });
        // Brute force: rows within the 2nd smallest distance.
        const d = tf.tidy(() => tf.square(tf.sub(q, tf.transpose(p))).arraySync() as number[][]);
        const want = d.map((row) => {
          const kth = [...row].sort((a, b) => a - b)[1];
          return row.filter((x) => x <= kth).length;
        });
        expect(Array.from(r.counts!.dataSync()), `${topk}, tiles of ${poolTileSize}`).toEqual(want);
        expect(Array.from(r.indices.dataSync()), `${topk}, tiles of ${poolTileSize}`).toEqual([0, 1, 3, 4]); // ties to the lower index
        tf.dispose([r.indices, r.distances, r.counts!]);
      }
    }
    // Exactly k by default: no counts.
    const plain = knn(q, p, 2);
    expect(plain.counts).toBeUndefined();
    tf.dispose([q, p, plain.indices, plain.distances]);
  });
});

it('knn checks its options by name, and skips the finiteness check only when told', async () => {
  await initBackend('cpu');
  const q = tf.tensor2d([[0], [1]]);
  const p = tf.tensor2d([[0], [1], [2]]);
  expect(() => knn(q, p, 1, { ties: 'some' as never })).toThrow("knn: expected ties 'exactly-k' or 'include', received some");
  expect(() => knn(q, p, 1, { topk: 'gpu' as never })).toThrow(/knn: expected topk 'auto', 'host' or 'tensor', received gpu/);
  expect(() => knn(q, p, 1, { queryTileSize: 0 })).toThrow('knn: expected queryTileSize to be an integer >= 1, received 0');
  expect(() => knn(q, p, 1, { poolTileSize: 1.5 })).toThrow('knn: expected poolTileSize to be an integer >= 1, received 1.5');
  const nan = tf.tensor2d([[NaN], [1]]);
  expect(() => knn(nan, p, 1)).toThrow(/knn: expected queries to be finite/);
  const unchecked = knn(nan, p, 1, { checkFinite: false });
  expect(unchecked.indices.dataSync()[1]).toBe(1);
  const empty = knn(tf.zeros([0, 1]) as tf.Tensor2D, p, 2);
  expect([empty.indices.shape, empty.distances.shape, empty.indices.dtype]).toEqual([[0, 2], [0, 2], 'int32']);
  tf.dispose([q, p, nan, unchecked.indices, unchecked.distances, empty.indices, empty.distances]);
});

it('knnTileSizes: the whole pool per tile while 64 query rows fit the budget, square tiles beyond', () => {
  // 8 bytes per tile element (the scores and the top-k scratch): 1 MiB holds 131,072 elements.
  expect(knnTileSizes(1000, 2048, 2 ** 20)).toEqual({ queryTile: 64, poolTile: 2048 });
  expect(knnTileSizes(10, 2048, 2 ** 20)).toEqual({ queryTile: 10, poolTile: 2048 });
  expect(knnTileSizes(1000, 4096, 2 ** 20)).toEqual({ queryTile: 362, poolTile: 362 });
  expect(knnTileSizes(100, 4096, 2 ** 20)).toEqual({ queryTile: 100, poolTile: 1310 });
  expect(knnTileSizes(1000, 100000, 8)).toEqual({ queryTile: 1, poolTile: 1 });
});
