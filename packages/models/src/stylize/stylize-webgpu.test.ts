/**
 * stylize on WebGPU in Node: Dawn (the optional `webgpu` package) on SwiftShader's Vulkan driver,
 * a CPU implementation that Debian's `chromium` package ships (`vk_swiftshader_icd.json`; Dawn also
 * needs the Vulkan loader, Debian's `libvulkan1`). Slow, so small; it checks the GPU path's
 * results, not its speed. Skipped with a message where no adapter is found, required where
 * TPFR_REQUIRE_WEBGPU=1 (`.ci/run` installs both packages and sets it).
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { MICRO_MODEL, probeNodeWebGpu } from '@tpfr/testing';
import { initBackend, knn } from '@tpfr/core';
import { stylize, type TpfrModel } from '@tpfr/models';
import { TpfrTrainer } from '@tpfr/models/train';

const { why, skip } = await probeNodeWebGpu('stylize');

const seeded = (): TpfrModel => TpfrTrainer.createModel(MICRO_MODEL, 9);

/** Seeded content and style pixels `[h, w, 3]` in 0…255, as plain arrays (usable on any backend). */
function seededPixels(shapes: [number, number][], seeds: number[]): { data: Float32Array; shape: number[] }[] {
  return shapes.map(([h, w], i) => {
    const t = tf.randomUniform([h, w, 3], 0, 255, 'float32', seeds[i]);
    const data = t.dataSync().slice() as Float32Array;
    t.dispose();
    return { data, shape: t.shape };
  });
}

/** The largest difference, on the model's −1…1 scale, between `stylize` on WebGPU and on wasm with a fresh model of `make`. */
async function webgpuAgainstWasm(make: () => TpfrModel, pixels: { data: Float32Array; shape: number[] }[]): Promise<number> {
  const run = async (backend: 'webgpu' | 'wasm') => {
    await initBackend(backend);
    expect(tf.getBackend()).toBe(backend);
    const model = make();
    const [c, s] = pixels.map((p) => tf.tensor3d(p.data, p.shape as [number, number, number]));
    const y = stylize(model, c, s, { range: '0-255' });
    const out = await y.data();
    tf.dispose([c, s, y]);
    model.dispose();
    return out;
  };
  const [gpu, cpu] = [await run('webgpu'), await run('wasm')];
  let diff = 0;
  for (let i = 0; i < cpu.length; i++) diff = Math.max(diff, Math.abs(gpu[i] - cpu[i]) / 127.5);
  return diff;
}

it.skipIf(skip)(
  'stylize on WebGPU (Dawn in Node) equals wasm, and knn equals brute force there',
  async () => {
    if (why) throw new Error(`TPFR_REQUIRE_WEBGPU=1 but no WebGPU adapter: ${why}`);
    await initBackend('wasm');
    const diff = await webgpuAgainstWasm(
      seeded,
      seededPixels(
        [
          [36, 44],
          [32, 32],
        ],
        [1, 2],
      ),
    );
    expect(diff).toBeLessThan(1e-3); // on the model's −1…1 scale
    // k-NN on the device against a brute force here.
    await initBackend('webgpu');
    const q = tf.tensor2d(
      Array.from({ length: 40 * 6 }, (_, i) => Math.sin(i * 1.7) * 4),
      [40, 6],
    );
    const p = tf.tensor2d(
      Array.from({ length: 90 * 6 }, (_, i) => Math.cos(i * 0.9) * 4),
      [90, 6],
    );
    const found = knn(q, p, 4, { queryTileSize: 16, poolTileSize: 32 });
    const [qa, pa, idx] = [await q.data(), await p.data(), await found.indices.data()];
    for (let i = 0; i < 40; i++) {
      const order = Array.from({ length: 90 }, (_, j) => j)
        .map((j) => ({ j, d: Array.from({ length: 6 }, (_, c) => (qa[i * 6 + c] - pa[j * 6 + c]) ** 2).reduce((a, b) => a + b, 0) }))
        .sort((a, b) => a.d - b.d || a.j - b.j);
      expect(Array.from(idx.slice(i * 4, i * 4 + 4))).toEqual(order.slice(0, 4).map((o) => o.j));
    }
    tf.dispose([q, p, found.indices, found.distances]);
    await initBackend('wasm');
  },
  300_000,
);

it.skipIf(skip)(
  "the authors' tie rule ('include') on WebGPU, which cannot read back which queries tie: the k nearest, as wasm's where nothing ties",
  async () => {
    if (why) throw new Error(`TPFR_REQUIRE_WEBGPU=1 but no WebGPU adapter: ${why}`);
    const diff = await webgpuAgainstWasm(
      () => TpfrTrainer.createModel({ ...MICRO_MODEL, ties: 'include' }, 9),
      seededPixels(
        [
          [32, 36],
          [32, 32],
        ],
        [3, 4],
      ),
    );
    expect(diff).toBeLessThan(1e-3);
    await initBackend('wasm');
  },
  300_000,
);
