import { expect, it } from 'vitest';
import { runSoak } from './soak.js';

// The soak's short version (`pnpm soak` runs 1,000 calls and 300 steps): every stylize call and
// every training step after the first checkpoint leaves the tensor count and bytes as they were.
it('a short soak: mixed stylize calls and a training run with checkpoints keep no tensors', async () => {
  const r = await runSoak({ calls: 30, frames: 40, steps: 10, checkpointEvery: 3, imageHistorySize: 2 });
  console.log(JSON.stringify(r));
  expect(r.calls).toBe(30);
  expect(r.frames).toBe(40);
  expect(r.checkpoints).toBe(4);
  expect(r.tensorGrowth).toBe(0);
  expect(r.byteGrowth).toBe(0);
}, 300_000);
