import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { applyAttentionTransform, attentionScore, type AttentionTransformWeights } from './peer-attention-transform.js';
import { seededTpfrLayer } from '@tpfr/testing';
import type { PeerRecombination, PeerRecombinationArgs, TpfrActivation } from './tpfr-layer.js';

// The layer's stages against a dense float64 reference, for every activation and both metrics,
// on both neighbour-set rules.
const CC = 6;
const CS = 5;
const ACT: Record<TpfrActivation, (x: number) => number> = {
  softplus: (x) => Math.log1p(Math.exp(x)),
  relu: (x) => Math.max(0, x),
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  linear: (x) => x,
};
const r = (s: number[], seed: number) => tf.randomNormal(s, 0, 1, 'float32', seed);
const rows = (t: tf.Tensor, ch: number) => tf.reshape(t, [-1, ch]) as tf.Tensor2D;

function randomLayer(args: PeerRecombinationArgs, seed: number): PeerRecombination {
  return seededTpfrLayer({ returnAttention: true, ...args }, seed, CC, CS);
}

/** Scores u (queries) and v (pool) of a stage's scorer, in inference mode. */
function scores(w: AttentionTransformWeights, q: tf.Tensor2D, pool: tf.Tensor2D): [number[], number[]] {
  const o = { training: false, epsilon: 1e-5, momentum: 0.9 };
  return tf.tidy(() => [
    Array.from(attentionScore(applyAttentionTransform(q, w, o), w.queryKernel, w.queryBias).dataSync()),
    Array.from(attentionScore(applyAttentionTransform(pool, w, o), w.peerKernel, w.peerBias).dataSync()),
  ]);
}

const softmax = (xs: number[]) => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
};

function distance(metric: 'euclidean' | 'cosine', a: number[], b: number[]): number {
  if (metric === 'euclidean') return a.reduce((s, x, c) => s + (x - b[c]) ** 2, 0);
  const dot = a.reduce((s, x, c) => s + x * b[c], 0);
  const n = Math.hypot(...a) * Math.hypot(...b);
  return 1 - dot / n;
}

describe('PeerRecombination against a dense reference', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const activation of Object.keys(ACT) as TpfrActivation[]) {
    for (const metric of ['euclidean', 'cosine'] as const) {
      it(`${activation}, ${metric}: per stage, the weights are softmax_k ${activation}(u_i + v_j) over the k nearest, the output their weighted sum`, () => {
        const [b, h, w, p, ph, pw, k] = [2, 2, 2, 2, 2, 2, 3];
        const xs = [r([b, h, w, CC], 1), r([b, h, w, CS], 2), r([b, p, ph, pw, CC], 3), r([b, p, ph, pw, CS], 4)];
        const layer = randomLayer({ k, activation, metric }, 10);
        const out = layer.apply(xs, { training: false }) as tf.Tensor[];
        const stages = [
          {
            wts: layer.contentAttention!,
            q: rows(xs[0], CC),
            pool: rows(xs[2], CC),
            values: rows(xs[3], CS),
            out: out[1],
            idx: out[2],
            weights: out[3],
          },
          {
            wts: layer.styleAttention!,
            q: rows(out[1], CS),
            pool: rows(xs[3], CS),
            values: rows(xs[2], CC),
            out: out[0],
            idx: out[4],
            weights: out[5],
          },
        ];
        const m = p * ph * pw;
        for (const [s, st] of stages.entries()) {
          const [u, v] = scores(st.wts, st.q, st.pool);
          const [qa, pa, va] = [st.q.arraySync(), st.pool.arraySync(), st.values.arraySync()];
          const idx = Array.from(st.idx.dataSync());
          const got = Array.from(st.weights.dataSync());
          const outRows = rows(st.out, va[0].length).arraySync();
          for (let i = 0; i < qa.length; i++) {
            const sample = Math.floor(i / (h * w));
            const nb = idx.slice(i * k, (i + 1) * k).map((j) => sample * m + j); // per-sample pool rows
            // The k listed are the k nearest of the sample's pool (no other peer is nearer).
            const d = pa.slice(sample * m, (sample + 1) * m).map((pj) => distance(metric, qa[i], pj));
            const kth = Math.max(...nb.map((j) => d[j - sample * m]));
            expect(d.filter((x) => x < kth - 1e-6).length, `stage ${s + 1}, row ${i}`).toBeLessThan(k);
            const want = softmax(nb.map((j) => ACT[activation](u[i] + v[j])));
            want.forEach((x, t) => expect(Math.abs(got[i * k + t] - x), `stage ${s + 1}, row ${i}, weight ${t}`).toBeLessThan(1e-5));
            va[0].forEach((_, c) => {
              const ref = nb.reduce((acc, j, t) => acc + want[t] * va[j][c], 0);
              expect(Math.abs(outRows[i][c] - ref), `stage ${s + 1}, row ${i}, channel ${c}`).toBeLessThan(1e-4);
            });
          }
        }
        tf.dispose([...xs, ...out]);
      });
    }
  }

  for (const [activation, metric, peerPooling] of [
    ['relu', 'cosine', 'shared'],
    ['linear', 'euclidean', 'per-sample'],
    ['elu', 'cosine', 'per-sample'],
  ] as const) {
    it(`ties 'include', ${activation}, ${metric}, ${peerPooling} pools: every twin of the k-th neighbour joins the softmax`, () => {
      const [b, h, w, p, ph, pw, k] = [2, 2, 2, 1, 2, 2, 3];
      const [pc0, ps0] = [r([b, p, ph, pw, CC], 13), r([b, p, ph, pw, CS], 14)];
      const xs = [r([b, h, w, CC], 11), r([b, h, w, CS], 12), tf.concat([pc0, pc0], 1), tf.concat([ps0, ps0], 1)];
      const layer = randomLayer({ k, activation, metric, ties: 'include', peerPooling, stages: 'style-only' }, 20);
      const out = layer.apply(xs, { training: false }) as tf.Tensor[];
      const [q, pool, values] = [rows(xs[0], CC), rows(xs[2], CC), rows(xs[3], CS)];
      const [u, v] = scores(layer.contentAttention!, q, pool);
      const [qa, pa, va] = [q.arraySync(), pool.arraySync(), values.arraySync()];
      const outRows = rows(out[1], CS).arraySync();
      let checked = 0;
      const m = 2 * p * ph * pw; // a sample's peer rows (twins included)
      qa.forEach((qi, i) => {
        const first = peerPooling === 'shared' ? 0 : Math.floor(i / (h * w)) * m;
        const d = pa.slice(first, peerPooling === 'shared' ? pa.length : first + m).map((pj) => distance(metric, qi, pj));
        const kth = [...d].sort((x, y) => x - y)[k - 1];
        if (d.some((x) => x !== kth && Math.abs(x - kth) <= 1e-5 * Math.max(1e-3, kth))) return;
        const set = d.flatMap((x, j) => (x <= kth ? [first + j] : []));
        expect(set.length).toBeGreaterThan(k);
        const wts = softmax(set.map((j) => ACT[activation](u[i] + v[j])));
        va[0].forEach((_, c) => {
          const ref = set.reduce((acc, j, t) => acc + wts[t] * va[j][c], 0);
          expect(Math.abs(outRows[i][c] - ref), `row ${i}, channel ${c}`).toBeLessThan(1e-4);
        });
        checked++;
      });
      expect(checked).toBeGreaterThan(0);
      tf.dispose([pc0, ps0, ...xs, ...out]);
    });
  }
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`ties 'include' with one exemplar twinned, in chunks of 3 queries (${backend}): tied and untied queries each get the dense answer`, async () => {
      await initBackend(backend);
      try {
        const [h, w, ph, pw, k] = [3, 3, 2, 2, 3];
        const pc0 = r([1, 2, ph, pw, CC], 33);
        const ps0 = r([1, 2, ph, pw, CS], 34);
        const twin = (t: tf.Tensor) => tf.concat([t, tf.slice(t, [0, 0], [1, 1])], 1); // exemplar 0 twice
        const xs = [r([1, h, w, CC], 31), r([1, h, w, CS], 32), twin(pc0), twin(ps0)];
        const layer = randomLayer({ k, ties: 'include', stages: 'style-only', valueMemoryBudgetBytes: 4 * k * CS * 3 }, 40);
        const out = layer.apply(xs, { training: false }) as tf.Tensor[];
        const [q, pool, values] = [rows(xs[0], CC), rows(xs[2], CC), rows(xs[3], CS)];
        const [u, v] = scores(layer.contentAttention!, q, pool);
        const [qa, pa, va] = [q.arraySync(), pool.arraySync(), values.arraySync()];
        const outRows = rows(out[1], CS).arraySync();
        const sums = tf.tidy(() => Array.from(tf.sum(out[3], -1).dataSync()));
        let [tied, untied] = [0, 0];
        qa.forEach((qi, i) => {
          const d = pa.map((pj) => distance('euclidean', qi, pj));
          const kth = [...d].sort((x, y) => x - y)[k - 1];
          if (d.some((x) => x !== kth && Math.abs(x - kth) <= 1e-5 * kth)) return;
          const set = d.flatMap((x, j) => (x <= kth ? [j] : []));
          if (set.length > k) {
            tied++;
            expect(sums[i], `row ${i}: its k listed weights`).toBeLessThan(1 - 1e-4);
          } else {
            untied++;
            expect(Math.abs(sums[i] - 1), `row ${i}`).toBeLessThan(1e-5);
          }
          const wts = softmax(set.map((j) => ACT.softplus(u[i] + v[j])));
          va[0].forEach((_, c) => {
            const ref = set.reduce((acc, j, t) => acc + wts[t] * va[j][c], 0);
            expect(Math.abs(outRows[i][c] - ref), `row ${i}, channel ${c}`).toBeLessThan(1e-4);
          });
        });
        expect(tied).toBeGreaterThan(0);
        expect(untied).toBeGreaterThan(0);
        // Chunks [0, 1, 2], [3, 4, 5], [6, 7, 8]: some chunk holds an untied query after a tied one, or before one at other than its first row.
        const isTied = sums.map((x) => x < 1 - 1e-4);
        expect([0, 3, 6].some((c0) => isTied.slice(c0, c0 + 3).some((t) => t) && isTied.slice(c0 + 1, c0 + 3).some((t) => !t))).toBe(true);
        tf.dispose([pc0, ps0, ...xs, ...out]);
      } finally {
        await initBackend('wasm');
      }
    });
  }
});
