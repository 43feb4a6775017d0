import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks } from '@tpfr/testing';
import { tpfrLayerInAModel } from './tpfr-layer-in-a-model.js';

it("the guide's example (small channels): predict and the loaded model equal layer.apply", async () => {
  await initBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'tpfr-compose-'));
  try {
    let diff = { predict: Infinity, loaded: Infinity };
    await expectNoLeaks(async () => {
      diff = await tpfrLayerInAModel(dir, { channels: [8, 16], batch: 3, exemplars: 2 });
    }, 'tpfrLayerInAModel');
    expect(diff.predict).toBeLessThan(1e-5);
    expect(diff.loaded).toBeLessThan(1e-5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
