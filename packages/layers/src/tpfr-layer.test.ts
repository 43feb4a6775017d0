import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, knn } from '@tpfr/core';
import { describeLayerContract } from '@tpfr/testing/layers';
import { applyAttentionTransform, attentionScore, type AttentionTransformWeights } from './peer-attention-transform.js';
import { symbolicPeerInputs } from '@tpfr/testing';
import { PeerRecombination, peerRecombination, type PeerRecombinationArgs } from './tpfr-layer.js';

const CC = 6;
const CS = 12;

const seedTraining = (l: tfl.layers.Layer) => (l as PeerRecombination).setDropoutSeed(5);
describeLayerContract({
  name: 'PeerRecombination (two-stage, per-sample, P = 2 peers of another size)',
  make: () => peerRecombination({ k: 3 }),
  inputShapes: [
    [3, 4, 5, CC],
    [3, 4, 5, CS],
    [3, 2, 3, 3, CC],
    [3, 2, 3, 3, CS],
  ],
  symbolicShapes: [
    [null, null, CC],
    [null, null, CS],
    [null, null, null, CC],
    [null, null, null, CS],
  ],
  trainableWeights: 24,
  nonTrainableWeights: 8,
  gradientInputs: [0, 2, 3], // the input's style is read for its shape only, as the authors'
  atol: 1e-5,
  seedTraining,
});
describeLayerContract({
  name: 'PeerRecombination (style-only, shared, cosine, with attention outputs)',
  make: () => peerRecombination({ k: 2, stages: 'style-only', peerPooling: 'shared', metric: 'cosine', returnAttention: true }),
  inputShapes: [
    [3, 3, 3, CC],
    [3, 3, 3, CS],
    [3, 2, 2, 4, CC],
    [3, 2, 2, 4, CS],
  ],
  trainableWeights: 12,
  nonTrainableWeights: 4,
  gradientInputs: [0, 2, 3],
  atol: 1e-5,
  mixesSamples: true, // one pool of the peers of every sample of the batch
  seedTraining,
});

/** Random inputs: B samples of H×W, P peers per sample of h×w. */
const caseArb = fc.record({
  b: fc.integer({ min: 1, max: 2 }),
  h: fc.integer({ min: 1, max: 4 }),
  w: fc.integer({ min: 1, max: 4 }),
  p: fc.integer({ min: 1, max: 2 }),
  ph: fc.integer({ min: 2, max: 4 }),
  pw: fc.integer({ min: 2, max: 4 }),
  k: fc.integer({ min: 1, max: 4 }),
  seed: fc.integer({ min: 0, max: 1000 }),
});
type Case = { b: number; h: number; w: number; p: number; ph: number; pw: number; k: number; seed: number };

/** content `[B, H, W, Cc]`, style `[B, H, W, Cs]`, peer content `[B, P, h, w, Cc]`, peer style `[B, P, h, w, Cs]`. */
function inputs(c: Case): tf.Tensor[] {
  const r = (s: number[], i: number) => tf.randomNormal(s, 0, 1, 'float32', c.seed * 10 + i);
  return [r([c.b, c.h, c.w, CC], 0), r([c.b, c.h, c.w, CS], 1), r([c.b, c.p, c.ph, c.pw, CC], 2), r([c.b, c.p, c.ph, c.pw, CS], 3)];
}

const SYMBOLIC: tfl.Shape[] = symbolicPeerInputs(CC, CS);

/** A built layer with random (seeded) non-trivial weights, moving statistics included. */
function layerFor(c: Case, args: PeerRecombinationArgs = {}): PeerRecombination {
  const layer = new PeerRecombination({ k: c.k, returnAttention: true, ...args });
  layer.build(SYMBOLIC);
  tf.tidy(() =>
    layer.weights.forEach((v, i) => {
      const shape = v.shape as number[];
      v.write(
        v.name.includes('variance')
          ? tf.randomUniform(shape, 0.5, 2, 'float32', c.seed + i)
          : tf.randomNormal(shape, 0, 0.7, 'float32', c.seed + i),
      );
    }),
  );
  return layer;
}

function run(layer: PeerRecombination, xs: tf.Tensor[]): tf.Tensor[] {
  return layer.apply(xs, { training: false }) as tf.Tensor[];
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

const PROP = { seed: 42, numRuns: 12 };

/**
 * The authors' stage, densely (their `recompose_*_features`), in float64: the full distance
 * matrix, the set `dist ≤ k-th smallest`, softmax(softplus(u + v)) over it, weighted sum of the
 * values. Rows where a distance that is not bitwise equal to the k-th lies within rounding of it
 * (1e-5 relative) have no well-defined set in float32 and are returned as null.
 */
function authorsDenseStage(
  w: AttentionTransformWeights,
  q: tf.Tensor2D,
  pool: tf.Tensor2D,
  values: tf.Tensor2D,
  k: number,
): (number[] | null)[] {
  const o = { training: false, epsilon: 1e-5, momentum: 0.9 };
  const [u, v] = tf.tidy(() => [
    attentionScore(applyAttentionTransform(q, w, o), w.queryKernel, w.queryBias).arraySync(),
    attentionScore(applyAttentionTransform(pool, w, o), w.peerKernel, w.peerBias).arraySync(),
  ]);
  const [qa, pa, va] = [q.arraySync(), pool.arraySync(), values.arraySync()];
  return qa.map((qi, i) => {
    const dist = pa.map((pj) => pj.reduce((s, x, c) => s + (qi[c] - x) ** 2, 0));
    const kth = [...dist].sort((a, b) => a - b)[k - 1];
    if (dist.some((x) => x !== kth && Math.abs(x - kth) <= 1e-5 * kth)) return null;
    const set = dist.flatMap((x, j) => (x <= kth ? [j] : []));
    const logits = set.map((j) => Math.log1p(Math.exp(u[i] + v[j])));
    const mx = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - mx));
    const z = e.reduce((a, b) => a + b, 0);
    return va[0].map((_, c) => set.reduce((s, j, t) => s + (e[t] / z) * va[j][c], 0));
  });
}

/** Max |a − b| over the rows of `ref` that are defined; and how many were. */
function maxAbsDiffRows(a: tf.Tensor2D, ref: (number[] | null)[]): { diff: number; rows: number } {
  const rows = a.arraySync();
  let diff = 0;
  let n = 0;
  ref.forEach((r, i) => {
    if (!r) return;
    n++;
    r.forEach((x, c) => {
      diff = Math.max(diff, Math.abs(rows[i][c] - x));
    });
  });
  return { diff, rows: n };
}

describe('PeerRecombination properties', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  test.prop([caseArb], PROP)('weights are convex over exactly the k nearest peers, per stage', (c) => {
    const xs = inputs(c);
    const layer = layerFor(c);
    const out = run(layer, xs);
    const [, newStyle] = out;
    for (let s = 0; s < 2; s++) {
      const idx = out[2 + 2 * s];
      const wts = out[3 + 2 * s];
      expect(idx.shape).toEqual([c.b, c.h, c.w, c.k]);
      const wv = wts.dataSync();
      for (let r = 0; r < wv.length / c.k; r++) {
        let sum = 0;
        for (let j = 0; j < c.k; j++) {
          expect(wv[r * c.k + j]).toBeGreaterThanOrEqual(0);
          sum += wv[r * c.k + j];
        }
        expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
      }
      // Per sample, the indices are the exact kNN of the stage's queries in the sample's pool.
      const m = c.p * c.ph * c.pw;
      for (let b = 0; b < c.b; b++) {
        tf.tidy(() => {
          const q = tf.reshape(tf.slice(s === 0 ? xs[0] : newStyle, [b, 0, 0, 0], [1, c.h, c.w, s === 0 ? CC : CS]), [
            -1,
            s === 0 ? CC : CS,
          ]) as tf.Tensor2D;
          const pool = tf.reshape(tf.slice(s === 0 ? xs[2] : xs[3], [b], [1]), [m, -1]) as tf.Tensor2D;
          const ref = knn(q, pool, c.k);
          const got = tf.reshape(tf.slice(idx, [b, 0, 0, 0], [1, c.h, c.w, c.k]), [-1, c.k]);
          expect(Array.from(got.dataSync())).toEqual(Array.from(ref.indices.dataSync()));
          expect(new Set(Array.from(got.dataSync()).map((v, i) => `${Math.floor(i / c.k)}:${v}`)).size).toBe(c.h * c.w * c.k);
        });
      }
    }
    tf.dispose([...xs, ...out]);
  });

  test.prop([caseArb], PROP)("outputs are the weighted sums of, and inside the hull of, the k neighbours' values", (c) => {
    const xs = inputs(c);
    const layer = layerFor(c, { peerPooling: 'shared' });
    const out = run(layer, xs);
    const pooled = [tf.reshape(xs[3], [-1, CS]), tf.reshape(xs[2], [-1, CC])];
    const outs = [out[1], out[0]];
    for (let s = 0; s < 2; s++) {
      tf.tidy(() => {
        const idx = tf.reshape(out[2 + 2 * s], [-1, c.k]);
        const wts = tf.reshape(out[3 + 2 * s], [-1, c.k, 1]);
        const nb = tf.gather(pooled[s], idx); // [N, k, C]
        const recon = tf.sum(tf.mul(wts, nb), 1);
        const got = tf.reshape(outs[s], recon.shape);
        expect(maxAbsDiff(got, recon)).toBeLessThan(1e-5);
        const lo = tf.min(nb, 1);
        const hi = tf.max(nb, 1);
        expect(tf.min(tf.sub(got, lo)).dataSync()[0]).toBeGreaterThanOrEqual(-1e-5);
        expect(tf.min(tf.sub(hi, got)).dataSync()[0]).toBeGreaterThanOrEqual(-1e-5);
      });
    }
    tf.dispose([...xs, ...out, ...pooled]);
  });

  test.prop([caseArb], PROP)('permuting the peer pool changes no output', (c) => {
    const xs = inputs(c);
    const layer = layerFor(c, { returnAttention: false });
    const out = run(layer, xs);
    // Reverse the exemplars within each sample and flip every peer map: a permutation of each pool.
    const perm = (t: tf.Tensor) => tf.reverse(t, [1, 2, 3]);
    const xs2 = [xs[0], xs[1], perm(xs[2]), perm(xs[3])];
    const out2 = run(layer, xs2);
    expect(maxAbsDiff(out[0], out2[0])).toBeLessThan(1e-5);
    expect(maxAbsDiff(out[1], out2[1])).toBeLessThan(1e-5);
    tf.dispose([...xs, xs2[2], xs2[3], ...out, ...out2]);
  });

  test.prop([caseArb], PROP)('the result does not depend on the memory budgets (tiling)', (c) => {
    const xs = inputs(c);
    const layer = layerFor(c);
    const tiny = layerFor(c, { knnMemoryBudgetBytes: 64, valueMemoryBudgetBytes: 4 * c.k * CS * 2 });
    const a = run(layer, xs);
    const b = run(tiny, xs);
    for (let i = 0; i < a.length; i++) expect(maxAbsDiff(a[i], b[i])).toBe(0);
    tf.dispose([...xs, ...a, ...b]);
  });

  test.prop([caseArb], PROP)('per-sample pooling equals running the samples one by one', (c) => {
    const xs = inputs(c);
    const layer = layerFor(c, { returnAttention: false });
    const out = run(layer, xs);
    for (let b = 0; b < c.b; b++) {
      const one = xs.map((x) => tf.slice(x, [b], [1]));
      const o = run(layer, one);
      for (let i = 0; i < 2; i++) {
        const part = tf.slice(out[i], [b, 0, 0, 0], [1, -1, -1, -1]);
        expect(maxAbsDiff(part, o[i])).toBeLessThan(1e-6);
        part.dispose();
      }
      tf.dispose([...one, ...o]);
    }
    tf.dispose([...xs, ...out]);
  });

  test.prop([caseArb], PROP)('style-only leaves the content untouched and equals stage 1 of the two-stage layer', (c) => {
    const xs = inputs(c);
    const two = layerFor(c);
    const one = new PeerRecombination({ k: c.k, stages: 'style-only' });
    one.build(xs.map((t) => t.shape));
    const key = (name: string) => /(content|style)_attention\/.*$/.exec(name)![0];
    const byName = new Map(two.weights.map((w) => [key(w.originalName), w.read()]));
    one.setWeights(one.weights.map((w) => byName.get(key(w.originalName))!));
    const a = run(one, xs);
    const b = run(two, xs);
    expect(maxAbsDiff(a[0], xs[0])).toBe(0);
    expect(maxAbsDiff(a[1], b[1])).toBe(0);
    tf.dispose([...xs, ...a, ...b]);
  });

  test.prop([caseArb], PROP)('per-call k and stages equal a layer configured with them', (c) => {
    const xs = inputs(c);
    const two = layerFor({ ...c, k: 4 });
    const same = layerFor(c); // same seed: identical weights, configured with k = c.k
    const overridden = two.apply(xs, { training: false, k: c.k, stages: 'style-only' }) as tf.Tensor[];
    const configured = same.apply(xs, { training: false }) as tf.Tensor[];
    expect(maxAbsDiff(overridden[0], xs[0])).toBe(0);
    expect(maxAbsDiff(overridden[1], configured[1])).toBe(0);
    const full = two.apply(xs, { training: false, k: c.k }) as tf.Tensor[];
    expect(maxAbsDiff(full[0], configured[0])).toBe(0);
    expect(() => two.apply(xs, { k: 0 })).toThrow(/call argument k to be an integer >= 1/);
    tf.dispose([...xs, ...overridden, ...configured, ...full]);
  });

  test.prop([caseArb.filter((c) => c.k > 1)], PROP)(
    "ties 'include': with every exemplar given twice, equals the authors' dense layer (each neighbour's twin kept)",
    (c) => {
      const layer = layerFor({ ...c, b: 1 }, { ties: 'include' });
      const plain = layerFor({ ...c, b: 1 }, { ties: 'exactly-k' });
      const [content, style, pc0, ps0] = inputs({ ...c, b: 1 });
      const [pc, ps] = [tf.concat([pc0, pc0], 1), tf.concat([ps0, ps0], 1)];
      const out = run(layer, [content, style, pc, ps]);
      const rows = (t: tf.Tensor, ch: number) => tf.reshape(t, [-1, ch]) as tf.Tensor2D;
      const s1 = authorsDenseStage(layer.contentAttention!, rows(content, CC), rows(pc, CC), rows(ps, CS), c.k);
      // Stage 2's queries are the layer's own stage-1 output (the reference's differs by rounding).
      const s2 = authorsDenseStage(layer.styleAttention!, rows(out[1], CS), rows(ps, CS), rows(pc, CC), c.k);
      const d1 = maxAbsDiffRows(rows(out[1], CS), s1);
      const d2 = maxAbsDiffRows(rows(out[0], CC), s2);
      expect(d1.diff).toBeLessThan(1e-4);
      expect(d2.diff).toBeLessThan(1e-4);
      expect(d1.rows + d2.rows).toBeGreaterThan(0);
      // Chunks of 2 query rows: the tied rows' results land in their chunks exactly as in one chunk.
      const chunked = layerFor({ ...c, b: 1 }, { ties: 'include', valueMemoryBudgetBytes: 4 * c.k * CS * 2 });
      const outChunked = run(chunked, [content, style, pc, ps]);
      expect(maxAbsDiff(outChunked[0], out[0])).toBe(0);
      expect(maxAbsDiff(outChunked[1], out[1])).toBe(0);
      tf.dispose([...outChunked, ...chunked.weights.map((v) => v.read())]);
      // With k odd, 'exactly-k' drops the k-th neighbour's twin: a different answer (k even takes whole pairs).
      const exact = run(plain, [content, style, pc, ps]);
      if (c.k % 2 === 1) expect(maxAbsDiff(exact[1], out[1])).toBeGreaterThan(1e-6);
      else expect(maxAbsDiff(exact[1], out[1])).toBeLessThan(1e-5);
      expect(layer.getConfig().ties).toBe('include');
      expect(plain.getConfig().ties).toBeUndefined();
      tf.dispose([
        content,
        style,
        pc0,
        ps0,
        pc,
        ps,
        ...out,
        ...exact,
        ...layer.weights.map((v) => v.read()),
        ...plain.weights.map((v) => v.read()),
      ]);
    },
  );

  it('uses batch statistics and dropout in training only, and updates the moving statistics', () => {
    const c: Case = { b: 2, h: 3, w: 3, p: 1, ph: 3, pw: 3, k: 3, seed: 3 };
    const xs = inputs(c);
    const layer = layerFor(c, { returnAttention: false });
    const mean = layer.nonTrainableWeights.find((w) => w.name.includes('content_attention/bn1/moving_mean'))!;
    const before = mean.read().dataSync().slice();
    const e1 = run(layer, xs);
    const e2 = run(layer, xs);
    expect(maxAbsDiff(e1[1], e2[1])).toBe(0);
    expect(Array.from(mean.read().dataSync())).toEqual(Array.from(before));
    const t1 = layer.apply(xs, { training: true }) as tf.Tensor[];
    expect(Array.from(mean.read().dataSync())).not.toEqual(Array.from(before));
    expect(maxAbsDiff(t1[1], e1[1])).toBeGreaterThan(0);
    tf.dispose([...xs, ...e1, ...e2, ...t1]);
  });

  it('works inside tf.model() with symbolic inputs of unknown P, height and width', () => {
    const ins = SYMBOLIC.map((s) => tfl.input({ shape: s.slice(1) as number[] }));
    const layer = peerRecombination({ k: 2 });
    const outs = layer.apply(ins as tfl.SymbolicTensor[]);
    expect(outs.map((o) => o.shape)).toEqual([
      [null, null, null, CC],
      [null, null, null, CS],
    ]);
    const model = tfl.model({ inputs: ins, outputs: outs });
    for (const [h, w, p, ph, pw] of [
      [3, 4, 1, 2, 2],
      [5, 2, 3, 4, 3],
    ]) {
      const xs = inputs({ b: 2, h, w, p, ph, pw, k: 2, seed: h });
      const ys = model.predict(xs) as tf.Tensor[];
      expect(ys.map((y) => y.shape)).toEqual([
        [2, h, w, CC],
        [2, h, w, CS],
      ]);
      tf.dispose([...xs, ...ys]);
    }
  });

  it("predict keeps each sample's P exemplars whatever the batchSize (issue 14: B·P peers were cut to B)", () => {
    const c: Case = { b: 3, h: 3, w: 2, p: 2, ph: 2, pw: 3, k: 3, seed: 14 };
    const layer = layerFor(c, { returnAttention: false });
    const ins = SYMBOLIC.map((s) => tfl.input({ shape: s.slice(1) as number[] }));
    const model = tfl.model({ inputs: ins, outputs: layer.apply(ins as tfl.SymbolicTensor[]) });
    const xs = inputs(c);
    const eager = run(layer, xs);
    for (const batchSize of [1, 2, 32]) {
      const ys = model.predict(xs, { batchSize }) as tf.Tensor[];
      ys.forEach((y, i) => expect(maxAbsDiff(y, eager[i]), `batchSize ${batchSize}, output ${i}`).toBeLessThan(1e-5));
      tf.dispose(ys);
    }
    // B = 1, P = 2 (the guide's example): the second exemplar counts.
    const single = xs.map((x) => tf.slice(x, [0], [1]));
    const firstOnly = [single[0], single[1], tf.slice(single[2], [0, 0], [1, 1]), tf.slice(single[3], [0, 0], [1, 1])];
    const [a, b, d] = [model.predict(single) as tf.Tensor[], run(layer, single), run(layer, firstOnly)];
    expect(maxAbsDiff(a[1], b[1])).toBeLessThan(1e-5);
    expect(maxAbsDiff(b[1], d[1])).toBeGreaterThan(1e-3);
    tf.dispose([...xs, ...eager, ...single, firstOnly[2], firstOnly[3], ...a, ...b, ...d]);
    model.dispose();
  });

  it('gives the same result on wasm as on cpu', async () => {
    await initBackend('cpu');
    const c: Case = { b: 2, h: 4, w: 3, p: 2, ph: 3, pw: 2, k: 3, seed: 9 };
    const xs = inputs(c);
    const layer = layerFor(c, { returnAttention: false });
    const a = run(layer, xs).map((t) => ({ shape: t.shape, data: t.dataSync().slice() }));
    await initBackend('wasm');
    try {
      const ws = layer.getWeights().map((w) => ({ shape: w.shape, data: w.dataSync().slice() }));
      const xw = xs.map((x) => tf.tensor(x.dataSync(), x.shape));
      const l2 = new PeerRecombination({ k: c.k });
      l2.build(xw.map((t) => t.shape));
      l2.setWeights(ws.map((w) => tf.tensor(w.data, w.shape)));
      const b = run(l2, xw);
      b.forEach((t, i) => expect(maxAbsDiff(t, tf.tensor(a[i].data, a[i].shape))).toBeLessThan(1e-5));
    } finally {
      await initBackend('wasm');
    }
  });

  it('names the layer, the expected and the received shapes in errors', () => {
    const layer = peerRecombination({ k: 2 });
    const z = (s: number[]) => tf.zeros(s);
    const bad = [z([1, 2, 2, CC]), z([1, 2, 2, CS]), z([1, 1, 2, 2, CC + 1]), z([1, 1, 2, 2, CS])];
    expect(() => layer.apply(bad)).toThrow(
      /TpfrPeerRecombination: expected peer content \[B, P, h, w, Cc\] with Cc = 6, received shape \[1,1,2,2,7\]/,
    );
    const rank4 = [z([1, 2, 2, CC]), z([1, 2, 2, CS]), z([2, 2, 2, CC]), z([2, 2, 2, CS])];
    expect(() => layer.apply(rank4)).toThrow(/expected peer content \[B, P, h, w, Cc\] of rank 5, received shape \[2,2,2,6\]/);
    const otherBatch = [z([2, 2, 2, CC]), z([2, 2, 2, CS]), z([1, 2, 2, 2, CC]), z([1, 2, 2, 2, CS])];
    expect(() => layer.apply(otherBatch)).toThrow(
      /expected peer content \[B, P, h, w, Cc\] with B = 2 as content, received shape \[1,2,2,2,6\]/,
    );
    const few = [z([1, 2, 2, CC]), z([1, 2, 2, CS]), z([1, 1, 1, 1, CC]), z([1, 1, 1, 1, CS])];
    expect(() => layer.apply(few)).toThrow(/at least k = 2 peer pixels per pool, received 1/);
    expect(() => peerRecombination({ stages: 'three' as never })).toThrow(/stages 'two-stage' or 'style-only'/);
    tf.dispose([...bad, ...rank4, ...otherBatch, ...few]);
  });
});
