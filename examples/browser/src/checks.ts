/**
 * Checks of the method's own kernels on the active backend, against plain-JavaScript references:
 * `knn` equals a brute-force search (indices; distances within tolerance) and the attention
 * weights are convex (≥ 0, rows summing to 1) and weigh the values as the formula says.
 */
import * as tf from '@tensorflow/tfjs-core';
import { knn, neighbourhoodAttention } from '@tpfr/core';

/** What {@link checkKernels} found. */
export interface KernelReport {
  backend: string;
  /** Query rows whose neighbour indices differ from brute force (0 expected). */
  knnIndexMismatches: number;
  /** Largest distance error against float64 brute force. */
  knnMaxDistanceError: number;
  /** Largest |Σ weights − 1| over rows, and the smallest weight. */
  attentionMaxSumError: number;
  attentionMinWeight: number;
  /** Largest error of the attention output against the formula evaluated in float64. */
  attentionMaxOutputError: number;
}

/** A small seeded generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Runs `knn` and `neighbourhoodAttention` on the active backend with seeded inputs (n queries,
 * m pool rows of d channels; values on a grid of 1/8 so that no two distances tie) and compares
 * them with float64 references computed here.
 */
export async function checkKernels(n = 96, m = 300, d = 24, k = 5, seed = 1): Promise<KernelReport> {
  const r = rng(seed);
  const q = Float32Array.from({ length: n * d }, () => Math.round((r() * 2 - 1) * 64) / 8);
  const p = Float32Array.from({ length: m * d }, () => Math.round((r() * 2 - 1) * 64) / 8 + r() * 1e-3);
  const qt = tf.tensor2d(q, [n, d]);
  const pt = tf.tensor2d(p, [m, d]);
  const res = knn(qt, pt, k, { queryTileSize: 32, poolTileSize: 128 });
  const [idx, dist] = [(await res.indices.data()) as Int32Array, (await res.distances.data()) as Float32Array];
  let knnIndexMismatches = 0;
  let knnMaxDistanceError = 0;
  for (let i = 0; i < n; i++) {
    const all = Array.from({ length: m }, (_, j) => {
      let s = 0;
      for (let c = 0; c < d; c++) s += (q[i * d + c] - p[j * d + c]) ** 2;
      return { j, s };
    }).sort((a, b) => a.s - b.s || a.j - b.j);
    let same = true;
    for (let t = 0; t < k; t++) {
      if (idx[i * k + t] !== all[t].j) same = false;
      knnMaxDistanceError = Math.max(knnMaxDistanceError, Math.abs(dist[i * k + t] - all[t].s) / Math.max(1, all[t].s));
    }
    if (!same) knnIndexMismatches++;
  }
  // Attention on the neighbours found: u, v, values seeded.
  const u = Float32Array.from({ length: n }, () => r() * 4 - 2);
  const v = Float32Array.from({ length: m }, () => r() * 4 - 2);
  const c = 7;
  const values = Float32Array.from({ length: m * c }, () => r() * 2 - 1);
  const att = neighbourhoodAttention(tf.tensor1d(u), tf.tensor1d(v), res.indices, tf.tensor2d(values, [m, c]));
  const [w, out] = [(await att.weights.data()) as Float32Array, (await att.output.data()) as Float32Array];
  let attentionMaxSumError = 0;
  let attentionMinWeight = Infinity;
  let attentionMaxOutputError = 0;
  for (let i = 0; i < n; i++) {
    const logits = Array.from({ length: k }, (_, t) => Math.log1p(Math.exp(u[i] + v[idx[i * k + t]])));
    const mx = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - mx));
    const z = e.reduce((a, b) => a + b, 0);
    let sum = 0;
    for (let t = 0; t < k; t++) {
      sum += w[i * k + t];
      attentionMinWeight = Math.min(attentionMinWeight, w[i * k + t]);
    }
    attentionMaxSumError = Math.max(attentionMaxSumError, Math.abs(sum - 1));
    for (let ch = 0; ch < c; ch++) {
      let ref = 0;
      for (let t = 0; t < k; t++) ref += (e[t] / z) * values[idx[i * k + t] * c + ch];
      attentionMaxOutputError = Math.max(attentionMaxOutputError, Math.abs(out[i * c + ch] - ref));
    }
  }
  tf.dispose([qt, pt, res.indices, res.distances, att.weights, att.output]);
  return {
    backend: tf.getBackend(),
    knnIndexMismatches,
    knnMaxDistanceError,
    attentionMaxSumError,
    attentionMinWeight,
    attentionMaxOutputError,
  };
}
