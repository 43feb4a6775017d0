import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { MICRO_MODEL } from '@tpfr/testing';
import { createImageFolderDataset, createSyntheticDataset } from '@tpfr/models/data';
import { writeImage, MODEL_MANIFEST } from '@tpfr/models/node';
import { TpfrTrainer, type FitOptions, type FitResult, type StepInfo } from '@tpfr/models/train';
import { main } from './main.js';

// `tpfr train` turns flags into a dataset, trainer options and fit options: the training itself is
// the trainer's (tested there). Here `fit` is a stand-in that records the trainer it was called on
// and what it was given, so every case runs in milliseconds.

const dir = mkdtempSync(join(tmpdir(), 'tpfr-train-flags-'));
const folders = join(dir, 'folders');
let stderr = '';
let stdout = '';

const realCreateModel = TpfrTrainer.createModel.bind(TpfrTrainer);
/** A small network of any preset: the flags, not the architecture, are under test. */
const small = (seed = 0) => realCreateModel(MICRO_MODEL, seed);

interface FitCall {
  options: TpfrTrainer['options'];
  source: TpfrTrainer['dataset']['source'];
  step: number;
  opts: FitOptions;
  sigintDuring: number;
}
let calls: FitCall[] = [];
/** What the stand-in fit does besides recording (default: one step reported, done). */
let fitBody: (trainer: TpfrTrainer, opts: FitOptions) => Promise<FitResult['stoppedBy']>;
const stepInfo = (step: number, losses: Record<string, number>): StepInfo => ({ step, steps: 1, learningRate: 0, losses, ms: 1 });

beforeAll(async () => {
  await initBackend('wasm');
  mkdirSync(join(folders, 'photo'), { recursive: true });
  mkdirSync(join(folders, 'ink'));
  for (const [i, sub] of ['photo', 'photo', 'ink', 'ink'].entries()) {
    writeImage(
      join(folders, sub, `${i}.png`),
      tf.tidy(() => tf.randomUniform([40, 40, 3], 0, 255, 'float32', i) as tf.Tensor3D),
    );
  }
});
beforeEach(() => {
  stderr = '';
  stdout = '';
  calls = [];
  fitBody = async () => 'done';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    stdout += `${args.join(' ')}\n`;
  });
  vi.spyOn(TpfrTrainer, 'createModel').mockImplementation((_preset, seed) => small(seed));
  vi.spyOn(TpfrTrainer.prototype, 'fit').mockImplementation(async function (this: TpfrTrainer, opts: FitOptions = {}) {
    calls.push({
      options: { ...this.options },
      source: this.dataset.source,
      step: this.step,
      opts,
      sigintDuring: process.listenerCount('SIGINT'),
    });
    return { steps: [], stoppedBy: await fitBody(this, opts) };
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const train = (...args: string[]) => {
  stderr = '';
  stdout = '';
  return main(['train', '--backend', 'wasm', ...args]);
};

it('passes every training flag to the trainer, the dataset and fit', async () => {
  const ckpt = join(dir, 'fresh');
  expect(
    await train(
      '--steps',
      '7',
      '--size',
      '32',
      '--render-size',
      '48',
      '--batch',
      '2',
      '--peer-paintings',
      '2',
      '--seed',
      '5',
      '--every',
      '3',
      '--warmup',
      '2',
      '--lr',
      '1e-3',
      '--ema',
      '0.5',
      '--preset',
      'paper',
      '--checkpoint',
      ckpt,
      '--quiet',
    ),
  ).toBe(0);
  expect(TpfrTrainer.createModel).toHaveBeenCalledWith('paper', 5);
  expect(calls).toHaveLength(1);
  const [c] = calls;
  expect(c.options).toMatchObject({ steps: 7, batchSize: 2, peerPaintings: 2, seed: 5, warmupSteps: 2, learningRate: 1e-3, emaDecay: 0.5 });
  expect(c.source).toMatchObject({ kind: 'synthetic', seed: 5, size: 32, renderSize: 48 });
  expect(c.opts).toMatchObject({ checkpointDir: resolve(ckpt), checkpointEvery: 3 });
  expect(c.opts.signal).toBeInstanceOf(AbortSignal);
  expect(c.opts.signal!.aborted).toBe(false);
  expect(stdout).toBe(`model: ${join(resolve(ckpt), 'model')}\n`);
  expect(stderr).toBe('');
});

it('--recompute: on and off as asked; auto recomputes when only that fits the memory budget, and says so', async () => {
  const recomputeOf = async (...flags: string[]) => {
    calls = [];
    expect(await train('--steps', '1', '--checkpoint', join(dir, 'recompute'), ...flags), flags.join(' ')).toBe(0);
    return calls[0].options.recompute;
  };
  expect(await recomputeOf('--recompute', 'on', '--quiet')).toBe(true);
  expect(await recomputeOf('--recompute', 'off', '--quiet')).toBe(false);
  // The paper preset at 128²: about 5.5 GiB keeping its activations, 1.8 GiB recomputing them.
  expect(await recomputeOf('--preset', 'paper', '--size', '128')).toBe(true);
  expect(stderr).toMatch(
    /^backend: wasm\nrecomputing activations in the backward pass \(--recompute auto\): a step that keeps them needs an estimated [\d.]+ MiB, above the budget of 4095\.9 MiB\nestimated memory of a step: [\d.]+ MiB \(/,
  );
  expect(await recomputeOf('--preset', 'paper', '--size', '64', '--quiet')).toBe(false);
  // At 64²: about 1.8 GiB keeping them, 1.3 GiB recomputing them.
  expect(await recomputeOf('--preset', 'paper', '--size', '64', '--memory-budget', '1.5GiB', '--quiet')).toBe(true);
  // Forced off, the plain step is refused as above the budget.
  expect(await train('--preset', 'paper', '--size', '128', '--recompute', 'off', '--quiet')).toBe(1);
  expect(stderr).toMatch(/^tpfr: a training step needs an estimated [\d.]+ MiB .*: use --recompute on, or a smaller --size or --batch\n$/);
});

it('uses the documented defaults when no flag is given', async () => {
  expect(await train('--quiet')).toBe(0);
  expect(TpfrTrainer.createModel).toHaveBeenCalledWith('tiny', 0);
  const [c] = calls;
  expect(c.options).toMatchObject({
    steps: 1000,
    batchSize: 1,
    peerPaintings: 1,
    seed: 0,
    warmupSteps: 0,
    learningRate: 4e-4,
    emaDecay: 0,
    recompute: false,
  });
  expect(c.source).toMatchObject({ kind: 'synthetic', seed: 0, size: 64, renderSize: 64 });
  expect(c.opts).toMatchObject({ checkpointDir: resolve('out/train'), checkpointEvery: 100 });
});

it('trains on image folders, and accepts --render-size equal to --size', async () => {
  expect(await train('--data', folders, '--size', '32', '--seed', '3', '--checkpoint', join(dir, 'f'), '--quiet')).toBe(0);
  expect(calls[0].source).toMatchObject({ kind: 'folders', root: folders, seed: 3, size: 32 });
  expect(await train('--size', '32', '--render-size', '32', '--checkpoint', join(dir, 'r'), '--quiet')).toBe(0);
  expect(calls[1].source).toMatchObject({ kind: 'synthetic', size: 32, renderSize: 32 });
});

it('shows the backend and a progress bar with the losses unless --quiet', async () => {
  fitBody = async (_t, opts) => {
    opts.onStep!(stepInfo(1, { 'main/reconstruction': 0.25, 'disc/adversarial': 1.5 }));
    return 'done';
  };
  expect(await train('--steps', '3', '--size', '32', '--checkpoint', join(dir, 'p'))).toBe(0);
  expect(stderr).toMatch(/^backend: wasm\n/);
  expect(stderr).toMatch(/train \[[^\]]*\] \d\/3/);
  expect(stderr).toContain('1/3');
  expect(stderr).toContain('rec 0.250  D 1.500');
});

it('stops on Ctrl-C after the step in progress and says how to resume; the handler goes away after', async () => {
  const before = process.listenerCount('SIGINT');
  const added: Array<(...a: unknown[]) => void> = [];
  fitBody = async (t, opts) => {
    const listeners = process.listeners('SIGINT');
    added.push(...(listeners.slice(before) as Array<(...a: unknown[]) => void>));
    added.forEach((l) => l('SIGINT'));
    expect(opts.signal!.aborted).toBe(true);
    t.step = 4;
    return 'signal';
  };
  expect(await train('--steps', '9', '--size', '32', '--checkpoint', join(dir, 's'), '--quiet')).toBe(0);
  expect(calls[0].sigintDuring).toBe(before + 1);
  expect(added).toHaveLength(1);
  expect(process.listenerCount('SIGINT')).toBe(before);
  expect(stderr).toBe('interrupted at step 4: resume with --resume\n');
  // A failing run also removes the handler, and fails with exit code 1.
  fitBody = async () => {
    throw new Error('boom');
  };
  expect(await train('--steps', '9', '--size', '32', '--checkpoint', join(dir, 's'), '--quiet')).toBe(1);
  expect(stderr).toMatch(/tpfr: unexpected error: Error: boom/);
  expect(process.listenerCount('SIGINT')).toBe(before);
});

it('saves the averaged weights to DIR/model-averaged, with their step count and decay', async () => {
  const ckpt = join(dir, 'avg');
  vi.spyOn(TpfrTrainer.prototype, 'applyAveragedWeights').mockReturnValue(true);
  vi.spyOn(TpfrTrainer.prototype, 'averagedSteps', 'get').mockReturnValue(6);
  expect(await train('--steps', '6', '--size', '32', '--ema', '0.75', '--checkpoint', ckpt, '--quiet')).toBe(0);
  const averaged = join(resolve(ckpt), 'model-averaged');
  expect(stdout).toBe(`model: ${join(resolve(ckpt), 'model')}\nmodel with averaged weights (6 steps): ${averaged}\n`);
  expect(JSON.parse(readFileSync(join(averaged, MODEL_MANIFEST), 'utf8'))).toMatchObject({ averagedSteps: 6, emaDecay: 0.75 });
});

/** Writes a checkpoint (no step trained) of a run with these options on this data. */
const checkpoint = async (name: string, data: TpfrTrainer['dataset'], options: ConstructorParameters<typeof TpfrTrainer>[2]) => {
  const ckpt = join(dir, name);
  const trainer = new TpfrTrainer(small(), data, options);
  await trainer.saveCheckpoint(ckpt);
  trainer.dispose();
  trainer.model.dispose();
  return ckpt;
};
const stored = { steps: 4, batchSize: 2, seed: 9, learningRate: 1e-3, emaDecay: 0.5, warmupSteps: 1, peerPaintings: 2 as const };

it("--resume: the checkpoint's data and options, changed only by the flags given", async () => {
  const ckpt = await checkpoint('ck-synthetic', createSyntheticDataset({ size: 32, seed: 9, renderSize: 48 }), stored);
  const resume = vi.spyOn(TpfrTrainer, 'resume');
  expect(await train('--checkpoint', ckpt, '--resume', '--quiet')).toBe(0);
  expect(resume).toHaveBeenLastCalledWith(resolve(ckpt), expect.anything(), {});
  expect(calls[0].source).toMatchObject({ kind: 'synthetic', seed: 9, size: 32, renderSize: 48 });
  expect(calls[0].options).toMatchObject(stored);
  expect(calls[0].opts).toMatchObject({ checkpointDir: resolve(ckpt), checkpointEvery: 100 });
  expect(TpfrTrainer.createModel).not.toHaveBeenCalled();
  expect(stderr).toBe(`resumed at step 0 of 4 from ${resolve(ckpt)}\n`);

  expect(
    await train(
      '--checkpoint',
      ckpt,
      '--resume',
      '--steps',
      '6',
      '--batch',
      '3',
      '--lr',
      '2e-3',
      '--ema',
      '0.25',
      '--warmup',
      '2',
      '--peer-paintings',
      '1',
      '--seed',
      '9',
      '--quiet',
    ),
  ).toBe(0);
  const changes = { steps: 6, batchSize: 3, learningRate: 2e-3, emaDecay: 0.25, warmupSteps: 2, peerPaintings: 1, seed: 9 };
  expect(resume).toHaveBeenLastCalledWith(resolve(ckpt), expect.anything(), changes);
  expect(calls[1].options).toMatchObject(changes);
  expect(stderr).toMatch(
    /^resumed at step 0 of 6 from [^\n]*ck-synthetic\n {2}steps: 4 \(checkpoint\) → 6\n {2}batchSize: 2 \(checkpoint\) → 3\n/,
  );
  expect(stderr).toContain('\n  peerPaintings: 2 (checkpoint) → 1\n');

  // A flag equal to a default is still a change when given.
  expect(await train('--checkpoint', ckpt, '--resume', '--batch', '1', '--quiet')).toBe(0);
  expect(resume).toHaveBeenLastCalledWith(resolve(ckpt), expect.anything(), { batchSize: 1 });
});

it("--resume of a run on folders or at one size: the data flags not given are the checkpoint's", async () => {
  const onFolders = await checkpoint('ck-folders', createImageFolderDataset(folders, { size: 32, seed: 2 }), { ...stored, seed: 2 });
  expect(await train('--checkpoint', onFolders, '--resume', '--quiet')).toBe(0);
  expect(calls[0].source).toMatchObject({ kind: 'folders', root: folders, seed: 2, size: 32 });
  // No render size stored apart from the size: given another --size, the trainer names the difference.
  const plain = await checkpoint('ck-plain', createSyntheticDataset({ size: 32, seed: 9 }), stored);
  expect(await train('--checkpoint', plain, '--resume', '--quiet')).toBe(0);
  expect(calls[1].source).toMatchObject({ kind: 'synthetic', size: 32, renderSize: 32 });
  expect(await train('--checkpoint', plain, '--resume', '--size', '36', '--quiet')).toBe(1);
  expect(stderr).toMatch(
    /tpfr: TpfrTrainer.resume: expected the checkpoint's data, received other data \(size: checkpoint 32, given 36; renderSize: checkpoint 32, given 36/,
  );
  // A render size given on the command line replaces the stored one (and the trainer refuses it).
  expect(await train('--checkpoint', plain, '--resume', '--render-size', '40', '--quiet')).toBe(1);
  expect(stderr).toMatch(/renderSize: checkpoint 32, given 40\)/);
  // Data flags given on the command line are used (and the trainer refuses data other than the checkpoint's).
  expect(await train('--checkpoint', onFolders, '--resume', '--data', 'synthetic', '--quiet')).toBe(1);
  expect(stderr).toMatch(/received other data \(kind: checkpoint "folders", given "synthetic"/);
  expect(await train('--checkpoint', plain, '--resume', '--seed', '10', '--quiet')).toBe(1);
  expect(stderr).toMatch(/received other data \(seed: checkpoint 9, given 10\)/);
  // A render size given replaces a stored one that differs from the size, too.
  const rendered = await checkpoint('ck-rendered', createSyntheticDataset({ size: 32, seed: 9, renderSize: 48 }), stored);
  expect(await train('--checkpoint', rendered, '--resume', '--render-size', '40', '--quiet')).toBe(1);
  expect(stderr).toMatch(/received other data \(renderSize: checkpoint 48, given 40\)/);
  expect(await train('--checkpoint', join(dir, 'nothing-here'), '--resume', '--quiet')).toBe(1);
  expect(stderr).toBe(`tpfr: --resume: no checkpoint in ${resolve(dir, 'nothing-here')}\n`);
  // A folder without trainer.json is no checkpoint either.
  mkdirSync(join(dir, 'no-trainer-json'));
  expect(await train('--checkpoint', join(dir, 'no-trainer-json'), '--resume', '--quiet')).toBe(1);
  expect(stderr).toBe(`tpfr: --resume: no checkpoint in ${resolve(dir, 'no-trainer-json')}\n`);
});

it('--resume reads only well-typed data entries of trainer.json: the rest comes from the flags', async () => {
  // The trainer is a stand-in here: what matters is the dataset the command opened for it.
  const opened: Array<TpfrTrainer['dataset']['source']> = [];
  vi.spyOn(TpfrTrainer, 'resume').mockImplementation(async (_dir, data) => {
    opened.push(data.source);
    throw new Error('stand-in resume');
  });
  const cases: Array<[unknown, Record<string, unknown>]> = [
    [{}, { kind: 'synthetic', seed: 0, size: 64, renderSize: 64 }],
    [
      { data: { kind: 'folders', root: 7, size: '32', renderSize: 40 }, options: { seed: 'x' } },
      { kind: 'synthetic', seed: 0, size: 64, renderSize: 64 },
    ],
    [
      { data: { kind: 'synthetic', root: join(dir, 'elsewhere'), size: 32, renderSize: 48 }, options: { seed: 3 } },
      { kind: 'synthetic', seed: 3, size: 32, renderSize: 48 },
    ],
    [{ data: { kind: 'synthetic', size: 32, renderSize: '48' } }, { kind: 'synthetic', seed: 0, size: 32, renderSize: 32 }],
  ];
  for (const [i, [json, source]] of cases.entries()) {
    const ckpt = join(dir, `hand-${i}`);
    mkdirSync(ckpt);
    writeFileSync(join(ckpt, 'trainer.json'), JSON.stringify(json));
    expect(await train('--checkpoint', ckpt, '--resume', '--quiet'), JSON.stringify(json)).toBe(1);
    expect(stderr, JSON.stringify(json)).toMatch(/^tpfr: unexpected error: Error: stand-in resume/);
    expect(opened[i]).toMatchObject(source);
  }
});

it('refuses bad training flags with exit code 2, naming the flag, the expected and the received', async () => {
  const cases: Array<[string[], string]> = [
    [['--steps', '0'], "option --steps: expected a positive integer, received '0'"],
    [['--size', '2.5'], "option --size: expected a positive integer, received '2.5'"],
    [['--batch', '-1'], "option --batch: expected a positive integer, received '-1'"],
    [['--render-size', 'x'], "option --render-size: expected a positive integer, received 'x'"],
    [
      ['--data', folders, '--render-size', '96'],
      'option --render-size: only the synthetic set is rendered (image folders are cropped at random scales already)',
    ],
    [['--size', '32', '--render-size', '31'], "option --render-size: expected an integer >= --size (32), received '31'"],
    [['--peer-paintings', '0'], "option --peer-paintings: expected a positive integer, received '0'"],
    [['--peer-paintings', '3'], "option --peer-paintings: expected 1 or 2, received '3'"],
    [['--seed', '-1'], "option --seed: expected an integer >= 0, received '-1'"],
    [['--every', '0'], "option --every: expected a positive integer, received '0'"],
    [['--warmup', '-2'], "option --warmup: expected an integer >= 0, received '-2'"],
    [['--lr', '0'], "option --lr: expected a positive number, received '0'"],
    [['--lr', 'fast'], "option --lr: expected a positive number, received 'fast'"],
    [['--ema', '-0.1'], "option --ema: expected a decay in [0, 1), received '-0.1'"],
    [['--ema', '1'], "option --ema: expected a decay in [0, 1), received '1'"],
    [['--ema', 'x'], "option --ema: expected a decay in [0, 1), received 'x'"],
    [['--preset', 'huge'], "option --preset: expected 'tiny' or 'paper', received 'huge'"],
    [['--recompute', 'maybe'], "option --recompute: expected auto, on or off, received 'maybe'"],
    [['--backend', 'metal'], "option --backend: expected one of auto, tensorflow, webgpu, wasm, cpu, received 'metal'"],
  ];
  for (const [flags, message] of cases) {
    expect(await train(...flags, '--quiet'), flags.join(' ')).toBe(2);
    expect(stderr, flags.join(' ')).toBe(`tpfr: ${message}\n`);
  }
  expect(await train('--data', join(dir, 'nowhere'), '--quiet')).toBe(1);
  expect(stderr).toBe(
    `tpfr: --data ${join(dir, 'nowhere')}: no such folder (use 'synthetic' or a folder with a photo folder and one folder per style class)\n`,
  );
  expect(calls).toHaveLength(0);
});
