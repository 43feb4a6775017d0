import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, knn, neighbourhoodAttention, tiedNeighbourhoodAttention } from '@tpfr/core';
import { expectNoLeaks, seededTpfrLayer } from '@tpfr/testing';
import { chunkRows } from './attention-chunks.js';
import { CHUNK_SEED_SALT, STAGE_2_SEED_SALT, stageDropout, tiedRowsChunk } from './dropout-seeds.js';
import { applyAttentionTransform, attentionScore } from './peer-attention-transform.js';
import { poolGroups } from './pool-groups.js';
import type { PeerRecombination } from './tpfr-layer.js';
import { runStage, tpfrStage, type StageOptions, type StageResult, type TpfrStage } from './tpfr-stage.js';

// One stage of the layer (tpfr-stage.ts) against a reference written from the documented rules
// with @tpfr/core's functions alone: per pool, the kNN (or the replayed rows), the attention of
// each chunk of ⌊budget / (4·k·e)⌋ query rows with the seed `seed + 7919·(stage 2) + 104729·chunk`
// (chunks counted over the pools), and under the 'include' tie rule the tied queries' results,
// seeded `−1 − chunks before`, written over their rows. Bitwise equal: same calls, same inputs.
const CC = 6;
const CS = 12;

const caseArb = fc
  .record({
    stage: fc.constantFrom(1 as const, 2 as const),
    b: fc.integer({ min: 1, max: 3 }),
    n: fc.integer({ min: 1, max: 7 }), // query rows per sample
    p: fc.integer({ min: 1, max: 2 }), // exemplars per sample, each given twice when twins
    m: fc.integer({ min: 2, max: 4 }), // rows per exemplar
    k: fc.constantFrom(1, 2, 3, 3, 4), // odd k ties on twins (the k-th neighbour's twin is left out)
    twins: fc.constantFrom(true, true, false), // mostly twins and 'include': ties in most cases
    ties: fc.constantFrom('include' as const, 'include' as const, 'exactly-k' as const),
    metric: fc.constantFrom('euclidean' as const, 'cosine' as const),
    shared: fc.boolean(),
    rowsPerChunk: fc.constantFrom(1, 2, 3, 1000),
    replay: fc.constantFrom(false, false, true),
    dropoutRate: fc.constantFrom(0, 0.4),
    dropoutSeed: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: null }),
    seed: fc.integer({ min: 1, max: 1000 }),
  })
  .filter((c) => (c.shared ? c.b : 1) * c.p * (c.twins ? 2 : 1) * c.m >= c.k) // at least k peers per pool
  .map((c) => (c.dropoutSeed === null ? { ...c, dropoutRate: 0 } : c)); // unseeded dropout would not repeat
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

/** A built layer with seeded random weights: its stage-1 scorer reads width Cc, its stage-2 one Cs. */
function randomLayer(seed: number): PeerRecombination {
  return seededTpfrLayer({}, seed, CC, CS);
}

/** Queries `[B·n, d]`, pool `[B·P′·m, d]` and values `[B·P′·m, e]` (P′ = 2P with twins: each exemplar twice, so distances tie). */
function stageInputs(c: Case): { queries: tf.Tensor2D; pool: tf.Tensor2D; values: tf.Tensor2D } {
  const [d, e] = c.stage === 1 ? [CC, CS] : [CS, CC];
  return tf.tidy(() => {
    const r = (s: number[], i: number) => tf.randomNormal(s, 0, 1, 'float32', c.seed * 10 + i);
    const twin = (x: tf.Tensor) => (c.twins ? tf.concat([x, x], 1) : x);
    return {
      queries: r([c.b * c.n, d], 1) as tf.Tensor2D,
      pool: tf.reshape(twin(r([c.b, c.p, c.m, d], 2)), [-1, d]) as tf.Tensor2D,
      values: tf.reshape(twin(r([c.b, c.p, c.m, e], 3)), [-1, e]) as tf.Tensor2D,
    };
  });
}

/** The case's stage options; a budget of `rowsPerChunk` rows of gathered values per chunk. */
function optionsFor(c: Case): StageOptions {
  const e = c.stage === 1 ? CS : CC;
  const exemplars = c.p * (c.twins ? 2 : 1);
  return {
    k: c.k,
    groups: poolGroups(c.shared ? 'shared' : 'per-sample', c.b, c.n, exemplars, c.m),
    rowsPerExemplar: c.m,
    metric: c.metric,
    ties: c.ties,
    activation: 'softplus',
    knnMemoryBudgetBytes: 512,
    valueMemoryBudgetBytes: 4 * c.k * e * c.rowsPerChunk,
    transform: { training: false, epsilon: 1e-5, momentum: 0.9 },
    dropoutRate: c.dropoutRate,
    dropoutSeed: c.dropoutSeed,
  };
}

/** A replayed graph `[B·n, k]`: arbitrary rows of each query's pool (repeats allowed). */
function replayedGraph(c: Case, poolRows: number): tf.Tensor2D {
  const rows = c.b * c.n;
  return tf.tensor2d(
    Int32Array.from({ length: rows * c.k }, (_, t) => (t * 7 + c.seed) % poolRows),
    [rows, c.k],
    'int32',
  );
}

/** Runs a stage in a `tf.tidy` (as the layer's call does): only its result is kept. */
function inTidy(run: () => StageResult): StageResult {
  const [output, indices, weights] = tf.tidy(() => {
    const r = run();
    return [r.output, r.indices, r.weights];
  });
  return { output, indices, weights } as StageResult;
}

/** The stage by the documented rules: outputs `[N, e]`, indices and weights `[N, k]` as arrays of rows. */
function reference(
  stage: TpfrStage,
  queries: tf.Tensor2D,
  o: StageOptions,
): { output: number[][]; indices: number[][]; weights: number[][] } {
  return tf.tidy(() => {
    const w = stage.weights;
    const u = attentionScore(applyAttentionTransform(queries, w, o.transform), w.queryKernel, w.queryBias);
    const v = attentionScore(applyAttentionTransform(stage.pool, w, o.transform), w.peerKernel, w.peerBias);
    const seedOf = (chunk: number) =>
      o.dropoutSeed === null ? undefined : o.dropoutSeed + 7919 * (stage.index === 2 ? 1 : 0) + 104729 * chunk;
    const [d, e] = [queries.shape[1], stage.values.shape[1]];
    const result = { output: [] as number[][], indices: [] as number[][], weights: [] as number[][] };
    let chunks = 0;
    for (const g of o.groups) {
      const [qg, pg, vg, valg] = [
        tf.slice(queries, [g.q0, 0], [g.nq, d]),
        tf.slice(stage.pool, [g.p0, 0], [g.np, d]),
        tf.slice(v, [g.p0], [g.np]),
        tf.slice(stage.values, [g.p0, 0], [g.np, e]),
      ];
      const ug = tf.slice(u, [g.q0], [g.nq]);
      const found = stage.replayed
        ? { indices: tf.slice(stage.replayed, [g.q0, 0], [g.nq, o.k]), counts: undefined }
        : knn(qg, pg, o.k, { metric: o.metric, memoryBudgetBytes: o.knnMemoryBudgetBytes, ties: o.ties });
      const idx = found.indices;
      const out: number[][] = [];
      const wts: number[][] = [];
      const size = Math.max(1, Math.floor(o.valueMemoryBudgetBytes / (4 * o.k * e))); // [rows, k, e] float32 within the budget
      for (let r0 = 0, j = 0; r0 < g.nq; r0 += size, j++) {
        const rows = Math.min(size, g.nq - r0);
        const r = neighbourhoodAttention(tf.slice(ug, [r0], [rows]), vg, tf.slice(idx, [r0, 0], [rows, o.k]), valg, {
          activation: o.activation,
          dropoutRate: o.dropoutRate,
          seed: seedOf(chunks + j),
        });
        out.push(...(r.output.arraySync() as number[][]));
        wts.push(...(r.weights.arraySync() as number[][]));
      }
      // The tie rule: rows whose neighbour set exceeds k take the tied attention's results.
      const tied = found.counts ? Array.from(found.counts.dataSync()).flatMap((count, i) => (count > o.k ? [i] : [])) : [];
      if (tied.length > 0) {
        const sel = tf.tensor1d(tied, 'int32');
        const t = tiedNeighbourhoodAttention(tf.gather(qg, sel), pg, o.k, tf.gather(ug, sel) as tf.Tensor1D, vg, valg, {
          metric: o.metric,
          memoryBudgetBytes: o.knnMemoryBudgetBytes,
          activation: o.activation,
          dropoutRate: o.dropoutRate,
          seed: seedOf(-1 - chunks),
        });
        const [to, tw] = [t.output.arraySync() as number[][], t.weights.arraySync() as number[][]];
        tied.forEach((row, i) => {
          out[row] = to[i];
          wts[row] = tw[i];
        });
      }
      chunks += Math.ceil(g.nq / size);
      result.output.push(...out);
      result.weights.push(...wts);
      result.indices.push(...(idx.arraySync() as number[][]));
    }
    return result;
  });
}

describe('one TPFR stage (runStage)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  test.prop([caseArb], { seed: 23, numRuns: 80 })(
    'equals the documented rules: pools, replayed graph, tie rule, chunks and their dropout seeds (seeded property)',
    (c) => {
      const layer = randomLayer(c.seed);
      const { queries, pool, values } = stageInputs(c);
      const o = optionsFor(c);
      const replayed = c.replay ? replayedGraph(c, o.groups[0].np) : undefined;
      const weights = c.stage === 1 ? layer.contentAttention! : layer.styleAttention!;
      const stage = tpfrStage({ index: c.stage, weights, pool, values, replayed });
      expect(stage.label).toBe(`stage ${c.stage}`);
      const got = inTidy(() => runStage(stage, queries, o));
      const want = reference(stage, queries, o);
      expect(got.indices.arraySync()).toEqual(want.indices);
      expect(got.weights.arraySync()).toEqual(want.weights);
      expect(got.output.arraySync()).toEqual(want.output);
      tf.dispose([queries, pool, values, got.output, got.indices, got.weights, ...(replayed ? [replayed] : [])]);
      layer.weights.forEach((v) => v.dispose());
    },
  );

  it('ties in several chunks of two pools, with seeded dropout: as the reference, and no tensors kept in a tf.tidy', async () => {
    const c: Case = {
      stage: 2,
      b: 2,
      n: 7,
      p: 1,
      m: 3,
      k: 3,
      twins: true,
      ties: 'include',
      metric: 'euclidean',
      shared: false,
      rowsPerChunk: 3,
      replay: false,
      dropoutRate: 0.4,
      dropoutSeed: 5,
      seed: 9,
    };
    const layer = randomLayer(c.seed);
    const { queries, pool, values } = stageInputs(c);
    const o = optionsFor(c);
    const stage = tpfrStage({ index: 2, weights: layer.styleAttention!, pool, values });
    const want = reference(stage, queries, o);
    // The stage leaves its intermediates to the caller's tf.tidy (the layer's call).
    await expectNoLeaks(() => {
      const got = inTidy(() => runStage(stage, queries, o));
      expect(got.output.arraySync()).toEqual(want.output);
      // k = 3 on twins: every query ties (its 3rd neighbour's twin), so its 3 listed weights sum below 1.
      expect(got.weights.arraySync().every((row) => row.reduce((a, x) => a + x, 0) < 1 - 1e-4)).toBe(true);
      return got;
    }, 'runStage in a tf.tidy');
    expect(o.groups.length).toBe(2);
    expect(chunkRows(o.valueMemoryBudgetBytes, c.k, CC)).toBe(3); // 7 rows per pool: chunks of 3, 3, 1
    tf.dispose([queries, pool, values]);
    layer.weights.forEach((v) => v.dispose());
  });

  it("groups the rows by pool: one group per sample ('per-sample'), or one of every row ('shared')", () => {
    // 2 samples of 3 query rows, 2 exemplars of 4 rows per sample.
    expect(poolGroups('per-sample', 2, 3, 2, 4)).toEqual([
      { q0: 0, nq: 3, p0: 0, np: 8 },
      { q0: 3, nq: 3, p0: 8, np: 8 },
    ]);
    expect(poolGroups('shared', 2, 3, 2, 4)).toEqual([{ q0: 0, nq: 6, p0: 0, np: 16 }]);
  });

  it('derives the dropout seeds as seed + 7919·(stage 2) + 104729·chunk, and −1 − base for the tied rows', () => {
    expect([STAGE_2_SEED_SALT, CHUNK_SEED_SALT]).toEqual([7919, 104729]);
    expect([0, 1, 3].map((j) => stageDropout(1, 0.2, 100).seed(j))).toEqual([100, 100 + 104729, 100 + 3 * 104729]);
    expect([0, 2].map((j) => stageDropout(2, 0.2, 100).seed(j))).toEqual([100 + 7919, 100 + 7919 + 2 * 104729]);
    expect(stageDropout(2, 0.2, 100).seed(tiedRowsChunk(2))).toBe(100 + 7919 - 3 * 104729);
    expect(stageDropout(1, 0.2, null).seed(4)).toBeUndefined();
    expect(stageDropout(1, 0.3, 0).rate).toBe(0.3);
    expect(stageDropout(1, 0.3, 0).seed(0)).toBe(0);
  });
});
