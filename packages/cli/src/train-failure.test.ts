import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { injectXnnStatusFailure, type InjectedKernelFailure, MICRO_MODEL } from '@tpfr/testing';
import { TpfrTrainer } from '@tpfr/models/train';
import { captureCliOutput } from './cli-harness.test-util.js';
import { main } from './main.js';

// `tpfr train` when a kernel fails (as XNNPACK does on an exhausted heap: its status line, then an
// unwritten result) and when the estimated step is above --memory-budget: exit 1 with the message,
// within seconds; bad budgets are usage errors (exit 2).

const dir = mkdtempSync(join(tmpdir(), 'tpfr-train-failure-'));
let xnn: InjectedKernelFailure;
let cli: ReturnType<typeof captureCliOutput>;
const realCreateModel = TpfrTrainer.createModel.bind(TpfrTrainer);

beforeAll(async () => {
  await initBackend('wasm');
  xnn = injectXnnStatusFailure();
});
beforeEach(() => {
  cli = captureCliOutput();
  // A small network: the failure, not the architecture, is under test.
  vi.spyOn(TpfrTrainer, 'createModel').mockImplementation((_preset, seed) => realCreateModel(MICRO_MODEL, seed));
});
afterEach(() => {
  xnn.armed = false;
  vi.restoreAllMocks();
});
afterAll(() => {
  xnn.restore();
  rmSync(dir, { recursive: true, force: true });
});

const train = (...args: string[]) => main(['train', '--size', '32', '--backend', 'wasm', ...args]);

it('exits 1 within seconds with the kernel, the sizes and the memory when a kernel fails, the last good step checkpointed', {
  timeout: 20_000,
}, async () => {
  const ckpt = join(dir, 'fails');
  xnn.armed = true;
  const t0 = performance.now();
  expect(await train('--steps', '3', '--checkpoint', ckpt, '--quiet')).toBe(1);
  expect(performance.now() - t0).toBeLessThan(10_000);
  expect(cli.stderr).toMatch(
    /^tpfr: Conv2D: expected a result, received XNN status 6 from xnn_create_convolution2d_nhwc_f32 \(out of memory\) \(inputs \[.*\]; [\d.]+ MiB of tensors in use, wasm heap [\d.]+ MiB\); the last good state \(step 0\) is checkpointed in /m,
  );
  expect(JSON.parse(readFileSync(join(ckpt, 'trainer.json'), 'utf8')).step).toBe(0);
});

it('says the estimated memory of a step before it starts, and refuses a run above --memory-budget (exit 1)', async () => {
  const ckpt = join(dir, 'budget');
  expect(await train('--preset', 'paper', '--steps', '1', '--checkpoint', ckpt, '--memory-budget', '64MiB')).toBe(1);
  expect(cli.stderr).toMatch(
    /^backend: wasm\ntpfr: a training step needs an estimated [\d.]+ MiB \(weights [\d.]+ MiB, Adam states [\d.]+ MiB, activations [\d.]+ MiB, history [\d.]+ MiB\), above the memory budget of 64.0 MiB \(--memory-budget; on wasm by default its 4 GiB heap\): use a smaller --size or --batch\n$/,
  );
  // Refused before the model was made.
  expect(TpfrTrainer.createModel).not.toHaveBeenCalled();
  expect(existsSync(ckpt)).toBe(false);
  cli.reset();
  expect(await train('--steps', '1', '--checkpoint', ckpt, '--memory-budget', '1GiB')).toBe(0);
  expect(cli.stderr).toMatch(/^backend: wasm\nestimated memory of a step: [\d.]+ MiB \(weights /);
});

it('refuses a budget that is not a size as a usage error (exit 2)', async () => {
  expect(await train('--steps', '1', '--checkpoint', join(dir, 'bad'), '--memory-budget', 'lots', '--quiet')).toBe(2);
  expect(cli.stderr).toBe("tpfr: option --memory-budget: expected a size in MiB or GiB (e.g. 3000, 3000MiB, 3.5GiB), received 'lots'\n");
});
