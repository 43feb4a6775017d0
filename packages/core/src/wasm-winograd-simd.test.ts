import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { WINOGRAD_CASES, type WinogradPad as Pad, winogradCaseArb } from '@tpfr/testing/winograd-cases';
import { winogradMatrices } from './generated/simd-kernels.js';
import { WINOGRAD_MIN_CHANNELS, setWasmWinograd } from './wasm-winograd.js';
import { prepareSimdKernels, setWasmSimdKernels } from './wasm-simd-module.js';
import { tileTransforms } from './wasm-winograd-simd.js';

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(async () => {
  setWasmSimdKernels(true);
  setWasmWinograd(true);
  await initBackend('wasm');
});

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** conv2d on wasm three ways: direct, Winograd with the composed transforms, Winograd with the SIMD ones. */
function threeWays(x: tf.Tensor4D, w: tf.Tensor4D, pad: Pad) {
  setWasmWinograd(false);
  const direct = tf.conv2d(x, w, 1, pad as 'same');
  setWasmWinograd(true);
  setWasmSimdKernels(false);
  const composed = tf.conv2d(x, w, 1, pad as 'same');
  setWasmSimdKernels(true);
  const simd = tf.conv2d(x, w, 1, pad as 'same');
  return { direct, composed, simd, scale: tf.max(tf.abs(direct)).dataSync()[0] };
}

it('the SIMD transforms give the convolution within float32 rounding, as the composed ones do, for the fixed cases (paddings, odd sizes, batches, several chunks)', () => {
  for (const c of WINOGRAD_CASES) {
    tf.tidy(() => {
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 21) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, c.x[3], c.co], 0, Math.sqrt(2 / (9 * c.x[3])), 'float32', 22) as tf.Tensor4D;
      const { direct, composed, simd, scale } = threeWays(x, w, c.pad);
      expect(simd.shape).toEqual(direct.shape);
      expect(maxDiff(simd, direct), JSON.stringify(c)).toBeLessThan(4e-5 * scale);
      expect(maxDiff(simd, composed), JSON.stringify(c)).toBeLessThan(4e-5 * scale);
      // Another summation order: not the composed path's bits.
      expect(maxDiff(simd, composed), `${JSON.stringify(c)}: the SIMD path ran`).toBeGreaterThan(0);
    });
  }
});

it('equals the direct convolution for drawn paddings (tiles starting off the image, partial last tiles), sizes and batches (seeded)', () => {
  fc.assert(
    fc.property(winogradCaseArb({ minChannels: WINOGRAD_MIN_CHANNELS, padBefore: 0 }), (c) => {
      tf.tidy(() => {
        const x = tf.randomNormal(c.x, 0, 1, 'float32', c.x[1] * 100 + c.x[2]) as tf.Tensor4D;
        const w = tf.randomNormal([3, 3, c.x[3], c.co], 0, Math.sqrt(2 / (9 * c.x[3])), 'float32', c.co) as tf.Tensor4D;
        const { direct, composed, simd, scale } = threeWays(x, w, c.pad);
        expect(maxDiff(simd, direct), JSON.stringify(c)).toBeLessThan(4e-5 * scale);
        expect(maxDiff(simd, composed), JSON.stringify(c)).toBeLessThan(4e-5 * scale);
      });
    }),
    { seed: 41, numRuns: 8 },
  );
});

it('transforms a filter as (G ⊗ G)·g does, and takes only channel counts that are multiples of 4', () => {
  const backend = tf.backend() as BackendWasm;
  const simd = tileTransforms(backend, 160, 164);
  expect(simd).not.toBeNull();
  expect(tileTransforms(backend, 162, 164)).toBeNull();
  expect(tileTransforms(backend, 160, 161)).toBeNull();
  const g = tf.randomNormal([3, 3, 160, 164], 0, 1, 'float32', 23) as tf.Tensor4D;
  const us = simd!.filter(g);
  const { G } = winogradMatrices;
  const gv = g.dataSync();
  const n = 160 * 164;
  let worst = 0;
  for (let p = 0; p < 36; p++) {
    const [i, k] = [Math.floor(p / 6), p % 6];
    const u = backend.typedArrayFromHeap(us[p]) as Float32Array;
    for (const idx of [0, 1, 7, 1000, n - 1]) {
      let ref = 0;
      let abs = 0;
      for (let j = 0; j < 3; j++)
        for (let l = 0; l < 3; l++) {
          const t = G[i][j] * G[k][l] * gv[(j * 3 + l) * n + idx];
          ref += t;
          abs += Math.abs(t);
        }
      worst = Math.max(worst, Math.abs(u[idx] - ref) / Math.max(abs, 1e-30));
    }
  }
  for (const u of us) backend.disposeData(u.dataId);
  g.dispose();
  expect(worst).toBeLessThan(1e-6);
});

it('channel counts that are not multiples of 4 take the composed transforms, with the same results', () => {
  tf.tidy(() => {
    const x = tf.randomNormal([1, 50, 49, 162], 0, 1, 'float32', 24) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 162, 161], 0, 0.03, 'float32', 25) as tf.Tensor4D;
    const { direct, composed, simd, scale } = threeWays(x, w, 'same');
    expect(maxDiff(simd, composed)).toBe(0);
    expect(maxDiff(simd, direct)).toBeLessThan(4e-5 * scale);
  });
});

it('keeps no tensors, in the engine or in the wasm heap, and says what it was set to', async () => {
  const x = tf.randomNormal([2, 40, 40, 160], 0, 1, 'float32', 26) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 160, 160], 0, 0.04, 'float32', 27) as tf.Tensor4D;
  const backend = tf.engine().backend;
  const ids = backend.numDataIds();
  await expectNoLeaks(() => tf.conv2d(x, w, 1, 'same'));
  expect(backend.numDataIds()).toBe(ids);
  expect(setWasmSimdKernels(false)).toBe(true);
  expect(setWasmSimdKernels(true)).toBe(false);
  tf.dispose([x, w]);
});

it("runs in the single-threaded build's memory (not shared) as in the threaded one's", async () => {
  const run = async () => {
    const x = tf.randomNormal([1, 52, 52, 160], 0, 1, 'float32', 28) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 160, 160], 0, 0.04, 'float32', 29) as tf.Tensor4D;
    const y = tf.conv2d(x, w, 1, 'same');
    const v = await y.data();
    tf.dispose([x, w, y]);
    return v;
  };
  const threaded = await run();
  await initBackend('wasm', { threads: 1 });
  const backend = tf.backend() as BackendWasm;
  const memory = (backend as unknown as { wasm: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } } }).wasm;
  const buffer = (memory.wasmMemory ?? memory.asm?.memory)?.buffer;
  expect(buffer, 'the single-threaded build exposes its memory').toBeDefined();
  expect(buffer instanceof SharedArrayBuffer).toBe(false);
  expect(await prepareSimdKernels(backend)).toBe(true);
  expect(tileTransforms(backend, 160, 160)).not.toBeNull();
  const single = await run();
  let diff = 0;
  threaded.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(v - single[i]));
  });
  expect(diff).toBe(0);
});
