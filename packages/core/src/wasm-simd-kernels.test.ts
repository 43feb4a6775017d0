import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initBackend, instanceNorm, knn } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { setWasmSimdKernels } from './wasm-simd-module.js';

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => {
  setWasmSimdKernels(true);
});

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** `f` with our SIMD kernels off (tfjs' kernels and compositions), then on. */
function offOn<T>(f: () => T): [T, T] {
  setWasmSimdKernels(false);
  try {
    const off = f();
    setWasmSimdKernels(true);
    return [off, f()];
  } finally {
    setWasmSimdKernels(true);
  }
}

/** Instance normalization of `x` in float64, from its float32 values. */
function instanceNorm64(x: tf.Tensor4D, epsilon: number, gamma?: Float32Array, beta?: Float32Array): Float64Array {
  const [b, h, w, c] = x.shape;
  const xv = x.dataSync();
  const hw = h * w;
  const out = new Float64Array(xv.length);
  for (let i = 0; i < b; i++)
    for (let j = 0; j < c; j++) {
      const at = (p: number) => (i * hw + p) * c + j;
      let m = 0;
      for (let p = 0; p < hw; p++) m += xv[at(p)];
      m /= hw;
      let v = 0;
      for (let p = 0; p < hw; p++) v += (xv[at(p)] - m) ** 2;
      v /= hw;
      for (let p = 0; p < hw; p++) out[at(p)] = ((xv[at(p)] - m) / Math.sqrt(v + epsilon)) * (gamma ? gamma[j] : 1) + (beta ? beta[j] : 0);
    }
  return out;
}

it('instance normalization by the SIMD kernel is as close to float64 as the composed one, or closer (seeded shapes, offsets, scales, γ and β)', () => {
  const arb = fc.record({
    b: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 1, max: 70 }),
    w: fc.integer({ min: 1, max: 70 }),
    c: fc.integer({ min: 1, max: 24 }).map((q) => 4 * q),
    offset: fc.double({ min: -50, max: 50, noNaN: true }),
    scale: fc.double({ min: 0.01, max: 20, noNaN: true }),
    affine: fc.boolean(),
  });
  let closer = 0;
  fc.assert(
    fc.property(arb, ({ b, h, w, c, offset, scale, affine }) => {
      tf.tidy(() => {
        const x = tf.add(tf.mul(tf.randomNormal([b, h, w, c], 0, 1, 'float32', h * 97 + w), scale), offset) as tf.Tensor4D;
        const gamma = affine ? tf.randomNormal([c], 1, 0.2, 'float32', 3) : undefined;
        const beta = affine ? tf.randomNormal([c], 0, 0.2, 'float32', 4) : undefined;
        const ref = instanceNorm64(x, 1e-5, gamma?.dataSync() as Float32Array, beta?.dataSync() as Float32Array);
        const error = (y: tf.Tensor) => (y.dataSync() as Float32Array).reduce((e, v, i) => Math.max(e, Math.abs(v - ref[i])), 0);
        const [composed, simd] = offOn(() => instanceNorm(x, 1e-5, gamma, beta));
        expect(simd.shape).toEqual(x.shape);
        const [ec, es] = [error(composed), error(simd)];
        expect(es, JSON.stringify({ b, h, w, c, offset, scale, ec })).toBeLessThanOrEqual(1.5 * Math.max(ec, 2e-6));
        if (es < ec) closer++;
      });
    }),
    { seed: 51, numRuns: 30 },
  );
  expect(closer, 'cases where the SIMD kernel was closer to float64').toBeGreaterThan(15);
});

it('instance normalization of a constant channel gives β (the variance 0, the deviation 0), as composed', () => {
  tf.tidy(() => {
    const x = tf.concat([tf.fill([1, 9, 7, 4], 3.75), tf.randomNormal([1, 9, 7, 4], 0, 1, 'float32', 5)], 3) as tf.Tensor4D;
    const beta = tf.tensor1d([0.5, -1, 2, 0, 1, 1, 1, 1]);
    const y = instanceNorm(x, 1e-5, undefined, beta);
    expect(Array.from(tf.slice(y, [0, 0, 0, 0], [1, 9, 7, 4]).dataSync()).every((v, i) => v === [0.5, -1, 2, 0][i % 4])).toBe(true);
  });
});

it('instance normalization composes tfjs ops where a gradient is recorded, or the channels are not a multiple of 4, so the gradients are those of the maths', () => {
  tf.tidy(() => {
    const x = tf.randomNormal([2, 6, 5, 8], 1, 2, 'float32', 6) as tf.Tensor4D;
    const dy = tf.randomNormal([2, 6, 5, 8], 0, 1, 'float32', 7);
    const reference = (v: tf.Tensor4D) => {
      const { mean, variance } = tf.moments(v, [1, 2], true);
      return tf.div(tf.sub(v, mean), tf.sqrt(tf.add(variance, 1e-5)));
    };
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(instanceNorm(v as tf.Tensor4D), dy)))(x);
    const want = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(reference(v as tf.Tensor4D), dy)))(x);
    expect(maxDiff(g, want)).toBeLessThan(1e-4);
    const odd = tf.randomNormal([1, 5, 5, 6], 0, 1, 'float32', 8) as tf.Tensor4D;
    const [a, b] = offOn(() => instanceNorm(odd));
    expect(maxDiff(a, b)).toBe(0);
  });
});

it('PReLU by the SIMD kernel equals wasm’s own bit for bit, for one alpha and one per channel; other alphas keep wasm’s', () => {
  tf.tidy(() => {
    const x = tf.randomNormal([2, 7, 9, 12], 0, 1, 'float32', 9);
    for (const alpha of [
      tf.tensor1d([0.25]),
      tf.randomNormal([12], 0.2, 0.1, 'float32', 10),
      tf.randomNormal([1, 1, 12], 0.2, 0.1, 'float32', 11),
    ]) {
      const [own, simd] = offOn(() => tf.prelu(x, alpha));
      expect(maxDiff(own, simd)).toBe(0);
    }
    const full = tf.randomNormal([7, 9, 12], 0.2, 0.1, 'float32', 12);
    const odd = tf.randomNormal([3, 5, 6], 0, 1, 'float32', 13);
    expect(maxDiff(...offOn(() => tf.prelu(x, full)))).toBe(0);
    expect(maxDiff(...offOn(() => tf.prelu(odd, tf.tensor1d([0.1]))))).toBe(0);
    // Its gradient is tfjs' (registered by kernel name), on the SIMD forward.
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.prelu(v, tf.tensor1d([0.25]))))(x);
    expect(maxDiff(g, tf.where(tf.less(x, 0), tf.fill(x.shape, 0.25), tf.onesLike(x)))).toBe(0);
  });
});

it('batched products by the SIMD kernel equal wasm’s own within float32 rounding (seeded shapes; bit for bit for the attention’s few terms)', () => {
  const arb = fc.record({
    lead: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 2 }).filter((l) => l.reduce((a, b) => a * b, 1) > 1),
    m: fc.integer({ min: 1, max: 9 }),
    k: fc.integer({ min: 1, max: 40 }),
    n: fc.integer({ min: 1, max: 30 }).map((q) => 4 * q),
  });
  fc.assert(
    fc.property(arb, ({ lead, m, k, n }) => {
      tf.tidy(() => {
        const a = tf.randomNormal([...lead, m, k], 0, 1, 'float32', m * 31 + k);
        const b = tf.randomNormal([...lead, k, n], 0, 1, 'float32', n);
        const [own, simd] = offOn(() => tf.matMul(a, b));
        expect(simd.shape).toEqual(own.shape);
        expect(maxDiff(own, simd)).toBeLessThan(1e-5 * k);
      });
    }),
    { seed: 52, numRuns: 25 },
  );
  tf.tidy(() => {
    const w = tf.randomNormal([4096, 1, 5], 0, 1, 'float32', 14);
    const v = tf.randomNormal([4096, 5, 512], 0, 1, 'float32', 15);
    expect(maxDiff(...offOn(() => tf.matMul(w, v)))).toBe(0);
  });
});

it('knn’s running top-k by the SIMD kernel equals the JS scan bit for bit: indices and distances, ties to the lower pool row (seeded)', () => {
  const arb = fc.record({
    n: fc.integer({ min: 1, max: 300 }),
    m: fc.integer({ min: 1, max: 700 }),
    d: fc.integer({ min: 1, max: 20 }),
    k: fc.integer({ min: 1, max: 9 }),
    levels: fc.constantFrom(2, 5, 1000),
  });
  fc.assert(
    fc.property(arb, ({ n, m, d, k, levels }) => {
      tf.tidy(() => {
        // Few levels: many equal distances, so the order of ties is tested.
        const q = tf.round(tf.mul(tf.randomUniform([n, d], 0, 1, 'float32', n + d), levels)) as tf.Tensor2D;
        const p = tf.round(tf.mul(tf.randomUniform([m, d], 0, 1, 'float32', m + k), levels)) as tf.Tensor2D;
        const [js, simd] = offOn(() => knn(q, p, Math.min(k, m), { topk: 'host' }));
        expect(Array.from(simd.indices.dataSync())).toEqual(Array.from(js.indices.dataSync()));
        expect(Array.from(simd.distances.dataSync())).toEqual(Array.from(js.distances.dataSync()));
      });
    }),
    { seed: 53, numRuns: 30 },
  );
  // NaN scores (a model with NaN weights) beat nothing: such rows keep column 0 and −∞, as in the JS scan.
  tf.tidy(() => {
    const q = tf.concat([tf.fill([3, 4], Number.NaN), tf.randomNormal([5, 4], 0, 1, 'float32', 17)]) as tf.Tensor2D;
    const p = tf.randomNormal([300, 4], 0, 1, 'float32', 18) as tf.Tensor2D;
    const [js, simd] = offOn(() => knn(q, p, 3, { topk: 'host', checkFinite: false }));
    expect(Array.from(simd.indices.dataSync())).toEqual(Array.from(js.indices.dataSync()));
    expect(Array.from(simd.indices.dataSync().slice(0, 9))).toEqual(new Array(9).fill(0));
  });
});

it('the kernels keep no tensors, in the engine or in the wasm heap', async () => {
  const x = tf.randomNormal([2, 16, 16, 8], 0, 1, 'float32', 16) as tf.Tensor4D;
  const gamma = tf.ones([8]);
  const a = tf.randomNormal([6, 1, 5]);
  const v = tf.randomNormal([6, 5, 8]);
  const alpha = tf.scalar(0.2);
  const backend = tf.engine().backend;
  const ids = backend.numDataIds();
  await expectNoLeaks(() => instanceNorm(x, 1e-5, gamma, gamma), 'instanceNorm');
  await expectNoLeaks(() => tf.prelu(x, alpha as unknown as tf.Tensor4D), 'prelu');
  await expectNoLeaks(() => tf.matMul(a, v), 'batched rows');
  const pool = tf.randomNormal([40, 8]) as tf.Tensor2D;
  await expectNoLeaks(() => {
    const r = knn(pool, pool, 3);
    return [r.indices, r.distances];
  }, 'knn');
  pool.dispose();
  expect(backend.numDataIds()).toBe(ids);
  tf.dispose([x, gamma, a, v, alpha]);
});
