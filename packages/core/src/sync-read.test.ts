import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { canReadSync } from '@tpfr/core/internal';

it('only WebGPU cannot read synchronously', async () => {
  expect(['cpu', 'wasm', 'tensorflow', 'webgl', 'webgpu'].map((b) => canReadSync(b))).toEqual([true, true, true, true, false]);
  await initBackend('wasm');
  expect(canReadSync()).toBe(true);
});
