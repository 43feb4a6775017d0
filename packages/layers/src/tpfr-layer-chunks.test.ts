import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as Core from '@tpfr/core';
import { initBackend } from '@tpfr/core';
import { symbolicPeerInputs } from '@tpfr/testing';
import { PeerRecombination, type PeerRecombinationArgs } from './tpfr-layer.js';

// How the layer calls @tpfr/core: the kNN and attention options it passes, the chunks of query
// rows that keep the gathered values within valueMemoryBudgetBytes, and the dropout seed of each
// stage and chunk (fixed: they make seeded training runs reproducible across versions).
interface AttentionCall {
  rows: number;
  k: number;
  c: number;
  seed?: number;
  dropoutRate?: number;
  activation?: unknown;
}
const calls = vi.hoisted(() => ({
  attention: [] as AttentionCall[],
  knn: [] as { width: number; opts: Record<string, unknown> }[],
  tied: [] as { rows: number; opts: Record<string, unknown> }[],
}));

vi.mock('@tpfr/core', async (importOriginal) => {
  const m = await importOriginal<typeof Core>();
  return {
    ...m,
    neighbourhoodAttention: (...a: Parameters<typeof m.neighbourhoodAttention>) => {
      calls.attention.push({ rows: a[2].shape[0], k: a[2].shape[1], c: a[3].shape[1], ...a[4] });
      return m.neighbourhoodAttention(...a);
    },
    knn: (...a: Parameters<typeof m.knn>) => {
      calls.knn.push({ width: a[0].shape[1], opts: { ...a[3] } });
      return m.knn(...a);
    },
    tiedNeighbourhoodAttention: (...a: Parameters<typeof m.tiedNeighbourhoodAttention>) => {
      calls.tied.push({ rows: a[0].shape[0], opts: { ...a[6] } });
      return m.tiedNeighbourhoodAttention(...a);
    },
  };
});

const CC = 6;
const CS = 12;
const SYMBOLIC: tfl.Shape[] = symbolicPeerInputs(CC, CS);
const r = (s: number[], seed: number) => tf.randomNormal(s, 0, 1, 'float32', seed);
const inputs = (b: number, h: number, w: number, p: number, ph: number, pw: number) => [
  r([b, h, w, CC], 1),
  r([b, h, w, CS], 2),
  r([b, p, ph, pw, CC], 3),
  r([b, p, ph, pw, CS], 4),
];

function layer(args: PeerRecombinationArgs): PeerRecombination {
  const l = new PeerRecombination(args);
  l.build(SYMBOLIC);
  return l;
}

function run(l: PeerRecombination, xs: tf.Tensor[], training = false): void {
  tf.dispose(l.apply(xs, { training }) as tf.Tensor[]);
}

describe('PeerRecombination: calls into @tpfr/core', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  beforeEach(() => {
    calls.attention.length = 0;
    calls.knn.length = 0;
    calls.tied.length = 0;
  });

  it("processes the queries of each pool in chunks of ⌊budget / (4·k·c)⌋ rows (at least one), c the values' width", () => {
    const k = 2;
    const xs = inputs(2, 7, 1, 1, 2, 2); // 7 query rows per sample, 4 peers per pool
    // Stage 1 gathers peer style (c = 12): 3 rows per chunk; stage 2 peer content (c = 6): 6 rows.
    const budget = 4 * k * CS * 3 + 1;
    run(layer({ k, valueMemoryBudgetBytes: budget }), xs);
    expect(calls.attention.map((c) => [c.rows, c.c])).toEqual([
      [3, CS],
      [3, CS],
      [1, CS],
      [3, CS],
      [3, CS],
      [1, CS], // stage 1: sample 0, then sample 1
      [6, CC],
      [1, CC],
      [6, CC],
      [1, CC], // stage 2
    ]);
    for (const c of calls.attention) expect(4 * c.rows * c.k * c.c).toBeLessThanOrEqual(budget);
    // A budget below one row: one row per chunk; a large one: one chunk per pool.
    calls.attention.length = 0;
    run(layer({ k, valueMemoryBudgetBytes: 1, stages: 'style-only' }), xs);
    expect(calls.attention.map((c) => c.rows)).toEqual(Array.from({ length: 14 }, () => 1));
    calls.attention.length = 0;
    run(layer({ k, peerPooling: 'shared' }), xs);
    expect(calls.attention.map((c) => c.rows)).toEqual([14, 14]);
    tf.dispose(xs);
  });

  it('passes the metric, the tie rule and the kNN budget to knn, and the activation to the attention', () => {
    const xs = inputs(1, 2, 2, 2, 2, 2);
    run(layer({ k: 3, metric: 'cosine', ties: 'include', knnMemoryBudgetBytes: 4096, activation: 'elu' }), xs);
    expect(calls.knn.length).toBe(2);
    expect(calls.tied).toEqual([]);
    for (const c of calls.knn) expect(c.opts).toEqual({ metric: 'cosine', memoryBudgetBytes: 4096, checkFinite: false, ties: 'include' });
    for (const c of calls.attention) expect(c).toMatchObject({ activation: 'elu', dropoutRate: 0, seed: undefined });
    calls.knn.length = 0;
    run(layer({ k: 3 }), xs);
    for (const c of calls.knn)
      expect(c.opts).toEqual({ metric: 'euclidean', memoryBudgetBytes: 64 * 1024 * 1024, checkFinite: false, ties: 'exactly-k' });
    // No twins, so no ties: 'include' calls no tied attention (nor does 'exactly-k').
    expect(calls.tied).toEqual([]);
    tf.dispose(xs);
  });

  it('folds channels constant over each exemplar out of the squared-Euclidean search, not the cosine one', () => {
    // 4 of the 6 content channels constant per exemplar, P = 3: the search runs on 2 + 3 columns.
    const [p, ph, pw] = [3, 2, 2];
    const pc = tf.concat([tf.tile(r([1, p, 1, 1, 4], 5), [1, 1, ph, pw, 1]), r([1, p, ph, pw, 2], 6)], 4);
    const xs = [r([1, 2, 2, CC], 1), r([1, 2, 2, CS], 2), pc, r([1, p, ph, pw, CS], 4)];
    run(layer({ k: 2, stages: 'style-only' }), xs);
    expect(calls.knn.map((c) => c.width)).toEqual([2 + p]);
    calls.knn.length = 0;
    run(layer({ k: 2, stages: 'style-only', metric: 'cosine' }), xs);
    expect(calls.knn.map((c) => c.width)).toEqual([CC]);
    tf.dispose(xs);
  });

  it("training: dropout at the layer's rate, chunk j of stage s seeded seed + 7919·s + 104729·j (chunks counted over the pools)", () => {
    const xs = inputs(2, 5, 1, 1, 2, 2);
    const l = layer({ k: 2, attentionDropout: 0.3, valueMemoryBudgetBytes: 4 * 2 * CS * 3 });
    l.setDropoutSeed(100);
    run(l, xs, true);
    const s1 = [0, 1, 2, 3].map((j) => 100 + 104729 * j); // stage 1: 2 chunks (3 + 2 rows) per sample
    const s2 = [0, 1].map((j) => 100 + 7919 + 104729 * j); // stage 2: c = 6, one chunk of 5 rows per sample
    expect(calls.attention.map((c) => c.seed)).toEqual([...s1, ...s2]);
    expect(calls.attention.every((c) => c.dropoutRate === 0.3)).toBe(true);
    calls.attention.length = 0;
    l.setDropoutSeed(null);
    run(l, xs, true);
    expect(calls.attention.every((c) => c.seed === undefined && c.dropoutRate === 0.3)).toBe(true);
    calls.attention.length = 0;
    l.setDropoutSeed(100);
    run(l, xs, false);
    expect(calls.attention.every((c) => c.dropoutRate === 0)).toBe(true);
    tf.dispose(xs);
  });

  it("ties 'include': the tied queries of each pool go to tiedNeighbourhoodAttention once, with the layer's options and their own seed", () => {
    const [c, s, pc0, ps0] = inputs(2, 2, 2, 1, 2, 2);
    const xs = [c, s, tf.concat([pc0, pc0], 1), tf.concat([ps0, ps0], 1)]; // every exemplar twice: every query ties at k = 3
    const l = layer({
      k: 3,
      ties: 'include',
      metric: 'cosine',
      activation: 'relu',
      attentionDropout: 0.25,
      knnMemoryBudgetBytes: 8192,
      stages: 'style-only',
      valueMemoryBudgetBytes: 4 * 3 * CS * 3,
    });
    l.setDropoutSeed(7);
    run(l, xs, true);
    expect(calls.tied.map((t) => t.rows)).toEqual([4, 4]);
    // Per pool: its tied rows first (seed of chunk −1 − base, base = chunks of the pools before), then its chunks of 3 + 1 rows.
    expect(calls.tied.map((t) => t.opts)).toEqual([
      { metric: 'cosine', memoryBudgetBytes: 8192, activation: 'relu', dropoutRate: 0.25, seed: 7 + 104729 * -1 },
      { metric: 'cosine', memoryBudgetBytes: 8192, activation: 'relu', dropoutRate: 0.25, seed: 7 + 104729 * (-1 - 2) },
    ]);
    expect(calls.attention.map((a) => [a.rows, a.seed])).toEqual([
      [3, 7],
      [1, 7 + 104729],
      [3, 7 + 2 * 104729],
      [1, 7 + 3 * 104729],
    ]);
    tf.dispose([...xs, pc0, ps0]);
  });
});
