import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { describeEachBackend, freeLayer, seededTpfrLayer, symbolicPeerInputs } from '@tpfr/testing';
import { PeerRecombination } from './tpfr-layer.js';

// The call argument `hysteresis`: last frame's neighbours kept while they stay near.
const CC = 6;
const CS = 12;
const SYMBOLIC: tfl.Shape[] = symbolicPeerInputs(CC, CS);

const layerFor = (k: number, seed: number, metric: 'euclidean' | 'cosine' = 'euclidean') =>
  seededTpfrLayer({ k, metric }, seed + 1, CC, CS);
const free = freeLayer;

/** The inputs of a frame: a base frame plus noise of `noise` (the same peers). */
function frame(seed: number, noise: number, b = 1, h = 4, w = 5, p = 2): tf.Tensor[] {
  const r = (s: number[], i: number) => tf.randomNormal(s, 0, 1, 'float32', seed * 10 + i);
  const jitter = (x: tf.Tensor, i: number) =>
    noise === 0 ? x : tf.add(x, tf.randomNormal(x.shape, 0, noise, 'float32', seed * 10 + 7 + i + Math.round(noise * 1e6)));
  return [jitter(r([b, h, w, CC], 0), 0), jitter(r([b, h, w, CS], 1), 1), r([b, p, 3, 3, CC], 2), r([b, p, 3, 3, CS], 3)];
}

/** Distances `[N, k]` of each query to the listed rows of the pool (squared Euclidean). */
function distancesOf(queries: tf.Tensor2D, pool: tf.Tensor2D, indices: tf.Tensor2D): number[][] {
  return tf.tidy(() => {
    const p = tf.gather(pool, indices);
    return tf.sum(tf.squaredDifference(tf.expandDims(queries, 1), p), -1).arraySync() as number[][];
  });
}

describeEachBackend('PeerRecombination call argument hysteresis', () => {
  it("with last call's own graph and margin 0, gives the plain call's neighbour sets and outputs", () => {
    const layer = layerFor(3, 1);
    tf.tidy(() => {
      const x = frame(1, 0);
      const [c, s, i1, , i2] = layer.apply(x, { returnAttention: true }) as tf.Tensor[];
      const [c2, s2, j1, , j2] = layer.apply(x, { returnAttention: true, hysteresis: { previous: [i1, i2], margin: 0 } }) as tf.Tensor[];
      const sets = (t: tf.Tensor) => (t.arraySync() as number[][][][]).flat(2).map((row) => [...row].sort((a, b) => a - b).join());
      expect(sets(j1)).toEqual(sets(i1));
      expect(sets(j2)).toEqual(sets(i2));
      expect(tf.max(tf.abs(tf.sub(c, c2))).dataSync()[0]).toBeLessThan(1e-5);
      expect(tf.max(tf.abs(tf.sub(s, s2))).dataSync()[0]).toBeLessThan(1e-5);
    });
    free(layer);
  });

  it('keeps exactly the previous neighbours within (1 + margin) of the new k-th distance, fills up with the nearest, k distinct (seeded property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        (seed, k, margin, noise) => {
          const layer = layerFor(k, seed);
          tf.tidy(() => {
            const [, , i1] = layer.apply(frame(seed, 0), { returnAttention: true, stages: 'style-only' }) as tf.Tensor[];
            const x = frame(seed, noise);
            const [, , fresh] = layer.apply(x, { returnAttention: true, stages: 'style-only' }) as tf.Tensor[];
            const [, , sticky] = layer.apply(x, {
              returnAttention: true,
              stages: 'style-only',
              hysteresis: { previous: [i1], margin },
            }) as tf.Tensor[];
            const q = tf.reshape(x[0], [-1, CC]) as tf.Tensor2D;
            const pool = tf.reshape(x[2], [-1, CC]) as tf.Tensor2D;
            const flat = (t: tf.Tensor) => tf.reshape(t, [-1, k]) as tf.Tensor2D;
            const [dPrev, dFresh] = [distancesOf(q, pool, flat(i1)), distancesOf(q, pool, flat(fresh))];
            const [prev, fr, st] = [flat(i1), flat(fresh), flat(sticky)].map((t) => t.arraySync() as number[][]);
            st.forEach((row, n) => {
              expect(new Set(row).size).toBe(k);
              const limit = Math.max(...dFresh[n]) * (1 + margin);
              const kept = prev[n].filter((_, j) => dPrev[n][j] <= limit * (1 + 1e-5));
              const surely = prev[n].filter((_, j) => dPrev[n][j] <= limit * (1 - 1e-5));
              for (const j of surely) expect(row).toContain(j);
              for (const j of row) expect(kept.includes(j) || fr[n].includes(j)).toBe(true);
            });
          });
          free(layer);
        },
      ),
      { seed: 28, numRuns: 40 },
    );
  });

  it('keeps the neighbour set of a near-tie through noise where the plain search flips it', () => {
    // One query, a pool of two nearly equidistant peers: k = 1 picks by the noise alone.
    const layer = new PeerRecombination({ k: 1, stages: 'style-only' });
    layer.build(SYMBOLIC);
    tf.tidy(() => {
      const pool = tf.tensor5d([[[[[1, 0, 0, 0, 0, 0]], [[-1, 0, 0, 0, 0, 0]]]]]);
      const poolStyle = tf.randomNormal([1, 1, 2, 1, CS], 0, 1, 'float32', 3);
      const at = (x: number) => [tf.tensor4d([[[[x, 0, 0, 0, 0, 0]]]]), tf.zeros([1, 1, 1, CS]), pool, poolStyle];
      const [, , first] = layer.apply(at(0.001), { returnAttention: true }) as tf.Tensor[];
      const [, , plain] = layer.apply(at(-0.001), { returnAttention: true }) as tf.Tensor[];
      const [, , kept] = layer.apply(at(-0.001), { returnAttention: true, hysteresis: { previous: [first], margin: 0.05 } }) as tf.Tensor[];
      expect(first.dataSync()[0]).toBe(0);
      expect(plain.dataSync()[0]).toBe(1);
      expect(kept.dataSync()[0]).toBe(0);
      // Far from the tie the new neighbour wins.
      const [, , moved] = layer.apply(at(-0.5), { returnAttention: true, hysteresis: { previous: [first], margin: 0.05 } }) as tf.Tensor[];
      expect(moved.dataSync()[0]).toBe(1);
    });
    free(layer);
  });

  it('refuses a previous graph of another k or shape, and replay with it, naming the call', () => {
    const layer = layerFor(2, 5);
    tf.tidy(() => {
      const x = frame(5, 0);
      const [, , i1] = layer.apply(x, { returnAttention: true }) as tf.Tensor[];
      expect(() => layer.apply(x, { k: 3, hysteresis: { previous: [i1] } })).toThrow(
        /previous neighbours with k = 3 per row \(this call's k\), received k = 2/,
      );
      expect(() => layer.apply(x, { hysteresis: { previous: [tf.zeros([1, 2, 2, 2], 'int32')] } })).toThrow(
        /previous neighbours of stage 1 as \[1, 4, 5, k\] int32/,
      );
      expect(() => layer.apply(x, { neighbours: [i1], hysteresis: { previous: [i1] } })).toThrow(/neighbours or hysteresis, not both/);
      expect(() => layer.apply(x, { hysteresis: { previous: [i1], margin: -1 } })).toThrow(/hysteresis.margin a finite number >= 0/);
    });
    free(layer);
  });

  it('leaves no tensor behind', () => {
    const layer = layerFor(3, 7);
    const x = frame(7, 0);
    const [, , i1, , i2] = layer.apply(x, { returnAttention: true }) as tf.Tensor[];
    const next = frame(7, 0.1);
    const before = tf.memory().numTensors;
    const out = layer.apply(next, { hysteresis: { previous: [i1, i2] } }) as tf.Tensor[];
    expect(out).toHaveLength(2);
    tf.dispose(out);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...x, ...next, i1, i2]);
    free(layer);
  });
});
