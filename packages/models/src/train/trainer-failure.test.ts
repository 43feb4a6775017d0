import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { initBackend, KernelFailureError } from '@tpfr/core';
import { injectXnnStatusFailure, type InjectedKernelFailure, MICRO_MODEL } from '@tpfr/testing';
import { createSyntheticDataset } from '@tpfr/models/data';
import { TpfrTrainer } from './trainer.js';

// A kernel that fails as XNNPACK does when the wasm heap is exhausted (its status line, then an
// unwritten result) once armed: the step ends with a KernelFailureError within seconds, the last
// good state is checkpointed, and nothing hangs.

const dir = mkdtempSync(join(tmpdir(), 'tpfr-trainer-failure-'));
let xnn: InjectedKernelFailure;

beforeAll(async () => {
  await initBackend('wasm');
  xnn = injectXnnStatusFailure();
});
afterEach(() => {
  xnn.armed = false;
});
afterAll(() => {
  xnn.restore();
  rmSync(dir, { recursive: true, force: true });
});

it('ends a failing step with a KernelFailureError and checkpoints the last good step', { timeout: 20_000 }, async () => {
  const model = TpfrTrainer.createModel(MICRO_MODEL, 3);
  const trainer = new TpfrTrainer(model, createSyntheticDataset({ size: 32, seed: 3 }), { steps: 5, seed: 3 });
  const checkpoint = join(dir, 'run');
  const t0 = performance.now();
  let failedAt = 0;
  let held = 0;
  const error = await trainer
    .fit({
      checkpointDir: checkpoint,
      checkpointEvery: 100,
      onStep: () => {
        // Step 2 fails.
        xnn.armed = true;
        failedAt = performance.now();
        held = tf.memory().numTensors;
      },
    })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KernelFailureError);
  const k = error as KernelFailureError;
  expect(k.kernel).toBe('Conv2D');
  expect(k.inputShapes.length).toBe(2);
  expect(k.reason).toMatch(/XNN status 6 from xnn_create_convolution2d_nhwc_f32/);
  expect(k.message).toMatch(/MiB of tensors in use, wasm heap .* MiB\); the last good state \(step 1\) is checkpointed in /);
  // Within seconds of the failure, not at the end of a hang.
  expect(performance.now() - failedAt).toBeLessThan(5_000);
  expect(trainer.step).toBe(1);
  expect(JSON.parse(readFileSync(join(checkpoint, 'trainer.json'), 'utf8')).step).toBe(1);
  // The failed step's tensors are freed: what is held is what step 1 left.
  expect(tf.memory().numTensors).toBe(held);
  xnn.armed = false;
  // The run resumes from the checkpoint and goes on.
  const resumed = await TpfrTrainer.resume(checkpoint, createSyntheticDataset({ size: 32, seed: 3 }));
  expect(resumed.step).toBe(1);
  expect(Number.isFinite(resumed.trainStep().losses['aux/reconstruction'])).toBe(true);
  resumed.dispose();
  resumed.model.dispose();
  trainer.dispose();
  model.dispose();
  expect(performance.now() - t0).toBeLessThan(20_000);
});

it('writes no checkpoint over the last good one when the failing step had updated part of the weights', { timeout: 20_000 }, async () => {
  const model = TpfrTrainer.createModel(MICRO_MODEL, 4);
  const trainer = new TpfrTrainer(model, createSyntheticDataset({ size: 32, seed: 4 }), { steps: 5, seed: 4 });
  // The main update's convolutions fail: the auxiliary update is done by then.
  const aux = (trainer as unknown as { optimizers: { aux: tf.AdamOptimizer } }).optimizers.aux;
  const apply = aux.applyGradients.bind(aux);
  aux.applyGradients = (grads) => {
    apply(grads);
    xnn.armed = true;
  };
  const checkpoint = join(dir, 'partial');
  const error = await trainer.fit({ checkpointDir: checkpoint }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KernelFailureError);
  expect((error as Error).message).toMatch(/step 1 had updated part of the weights: no good checkpoint to write$/);
  expect(existsSync(join(checkpoint, 'trainer.json'))).toBe(false);
  trainer.dispose();
  model.dispose();
});
