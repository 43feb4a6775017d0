import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { createSyntheticDataset, type StyleDataset } from '@tpfr/models/data';
import { TpfrTrainer } from '@tpfr/models/train';
import { MICRO_MODEL } from '@tpfr/testing';
import { readCheckpoint } from './checkpoint.js';

/** The smallest useful network: a step takes a fraction of a second on wasm. */
const dir = mkdtempSync(join(tmpdir(), 'tpfr-trainer-fit-'));
beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Lets vitest's worker talk to the main process between long synchronous steps. */
const tick = () => new Promise((r) => setImmediate(r));
const data = createSyntheticDataset({ size: 32, seed: 23 });
const stepOf = (d: string) => {
  try {
    return JSON.parse(readFileSync(join(d, 'trainer.json'), 'utf8')).step as number;
  } catch {
    return null;
  }
};
const tensorNames = async (d: string) => {
  const { model, state } = await readCheckpoint(d, 't');
  const names = state.tensors.map((t) => t.name);
  tf.dispose(state.tensors.map((t) => t.tensor));
  model.dispose();
  return names;
};

it('refuses images of a side below the minimum or not a multiple of it, and steps past the end', async () => {
  const model = TpfrTrainer.createModel(MICRO_MODEL, 1);
  const fake = (size: number): StyleDataset => ({ size, styleClasses: ['a'], sampleBatch: data.sampleBatch.bind(data) });
  for (const size of [28, 34, 30]) {
    expect(() => new TpfrTrainer(model, fake(size), { steps: 1 })).toThrow(
      new RegExp(`^TpfrTrainer: expected training images of a side ≥ 32 and a multiple of 4, received ${size}$`),
    );
  }
  new TpfrTrainer(model, fake(36), { steps: 1 }).dispose();
  const t = new TpfrTrainer(model, data, { steps: 1, seed: 1, imageHistorySize: 0 });
  const info = t.trainStep();
  expect([info.step, info.steps, info.learningRate]).toEqual([1, 1, 4e-4]);
  expect(info.ms).toBeGreaterThanOrEqual(0);
  expect(info.ms).toBeLessThan(120_000);
  expect(() => t.trainStep()).toThrow(/^TpfrTrainer.trainStep: all 1 steps are done \(resume with more steps to go on\)$/);
  t.dispose();
  model.dispose();
});

it('fit checks checkpointEvery and timeLimitMs', async () => {
  const model = TpfrTrainer.createModel(MICRO_MODEL, 1);
  const t = new TpfrTrainer(model, data, { steps: 1 });
  for (const every of [0, 1.5, -2]) {
    await expect(t.fit({ checkpointEvery: every })).rejects.toThrow(
      new RegExp(`^TpfrTrainer.fit: expected checkpointEvery an integer >= 1, received ${every}$`),
    );
  }
  await expect(t.fit({ timeLimitMs: -1 })).rejects.toThrow(/^TpfrTrainer.fit: expected timeLimitMs >= 0, received -1$/);
  await expect(t.fit({ timeLimitMs: NaN })).rejects.toThrow(/^TpfrTrainer.fit: expected timeLimitMs >= 0, received NaN$/);
  expect(t.step).toBe(0);
  // 1 is a valid period, and an infinite time limit none.
  const ckpt = join(dir, 'every-1');
  expect((await t.fit({ checkpointEvery: 1, checkpointDir: ckpt, timeLimitMs: Infinity })).stoppedBy).toBe('done');
  expect(stepOf(ckpt)).toBe(1);
  t.dispose();
  model.dispose();
});

it('fit writes a checkpoint every checkpointEvery steps and at the end, each once; the image history replaces its images over the steps', async () => {
  const ckpt = join(dir, 'every');
  const t = new TpfrTrainer(TpfrTrainer.createModel(MICRO_MODEL, 23), data, { steps: 5, seed: 23, imageHistorySize: 2 });
  const save = vi.spyOn(t, 'saveCheckpoint');
  const seen: (number | null)[] = [];
  const pools: number[][] = [];
  const result = await t.fit({
    checkpointDir: ckpt,
    checkpointEvery: 2,
    onStep: () => {
      seen.push(stepOf(ckpt)); // written after the callback
    },
  });
  expect(result.stoppedBy).toBe('done');
  expect(seen).toEqual([null, null, 2, 2, 4]);
  expect(save.mock.calls).toEqual([[ckpt], [ckpt], [ckpt]]);
  expect(stepOf(ckpt)).toBe(5);
  const { model, state } = await readCheckpoint(ckpt, 't');
  pools.push(Array.from(state.tensors.find((x) => x.name === 'history/images')!.tensor.dataSync()));
  tf.dispose(state.tensors.map((x) => x.tensor));
  model.dispose();
  // By default every 100 steps (so here only at the end); a fit that has nothing left to do writes nothing.
  const t2 = new TpfrTrainer(TpfrTrainer.createModel(MICRO_MODEL, 23), data, { steps: 3, seed: 23, imageHistorySize: 2 });
  const save2 = vi.spyOn(t2, 'saveCheckpoint');
  const ckpt2 = join(dir, 'default');
  const seen2: (number | null)[] = [];
  await t2.fit({
    checkpointDir: ckpt2,
    onStep: (i) => {
      seen2.push(stepOf(ckpt2));
      return i.step < 1;
    },
  });
  expect(save2).toHaveBeenCalledTimes(1); // on the stop
  await t2.fit({ checkpointDir: ckpt2 });
  expect(seen2).toEqual([null]);
  expect(save2).toHaveBeenCalledTimes(2); // at the end
  const done = await t2.fit({ checkpointDir: ckpt2 });
  expect([done.stoppedBy, done.steps.length, save2.mock.calls.length]).toEqual(['done', 0, 2]);
  const r = await readCheckpoint(ckpt2, 't');
  pools.push(Array.from(r.state.tensors.find((x) => x.name === 'history/images')!.tensor.dataSync()));
  tf.dispose(r.state.tensors.map((x) => x.tensor));
  r.model.dispose();
  // Both runs drew the same first two steps (same seeds): after 3 and 5 steps the histories differ (the history swapped images).
  expect(pools[0].some((v, i) => v !== pools[1][i])).toBe(true);
  for (const x of [t, t2]) {
    x.dispose();
    x.model.dispose();
  }
}, 180_000);

it('keeps no tensors: warm-up steps, checkpoints, a resume and a refused resume; dispose frees all it made', async () => {
  const base = tf.memory().numTensors;
  const model = TpfrTrainer.createModel(MICRO_MODEL, 29);
  const withModel = tf.memory().numTensors;
  const t = new TpfrTrainer(model, data, { steps: 4, seed: 29, warmupSteps: 3, warmupBatchSize: 1, emaDecay: 0.5, imageHistorySize: 0 });
  t.trainStep(); // creates the warm-up optimizers' state
  const before = tf.memory().numTensors;
  t.trainStep();
  t.trainStep();
  expect(tf.memory().numTensors).toBe(before);
  await tick();
  const ckpt = join(dir, 'mem');
  await t.saveCheckpoint(ckpt);
  expect(tf.memory().numTensors).toBe(before);
  t.trainStep(); // a main step: the optimizers' and the average's state; the image history stays empty
  expect(t.historyImages).toBe(0);
  const after = tf.memory().numTensors;
  await t.saveCheckpoint(ckpt);
  expect(tf.memory().numTensors).toBe(after);
  expect(await tensorNames(ckpt)).not.toContain('history/images');
  t.dispose();
  expect(tf.memory().numTensors).toBe(withModel);
  model.dispose();
  expect(tf.memory().numTensors).toBe(base);
  const resumed = await TpfrTrainer.resume(ckpt, data, { steps: 5 });
  expect(resumed.historyImages).toBe(0);
  resumed.dispose();
  resumed.model.dispose();
  expect(tf.memory().numTensors).toBe(base);
  await expect(TpfrTrainer.resume(ckpt, data, { steps: 2 })).rejects.toThrow(/expected steps ≥ the checkpoint's step 4, received 2/);
  await expect(TpfrTrainer.resume(ckpt, createSyntheticDataset({ size: 32, seed: 30 }))).rejects.toThrow(/received other data/);
  expect(tf.memory().numTensors).toBe(base);
}, 120_000);

it('a resumed run writes checkpoints with the names of the first (optimizer states, average, image history)', async () => {
  const first = join(dir, 'names-1');
  const second = join(dir, 'names-2');
  const t = new TpfrTrainer(TpfrTrainer.createModel(MICRO_MODEL, 31), data, { steps: 3, seed: 31, emaDecay: 0.5, imageHistorySize: 2 });
  t.trainStep();
  await t.saveCheckpoint(first);
  t.dispose();
  t.model.dispose();
  const resumed = await TpfrTrainer.resume(first, data);
  const held = tf.memory().numTensors;
  await resumed.saveCheckpoint(second);
  expect(tf.memory().numTensors).toBe(held);
  const names = await tensorNames(first);
  expect(await tensorNames(second)).toEqual(names);
  for (const prefix of ['aux/', 'main/', 'disc/', 'warmupAux/', 'warmupMain/']) expect(names).toContain(`${prefix}iter`);
  expect(names).toContain('ema/0');
  expect(names).toContain('history/images');
  expect(names.filter((n) => n.startsWith('aux/')).length).toBeGreaterThan(1);
  expect(resumed.historyImages).toBe(2);
  resumed.dispose();
  resumed.model.dispose();
  await expect(TpfrTrainer.resume(first, data, { stepz: 5, lr: 1 } as never)).rejects.toThrow(
    /^TpfrTrainer.resume: expected options among seed, steps, batchSize, learningRate, beta1, beta2, decayFrom, adversarial, imageHistorySize, weights, warmupSteps, warmupBatchSize, emaDecay, peerPaintings, recompute, allowDataChange, received unknown stepz, lr$/,
  );
}, 120_000);

it("seeds the TPFR layer's dropout for the step only, anew each step", () => {
  const model = TpfrTrainer.createModel(MICRO_MODEL, 37);
  const t = new TpfrTrainer(model, data, { steps: 2, seed: 37, imageHistorySize: 0 });
  const spy = vi.spyOn(model.recombinationLayer, 'setDropoutSeed');
  t.trainStep();
  t.trainStep();
  const seeds = spy.mock.calls.map((c) => c[0]);
  expect(seeds).toHaveLength(4);
  expect([seeds[1], seeds[3]]).toEqual([null, null]);
  for (const s of [seeds[0], seeds[2]]) expect(Number.isInteger(s) && (s as number) >= 0).toBe(true);
  expect(seeds[0]).not.toBe(seeds[2]);
  t.dispose();
  model.dispose();
});

it('fit stops at the first step that reaches the time limit (a clock of 1 s per step)', async () => {
  const t = new TpfrTrainer(TpfrTrainer.createModel(MICRO_MODEL, 43), data, { steps: 4, seed: 43, imageHistorySize: 0 });
  const clock = vi.spyOn(performance, 'now').mockImplementation(() => 1e6 + 1000 * t.step);
  try {
    const a = await t.fit({ timeLimitMs: 1500 });
    expect([a.stoppedBy, t.step]).toEqual(['time-limit', 2]);
    const b = await t.fit({ timeLimitMs: 1000 }); // reached exactly after one step
    expect([b.stoppedBy, t.step]).toEqual(['time-limit', 3]);
    const c = await t.fit({ timeLimitMs: 1e9 });
    expect([c.stoppedBy, t.step]).toEqual(['done', 4]);
  } finally {
    clock.mockRestore();
  }
  t.dispose();
  t.model.dispose();
}, 120_000);

it('resumes a checkpoint that lacks the warm-up optimizers (written before warm-up steps existed)', async () => {
  const ckpt = join(dir, 'no-warmup');
  const t = new TpfrTrainer(TpfrTrainer.createModel(MICRO_MODEL, 47), data, { steps: 2, seed: 47, imageHistorySize: 0 });
  t.trainStep();
  await t.saveCheckpoint(ckpt);
  const second = t.trainStep().losses;
  t.dispose();
  t.model.dispose();
  // Drop the warm-up optimizers' entries from trainer.json and their bytes from state.bin.
  const file = join(ckpt, 'trainer.json');
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const bin = readFileSync(join(ckpt, 'state.bin'));
  const keep: Buffer[] = [];
  let at = 0;
  json.specs = json.specs.filter((s: { name: string; shape: number[] }) => {
    const n = 4 * s.shape.reduce((a, b) => a * b, 1);
    const part = bin.subarray(at, at + n);
    at += n;
    const kept = !s.name.startsWith('warmup');
    if (kept) keep.push(part);
    return kept;
  });
  writeFileSync(file, JSON.stringify(json));
  writeFileSync(join(ckpt, 'state.bin'), Buffer.concat(keep));
  const resumed = await TpfrTrainer.resume(ckpt, data);
  expect(resumed.trainStep().losses).toEqual(second);
  resumed.dispose();
  resumed.model.dispose();
}, 120_000);
