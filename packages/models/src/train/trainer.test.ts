import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { expectNoLeaks, MICRO_MODEL } from '@tpfr/testing';
import { initBackend } from '@tpfr/core';
import { createSyntheticDataset, type StyleBatch, type StyleDataset } from '@tpfr/models/data';
import { TpfrTrainer } from '@tpfr/models/train';

/** The smallest useful network: a few steps take a second on wasm. */
const dir = mkdtempSync(join(tmpdir(), 'tpfr-trainer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A dataset that always returns (copies of) the same batch. */
function fixed(data: StyleDataset, batchSize: number): StyleDataset {
  const b = data.sampleBatch(0, batchSize);
  return {
    size: data.size,
    styleClasses: data.styleClasses,
    sampleBatch: (): StyleBatch => ({
      photoA: tf.clone(b.photoA),
      paintingB: tf.clone(b.paintingB),
      photoA2: tf.clone(b.photoA2),
      paintingB2: tf.clone(b.paintingB2),
      styleClass: b.styleClass,
    }),
  };
}

/** Lets vitest's worker talk to the main process between long synchronous steps. */
const tick = () => new Promise((r) => setImmediate(r));

async function run(steps: number, seed: number, read: 'sync' | 'async' = 'sync', warmupSteps?: number) {
  const model = TpfrTrainer.createModel(MICRO_MODEL, seed);
  const trainer = new TpfrTrainer(model, createSyntheticDataset({ size: 32, seed }), { steps, seed, warmupSteps });
  const losses: Record<string, number>[] = [];
  for (let i = 0; i < steps; i++) {
    losses.push((read === 'sync' ? trainer.trainStep() : await trainer.trainStepAsync()).losses);
    await tick();
  }
  trainer.dispose();
  model.dispose();
  return losses;
}

it('is seeded and deterministic on wasm', async () => {
  await initBackend('wasm');
  const a = await run(2, 7);
  const b = await run(2, 7);
  expect(b).toEqual(a);
  expect(Object.keys(a[0]).sort()).toEqual([
    'aux/contentFeatureCycle',
    'aux/latentCycle',
    'aux/metricLearning',
    'aux/reconstruction',
    'disc/adversarial',
    'main/adversarial',
    'main/reconstruction',
    'main/transferLatentCycle',
  ]);
  Object.values(a[1]).forEach((v) => expect(Number.isFinite(v)).toBe(true));
});

it('trainStepAsync is trainStep with the losses read asynchronously: same losses, warm-up steps too, no leak', async () => {
  await initBackend('wasm');
  expect(await run(2, 8, 'async', 1)).toEqual(await run(2, 8, 'sync', 1));
  const model = TpfrTrainer.createModel(MICRO_MODEL, 8);
  const trainer = new TpfrTrainer(model, createSyntheticDataset({ size: 32, seed: 8 }), {
    steps: 4,
    seed: 8,
    warmupSteps: 2,
    imageHistorySize: 0,
  });
  // The first step of each kind creates its optimizers' moments (state, not a leak); no image
  // pool, which keeps generated images as they come.
  await trainer.trainStepAsync();
  await expectNoLeaks(() => trainer.trainStepAsync(), 'a warm-up step');
  await trainer.trainStepAsync();
  await expectNoLeaks(() => trainer.trainStepAsync(), 'a step');
  await expect(trainer.trainStepAsync()).rejects.toThrow(/TpfrTrainer.trainStepAsync: all 4 steps are done/);
  expect(() => trainer.trainStep()).toThrow(/TpfrTrainer.trainStep: all 4 steps are done/);
  trainer.dispose();
  model.dispose();
});

it('resumes from an atomically written checkpoint with the losses of an uninterrupted run', async () => {
  await initBackend('wasm');
  const uninterrupted = await run(3, 11);
  const model = TpfrTrainer.createModel(MICRO_MODEL, 11);
  const data = createSyntheticDataset({ size: 32, seed: 11 });
  const first = new TpfrTrainer(model, data, { steps: 3, seed: 11 });
  const losses = [first.trainStep().losses];
  const ckpt = join(dir, 'ckpt');
  await first.saveCheckpoint(ckpt);
  first.dispose();
  model.dispose();
  expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  const resumed = await TpfrTrainer.resume(ckpt, data);
  expect(resumed.step).toBe(1);
  while (resumed.step < 3) {
    losses.push(resumed.trainStep().losses);
    await tick();
  }
  expect(losses).toEqual(uninterrupted);
  resumed.dispose();
  resumed.model.dispose();
  await expect(TpfrTrainer.resume(join(dir, 'none'), data)).rejects.toThrow(
    /TpfrTrainer.resume: expected a checkpoint directory with trainer.json/,
  );
});

it('averages the generator weights (emaDecay), keeps the average in checkpoints and applies it on demand', async () => {
  await initBackend('wasm');
  const data = createSyntheticDataset({ size: 32, seed: 13 });
  const model = TpfrTrainer.createModel(MICRO_MODEL, 13);
  const trainer = new TpfrTrainer(model, data, { steps: 3, seed: 13, emaDecay: 0.9 });
  expect(trainer.applyAveragedWeights()).toBe(false);
  const weight = () => model.mainDecoder.getWeights()[0].dataSync().slice();
  const seen: Float32Array[] = [];
  for (let i = 0; i < 3; i++) {
    trainer.trainStep();
    seen.push(weight() as Float32Array);
    if (i === 0) await trainer.saveCheckpoint(join(dir, 'ema'));
    await tick();
  }
  expect(trainer.averagedSteps).toBe(3);
  const before = tf.memory().numTensors;
  expect(trainer.applyAveragedWeights()).toBe(true);
  expect(tf.memory().numTensors).toBe(before);
  // Updates t = 1, 2 use decays min(0.9, (1 + t) / (10 + t)) = 2/11, 3/12.
  const [d1, d2] = [2 / 11, 3 / 12];
  const expected = seen[0].map((w1, i) => (w1 * d1 + seen[1][i] * (1 - d1)) * d2 + seen[2][i] * (1 - d2));
  const averaged = weight();
  expect(Math.max(...averaged.map((v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-5);
  trainer.dispose();
  model.dispose();
  const resumed = await TpfrTrainer.resume(join(dir, 'ema'), data);
  expect(resumed.averagedSteps).toBe(1);
  while (resumed.step < 3) {
    resumed.trainStep();
    await tick();
  }
  resumed.applyAveragedWeights();
  expect(resumed.model.mainDecoder.getWeights()[0].dataSync()).toEqual(averaged);
  resumed.dispose();
  resumed.model.dispose();
  expect(() => new TpfrTrainer(resumed.model, data, { steps: 1, emaDecay: 1 })).toThrow(
    /TpfrTrainer: expected emaDecay in \[0, 1\), received 1/,
  );
});

it('warms up on reconstruction only, then trains everything; resumable in either phase', async () => {
  await initBackend('wasm');
  const data = createSyntheticDataset({ size: 32, seed: 3 });
  const opts = { steps: 4, seed: 3, warmupSteps: 2, warmupBatchSize: 2 };
  const model = TpfrTrainer.createModel(MICRO_MODEL, 3);
  const trainer = new TpfrTrainer(model, data, opts);
  const all: Record<string, number>[] = [];
  for (let i = 0; i < 4; i++) {
    all.push(trainer.trainStep().losses);
    await tick();
  }
  expect(Object.keys(all[0]).sort()).toEqual(['aux/reconstruction', 'main/reconstruction']);
  expect(Object.keys(all[1]).sort()).toEqual(['aux/reconstruction', 'main/reconstruction']);
  expect(Object.keys(all[2])).toHaveLength(8);
  expect(Object.keys(all[3])).toHaveLength(8);
  trainer.dispose();
  model.dispose();
  const again = new TpfrTrainer(TpfrTrainer.createModel(MICRO_MODEL, 3), data, opts);
  again.trainStep();
  await again.saveCheckpoint(join(dir, 'warm'));
  again.dispose();
  again.model.dispose();
  const resumed = await TpfrTrainer.resume(join(dir, 'warm'), data);
  const rest: Record<string, number>[] = [];
  while (resumed.step < 4) rest.push(resumed.trainStep().losses);
  // wasm is deterministic run to run on one machine, so the resumed run repeats the first.
  expect(rest).toEqual(all.slice(1));
  resumed.dispose();
  resumed.model.dispose();
});

it('keeps no tensors across 10 training steps on wasm (besides the image history), with a peer pool of 2 paintings', async () => {
  await initBackend('wasm');
  const model = TpfrTrainer.createModel(MICRO_MODEL, 1);
  const trainer = new TpfrTrainer(model, createSyntheticDataset({ size: 32, seed: 1 }), { steps: 12, seed: 1, peerPaintings: 2 });
  trainer.trainStep(); // creates the optimizers' state
  const before = tf.memory().numTensors - trainer.historyImages;
  for (let i = 0; i < 10; i++) {
    trainer.trainStep();
    await tick();
  }
  expect(tf.memory().numTensors - trainer.historyImages).toBe(before);
  trainer.dispose();
  model.dispose();
});

it('overfits a fixed batch: the reconstruction loss falls by 80% within 150 steps (wasm)', async () => {
  await initBackend('wasm');
  const model = TpfrTrainer.createModel('tiny', 5);
  const trainer = new TpfrTrainer(model, fixed(createSyntheticDataset({ size: 32, seed: 5 }), 1), {
    steps: 150,
    seed: 5,
    learningRate: 2e-3,
    decayFrom: 150,
  });
  const first = trainer.trainStep().losses['aux/reconstruction'];
  let last = first;
  while (trainer.step < 150 && last > 0.2 * first) {
    last = trainer.trainStep().losses['aux/reconstruction'];
    await tick();
  }
  expect(last).toBeLessThanOrEqual(0.2 * first);
  trainer.dispose();
  model.dispose();
}, 300_000);

it('peerPaintings 2 stylizes each A with a peer pool of its B′ and B, laid out per sample', async () => {
  await initBackend('wasm');
  const model = TpfrTrainer.createModel(MICRO_MODEL, 2);
  const data = fixed(createSyntheticDataset({ size: 32, seed: 2 }), 2);
  const trainer = new TpfrTrainer(model, data, { steps: 3, seed: 2, batchSize: 2, peerPaintings: 2 });
  const recombine = model.recombine.bind(model);
  let last: tf.Tensor5D | null = null;
  model.recombine = (z, peers, opts) => {
    if (opts?.training) {
      last?.dispose();
      last = tf.keep(tf.clone(peers.content));
    }
    return recombine(z, peers, opts);
  };
  const info = trainer.trainStep();
  expect(Object.values(info.losses).every(Number.isFinite)).toBe(true);
  // The main update (the only one in training mode) ran last; the encoder has not changed since.
  const peers = last as unknown as tf.Tensor5D;
  expect(peers.shape.slice(0, 2)).toEqual([2, 2]); // [B, P, h, w, C]
  const batch = data.sampleBatch(0, 2);
  const zB2 = model.encode(batch.paintingB2).content;
  const zB = model.encode(batch.paintingB).content;
  const expected = tf.stack([zB2, zB], 1); // sample i: [B′ᵢ, Bᵢ]
  expect(tf.max(tf.abs(tf.sub(peers, expected))).dataSync()[0]).toBeLessThan(1e-5);
  tf.dispose([peers, expected, zB2, zB, batch.photoA, batch.paintingB, batch.photoA2, batch.paintingB2]);
  expect(() => new TpfrTrainer(model, data, { steps: 1, peerPaintings: 3 as 2 })).toThrow(
    /TpfrTrainer: expected peerPaintings 1 or 2, received 3/,
  );
  trainer.dispose();
  model.dispose();
});

it('checks its options', async () => {
  await initBackend('wasm');
  const model = TpfrTrainer.createModel(MICRO_MODEL, 1);
  const data = createSyntheticDataset({ size: 32, seed: 1 });
  expect(() => new TpfrTrainer(model, data, { steps: 0 })).toThrow(/TpfrTrainer: expected steps to be an integer >= 1, received 0/);
  expect(() => new TpfrTrainer(model, createSyntheticDataset({ size: 30, seed: 1 }), { steps: 1 })).toThrow(
    /training images of a side ≥ 32 and a multiple of 4/,
  );
  const t = new TpfrTrainer(model, data, { steps: 8, decayFrom: 4 });
  expect([0, 3, 4, 6, 8].map((s) => t.learningRateAt(s))).toEqual([4e-4, 4e-4, 4e-4, 2e-4, 0]);
  t.dispose();
  model.dispose();
});

it('fit stops on the callback, the time limit and the signal, checkpoints on a stop, and a resumed fit with non-default options equals the uninterrupted run', async () => {
  await initBackend('wasm');
  const options = {
    steps: 4,
    seed: 17,
    learningRate: 1e-3,
    decayFrom: 1,
    emaDecay: 0.5,
    peerPaintings: 2 as const,
    imageHistorySize: 1,
    weights: { reconstruction: 10, latentCycle: 0.5 },
  };
  const data = createSyntheticDataset({ size: 32, seed: 17 });
  const whole = new TpfrTrainer(TpfrTrainer.createModel(MICRO_MODEL, 17), data, options);
  const all = await whole.fit();
  expect(all.stoppedBy).toBe('done');
  expect(all.steps.map((s) => s.step)).toEqual([1, 2, 3, 4]);
  expect(all.steps.map((s) => s.learningRate)).toEqual([1e-3, 1e-3, 2e-3 / 3, 1e-3 / 3]);
  whole.applyAveragedWeights();
  const averaged = whole.model.mainDecoder.getWeights()[0].dataSync().slice();
  whole.dispose();
  whole.model.dispose();

  const ckpt = join(dir, 'fit');
  const first = new TpfrTrainer(TpfrTrainer.createModel(MICRO_MODEL, 17), data, options);
  const part = await first.fit({ checkpointDir: ckpt, checkpointEvery: 10, onStep: (info) => info.step < 2 });
  expect(part.stoppedBy).toBe('callback');
  expect(first.step).toBe(2);
  first.dispose();
  first.model.dispose();
  const resumed = await TpfrTrainer.resume(ckpt, data);
  expect(resumed.step).toBe(2);
  expect(resumed.options).toEqual(new TpfrTrainer(resumed.model, data, options).options);
  const rest = await resumed.fit({ timeLimitMs: 0 });
  expect(rest.stoppedBy).toBe('time-limit');
  const stop = new AbortController();
  stop.abort();
  const none = await resumed.fit({ signal: stop.signal });
  expect([none.stoppedBy, none.steps.length, resumed.step]).toEqual(['signal', 0, 3]);
  const last = await resumed.fit();
  expect([...part.steps, ...rest.steps, ...last.steps].map((s) => s.losses)).toEqual(all.steps.map((s) => s.losses));
  resumed.applyAveragedWeights();
  expect(resumed.model.mainDecoder.getWeights()[0].dataSync()).toEqual(averaged);
  resumed.dispose();
  resumed.model.dispose();
}, 180_000);

it('resume refuses other data, applies and reports explicit changes, and keeps an extended schedule continuous', async () => {
  await initBackend('wasm');
  const data = createSyntheticDataset({ size: 32, seed: 19 });
  const t = new TpfrTrainer(TpfrTrainer.createModel(MICRO_MODEL, 19), data, { steps: 4, seed: 19, decayFrom: 2 });
  await t.fit({ checkpointDir: join(dir, 'change'), onStep: (i) => i.step < 3 });
  const rateAt3 = t.learningRateAt(3);
  t.dispose();
  t.model.dispose();
  const ckpt = join(dir, 'change');
  await expect(TpfrTrainer.resume(ckpt, createSyntheticDataset({ size: 32, seed: 20 }))).rejects.toThrow(
    /TpfrTrainer.resume: expected the checkpoint's data, received other data \(seed: checkpoint 19, given 20\); pass allowDataChange/,
  );
  await expect(TpfrTrainer.resume(ckpt, data, { steps: 2 })).rejects.toThrow(/expected steps ≥ the checkpoint's step 3, received 2/);
  await expect(TpfrTrainer.resume(ckpt, data, { stepz: 5 } as never)).rejects.toThrow(
    /TpfrTrainer.resume: expected options among .*, received unknown stepz/,
  );
  const other = await TpfrTrainer.resume(ckpt, createSyntheticDataset({ size: 32, seed: 20 }), {
    allowDataChange: true,
    learningRate: 1e-3,
  });
  expect(other.notes).toEqual(['data changed: seed: checkpoint 19, given 20', 'learningRate: 0.0004 (checkpoint) → 0.001']);
  expect(other.options.learningRate).toBe(1e-3);
  other.dispose();
  other.model.dispose();
  // 4 → 8 steps in the decay: the rate at step 3 stays, then falls linearly to 0 at step 8.
  const longer = await TpfrTrainer.resume(ckpt, data, { steps: 8 });
  expect(longer.learningRateAt(3)).toBeCloseTo(rateAt3, 12);
  expect(longer.learningRateAt(8)).toBe(0);
  expect(longer.learningRateAt(5.5)).toBeCloseTo(rateAt3 / 2, 12);
  expect(longer.notes).toEqual(['steps: 4 (checkpoint) → 8', 'steps 4 → 8: the decay goes on from the current rate to 0 at step 8']);
  await longer.fit({ checkpointDir: ckpt });
  longer.dispose();
  longer.model.dispose();
  // A finished run extended: the rate restarts at the base rate and decays to 0 at the new end.
  const again = await TpfrTrainer.resume(ckpt, data, { steps: 10 });
  expect([8, 9, 10].map((s) => again.learningRateAt(s))).toEqual([4e-4, 2e-4, 0]);
  expect(again.notes[1]).toMatch(/the run had finished \(rate 0\): the rate restarts at 0.0004/);
  again.dispose();
  again.model.dispose();
}, 180_000);

it('refuses unknown options and loss-weight names', async () => {
  await initBackend('wasm');
  const model = TpfrTrainer.createModel(MICRO_MODEL, 1);
  const data = createSyntheticDataset({ size: 32, seed: 1 });
  expect(() => new TpfrTrainer(model, data, { steps: 1, weights: { reconstruction: 1, reconstrution: 2 } })).toThrow(
    /TpfrTrainer: expected loss weights named reconstruction, .*, received unknown reconstrution/,
  );
  expect(() => new TpfrTrainer(model, data, { steps: 1, weights: { adversarial: -1 } })).toThrow(/loss weights finite and ≥ 0/);
  expect(() => new TpfrTrainer(model, data, { steps: 1, onStep: () => {} } as never)).toThrow(
    /TpfrTrainer: expected options among .*, received unknown onStep/,
  );
  model.dispose();
});
