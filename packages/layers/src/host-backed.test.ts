import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { hostBacked } from './host-backed.js';

it('host-backed backends are cpu, wasm and tfjs-node', async () => {
  expect(['cpu', 'wasm', 'tensorflow', 'webgl', 'webgpu'].map((b) => hostBacked(b))).toEqual([true, true, true, false, false]);
  await initBackend('wasm');
  expect(hostBacked()).toBe(true);
});
