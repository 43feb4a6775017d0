import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks, freeLayer, seededTpfrLayer } from '@tpfr/testing';
import type { PeerRecombination, PeerRecombinationArgs } from './tpfr-layer.js';

// The call argument `neighbours`: a neighbour graph replayed instead of searched.
const CC = 6;
const CS = 12;
type Case = { b: number; h: number; w: number; p: number; ph: number; pw: number; k: number; seed: number; shared: boolean };

function inputs(c: Case): tf.Tensor[] {
  const r = (s: number[], i: number) => tf.randomNormal(s, 0, 1, 'float32', c.seed * 10 + i);
  return [r([c.b, c.h, c.w, CC], 0), r([c.b, c.h, c.w, CS], 1), r([c.b, c.p, c.ph, c.pw, CC], 2), r([c.b, c.p, c.ph, c.pw, CS], 3)];
}

function layerFor(c: Pick<Case, 'k' | 'seed' | 'shared'>, args: PeerRecombinationArgs = {}): PeerRecombination {
  return seededTpfrLayer({ k: c.k, returnAttention: true, peerPooling: c.shared ? 'shared' : 'per-sample', ...args }, c.seed, CC, CS);
}

/** Frees an eagerly applied layer's weights (it has no graph node to dispose). */
const free = freeLayer;
const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
const caseArb = fc.record({
  b: fc.integer({ min: 1, max: 2 }),
  h: fc.integer({ min: 1, max: 4 }),
  w: fc.integer({ min: 1, max: 4 }),
  p: fc.integer({ min: 1, max: 2 }),
  ph: fc.integer({ min: 2, max: 3 }),
  pw: fc.integer({ min: 2, max: 3 }),
  k: fc.integer({ min: 1, max: 4 }),
  seed: fc.integer({ min: 0, max: 1000 }),
  shared: fc.boolean(),
});

describe('PeerRecombination: a replayed neighbour graph', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it("replaying the graph a call found gives that call's outputs, both stages or stage 1 only (seeded property)", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const layer = layerFor(c);
        tf.tidy(() => {
          const xs = inputs(c);
          const [content, style, i1, w1, i2, w2] = layer.apply(xs, { training: false }) as tf.Tensor[];
          for (const neighbours of [[i1, i2], [i1, null], [i1]] as [tf.Tensor, tf.Tensor | null][]) {
            const r = layer.apply(xs, { neighbours }) as tf.Tensor[];
            expect(maxAbsDiff(r[0], content)).toBe(0);
            expect(maxAbsDiff(r[1], style)).toBe(0);
            expect(Array.from(r[2].dataSync())).toEqual(Array.from(i1.dataSync()));
            expect(Array.from(r[4].dataSync())).toEqual(Array.from(i2.dataSync()));
            expect(maxAbsDiff(r[3], w1) + maxAbsDiff(r[5], w2)).toBe(0);
          }
        });
        free(layer);
      }),
      { seed: 17, numRuns: 10 },
    );
  });

  it('renders another graph: a row given other neighbours changes at that row only (stage 1 style)', () => {
    const c: Case = { b: 1, h: 2, w: 3, p: 2, ph: 3, pw: 3, k: 2, seed: 5, shared: false };
    const layer = layerFor(c, { stages: 'style-only' });
    tf.tidy(() => {
      const xs = inputs(c);
      const [, style, i1] = layer.apply(xs) as tf.Tensor[];
      const idx = i1.dataSync().slice() as Int32Array;
      // Row 4 takes two neighbours it did not have.
      const own = new Set([idx[8], idx[9]]);
      const others = Array.from({ length: 18 }, (_, j) => j).filter((j) => !own.has(j));
      [idx[8], idx[9]] = [others[0], others[1]];
      const [, replayed, j1] = layer.apply(xs, { neighbours: [tf.tensor4d(idx, [1, 2, 3, 2], 'int32')] }) as tf.Tensor[];
      expect(Array.from(j1.dataSync())).toEqual(Array.from(idx));
      const diff = tf.max(tf.abs(tf.sub(replayed, style)), 3).dataSync();
      expect(Array.from(diff).map((d) => d > 0)).toEqual([false, false, false, false, true, false]);
      // The new row is the attention-weighted mean of those two peers' style codes.
      const ps = tf.reshape(xs[3], [-1, CS]);
      const [wa, wb] = (layer.apply(xs, { neighbours: [tf.tensor4d(idx, [1, 2, 3, 2], 'int32')] }) as tf.Tensor[])[3]
        .dataSync()
        .slice(8, 10);
      const expected = tf.add(tf.mul(wa, tf.gather(ps, others[0])), tf.mul(wb, tf.gather(ps, others[1])));
      expect(maxAbsDiff(tf.reshape(tf.slice(tf.reshape(replayed, [-1, CS]), [4, 0], [1, CS]), [CS]), expected)).toBeLessThan(1e-5);
    });
    free(layer);
  });

  it("sets the call's k from the graph", () => {
    const c: Case = { b: 1, h: 2, w: 2, p: 1, ph: 3, pw: 3, k: 3, seed: 2, shared: false };
    const layer = layerFor(c);
    tf.tidy(() => {
      const xs = inputs(c);
      const [content, style, i1, , i2] = layer.apply(xs, { k: 2 }) as tf.Tensor[];
      const r = layer.apply(xs, { neighbours: [i1, i2] }) as tf.Tensor[];
      expect(r[2].shape).toEqual([1, 2, 2, 2]);
      expect(maxAbsDiff(r[0], content) + maxAbsDiff(r[1], style)).toBe(0);
    });
    free(layer);
  });

  it('rejects a graph of the wrong shape, dtype, k or range, naming the layer, the expected and the received', () => {
    const c: Case = { b: 1, h: 2, w: 2, p: 1, ph: 2, pw: 2, k: 2, seed: 1, shared: false };
    const layer = layerFor(c);
    tf.tidy(() => {
      const xs = inputs(c);
      const call = (neighbours: unknown) => () => layer.apply(xs, { neighbours } as never);
      const ok = tf.zeros([1, 2, 2, 2], 'int32');
      expect(call([tf.zeros([1, 2, 3, 2], 'int32')])).toThrow(/PeerRecombination.*stage 1 as \[1, 2, 2, k\] int32.*int32 \[1,2,3,2\]/);
      expect(call([ok, tf.zeros([1, 2, 2, 2])])).toThrow(/stage 2 as \[1, 2, 2, k\] int32.*float32 \[1,2,2,2\]/);
      expect(call([ok, tf.zeros([1, 2, 2, 3], 'int32')])).toThrow(/k = 2 per row on both stages.*k = 3/);
      expect(call([tf.fill([1, 2, 2, 2], 4, 'int32')])).toThrow(/indices in 0…3.*indices 4…4/);
      expect(call([tf.fill([1, 2, 2, 2], -1, 'int32')])).toThrow(/indices in 0…3.*indices -1…-1/);
      expect(call([ok, ok, ok])).toThrow(/neighbours \[stage1, stage2\?\]/);
      expect(call('graph')).toThrow(/neighbours \[stage1, stage2\?\]/);
    });
    free(layer);
  });

  it('keeps no tensors', async () => {
    const c: Case = { b: 2, h: 2, w: 3, p: 2, ph: 2, pw: 2, k: 2, seed: 4, shared: true };
    const layer = layerFor(c);
    const xs = inputs(c);
    const found = layer.apply(xs) as tf.Tensor[];
    await expectNoLeaks(() => layer.apply(xs, { neighbours: [found[2], found[4]] }), 'replayed call');
    tf.dispose([...xs, ...found]);
    free(layer);
  });
});
