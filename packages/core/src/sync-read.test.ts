import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { canReadSync, hostBacked } from '@tpfr/core/utils';

it('host-backed backends are cpu, wasm and tfjs-node; only WebGPU cannot read synchronously', async () => {
  expect(['cpu', 'wasm', 'tensorflow', 'webgl', 'webgpu'].map((b) => hostBacked(b))).toEqual([true, true, true, false, false]);
  expect(['cpu', 'wasm', 'tensorflow', 'webgl', 'webgpu'].map((b) => canReadSync(b))).toEqual([true, true, true, true, false]);
  await initBackend('wasm');
  expect([hostBacked(), canReadSync()]).toEqual([true, true]);
});
