/**
 * The GPU run's bundle, built as `pnpm bench:gpu` packs it and run in its smoke mode on WebGPU in
 * Node (Dawn on SwiftShader's CPU Vulkan driver): every kind of measurement prints its JSON line,
 * without an error. Skipped with a message where no WebGPU adapter is found, required where
 * TPFR_REQUIRE_WEBGPU=1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { probeNodeWebGpu } from '../../../packages/testing/src/node-webgpu.ts';
import { buildGpuBundle, gpuLines, runBundle, swiftShaderEnv } from './bundle.ts';

const { why, skip } = await probeNodeWebGpu('the GPU run (bench:gpu --smoke)', 'cpu');

it.skipIf(skip)(
  'the bundle runs in smoke mode: an adapter line, one line per measurement kind without errors, then done',
  async () => {
    if (why) throw new Error(`TPFR_REQUIRE_WEBGPU=1 but no WebGPU adapter: ${why}`);
    const env = swiftShaderEnv() ?? process.env;
    const dir = mkdtempSync(join(tmpdir(), 'tpfr-gpu-test-'));
    try {
      const bundle = await buildGpuBundle(dir);
      const { code, stdout } = await runBundle(bundle, ['--smoke'], env);
      const lines = gpuLines(stdout);
      expect(code).toBe(0);
      expect(lines.map((l) => l.what)).toEqual(['adapter', 'stylize', 'frames', 'layer', 'train', 'done']);
      expect(lines[0]).toMatchObject({ backend: 'webgpu', smoke: true });
      for (const line of lines) expect(line).not.toHaveProperty('error');
      const [, stylize, frames, layer, train] = lines;
      expect(stylize.ms).toEqual([expect.any(Number)]);
      expect(frames).toMatchObject({ msPerFrame: expect.any(Number), restyleMs: expect.any(Number) });
      expect(layer.ms).toEqual([expect.any(Number)]);
      expect(train.stepsPerSecond).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  180_000,
);
