import { existsSync } from 'node:fs';
import { initBackend } from '@tpfr/core';

/** SwiftShader's Vulkan driver as Debian's `chromium` package ships it. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Whether the WebGPU tests run, and why not. */
export interface NodeWebGpuProbe {
  /** Why WebGPU could not start (null: it can). */
  why: string | null;
  /** `TPFR_REQUIRE_WEBGPU=1`: a missing adapter is a failure, not a skip (CI sets it). */
  required: boolean;
  /** Skip the WebGPU tests: no adapter, and none required. */
  skip: boolean;
}

/**
 * Probes WebGPU in Node (Dawn, the optional `webgpu` package) for a test file: points
 * `VK_ICD_FILENAMES` at SwiftShader's CPU driver when it is installed and no driver is named,
 * tries the backend, warns with how to install it when it is missing (unless required), and goes
 * back to `after` (default wasm).
 */
export async function probeNodeWebGpu(label: string, after: 'wasm' | 'cpu' = 'wasm'): Promise<NodeWebGpuProbe> {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  let why: string | null = null;
  try {
    await initBackend('webgpu');
  } catch (e) {
    why = e instanceof Error ? e.message : String(e);
  } finally {
    await initBackend(after);
  }
  const required = process.env.TPFR_REQUIRE_WEBGPU === '1';
  if (why && !required)
    console.warn(`[webgpu] ${label} skipped: ${why} (install Debian's chromium and libvulkan1 for SwiftShader's CPU adapter)`);
  return { why, required, skip: why !== null && !required };
}
