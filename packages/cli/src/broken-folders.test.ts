import * as tf from '@tensorflow/tfjs-core';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { TpfrModel } from '@tpfr/models';
import { MICRO_MODEL } from '@tpfr/testing';
// A checkpoint written as the trainer writes it (an internal of @tpfr/models, from its source).
import { TRAINER_STATE, writeCheckpoint } from '../../models/src/train/checkpoint.js';
import type { ResolvedTrainerOptions } from '../../models/src/train/options.js';
import { captureCliOutput, writeMicroModel, writeNoiseImage } from './cli-harness.test-util.js';
import { main } from './main.js';

// What the command line says of model folders and checkpoints that loadModel and
// TpfrTrainer.resume refuse (their own tests: packages/models/src/node/model-folder.test.ts,
// packages/models/src/train/checkpoint-hostile.test.ts).
const dir = mkdtempSync(join(tmpdir(), 'tpfr-cli-broken-'));
const good = join(dir, 'good');
const ckpt = join(dir, 'ckpt');
const options: ResolvedTrainerOptions = {
  steps: 9,
  batchSize: 1,
  learningRate: 4e-4,
  beta1: 0.5,
  beta2: 0.999,
  decayFrom: 2,
  weights: { reconstruction: 25, adversarial: 1 },
  adversarial: 'ls',
  imageHistorySize: 50,
  warmupSteps: 0,
  warmupBatchSize: 4,
  emaDecay: 0,
  peerPaintings: 1,
  seed: 3,
  recompute: false,
};
let output: ReturnType<typeof captureCliOutput>;

beforeAll(async () => {
  output = captureCliOutput();
  await initBackend('wasm');
  await writeMicroModel(good, 3);
  const model = TpfrModel.create(MICRO_MODEL);
  const tensors = [{ name: 'aux/iter', tensor: tf.scalar(7) }];
  await writeCheckpoint(ckpt, model, { step: 4, averagedSteps: 0, options, data: { kind: 'synthetic', seed: 3, size: 32 }, tensors });
  tf.dispose(tensors.map((t) => t.tensor));
  model.dispose();
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** A copy of the folder `from`, its file `file` (JSON) edited by `edit` (or replaced by the text it returns). */
function variant(from: string, file: string, name: string, edit: (j: Record<string, unknown>) => unknown = (j) => j): string {
  const d = join(dir, name);
  rmSync(d, { recursive: true, force: true });
  cpSync(from, d, { recursive: true });
  const edited = edit(JSON.parse(readFileSync(join(d, file), 'utf8')) as Record<string, unknown>);
  writeFileSync(join(d, file), typeof edited === 'string' ? edited : JSON.stringify(edited));
  return d;
}

/** A copy of the good model with the first float of weights.bin (the manifest's first weight) set to `value`. */
function poisoned(name: string, value: number): { dir: string; weight: string } {
  const d = variant(good, 'model.json', name);
  const bytes = readFileSync(join(d, 'weights.bin'));
  bytes.writeFloatLE(value, 0);
  writeFileSync(join(d, 'weights.bin'), bytes);
  const first = (
    JSON.parse(readFileSync(join(good, 'model.json'), 'utf8')) as { weightsManifest: { weights: { name: string; dtype: string }[] }[] }
  ).weightsManifest[0].weights[0];
  expect(first.dtype).toBe('float32');
  return { dir: d, weight: first.name };
}

describe('broken model folders', () => {
  it('tpfr stylize with a NaN model: exit code 1, the weight named, no image written', async () => {
    const { dir: d, weight } = poisoned('nan-cli', NaN);
    const img = join(dir, 'content.png');
    writeNoiseImage(img, 32, 32, 3);
    const out = join(dir, 'out', 'nan.png');
    output.reset();
    expect(await main(['stylize', '--model', d, '--content', img, '--style', img, '--out', out, '--backend', 'wasm', '--quiet'])).toBe(1);
    expect(output.text).toContain(
      `tpfr: loadModel: expected finite weights in the model folder ${d}, received NaN or infinite values in 1 weight(s): ${weight}`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('tpfr info and tpfr stylize with a truncated weights file: exit code 1, the file named', async () => {
    const d = variant(good, 'model.json', 'cli-short');
    writeFileSync(join(d, 'weights.bin'), readFileSync(join(good, 'weights.bin')).subarray(0, 100));
    output.reset();
    expect(await main(['info', '--model', d, '--backend', 'wasm'])).toBe(1);
    expect(output.text).toMatch(
      /tpfr: loadModel: expected \d+ bytes of weights for the manifest's \d+ weights, found 100 in .*cli-short\/weights\.bin/,
    );
  });
});

describe('broken checkpoints', () => {
  it('tpfr train --resume: a newer checkpoint and an unreadable trainer.json exit 1 with the reason; nothing is written', async () => {
    const newer = variant(ckpt, TRAINER_STATE, 'cli-v3', (j) => ({ ...j, version: 3 }));
    const before = readFileSync(join(newer, TRAINER_STATE), 'utf8');
    output.reset();
    expect(await main(['train', '--resume', '--checkpoint', newer, '--backend', 'wasm', '--quiet'])).toBe(1);
    expect(output.text).toMatch(
      /tpfr: TpfrTrainer\.resume: expected a checkpoint of format version ≤ 2, found version 3 in .*trainer\.json/,
    );
    expect(readFileSync(join(newer, TRAINER_STATE), 'utf8')).toBe(before);
    const garbled = variant(ckpt, TRAINER_STATE, 'cli-garbled', () => '{ "format": ');
    output.reset();
    expect(await main(['train', '--resume', '--checkpoint', garbled, '--backend', 'wasm', '--quiet'])).toBe(1);
    expect(output.text).toMatch(/^tpfr: --resume: expected a checkpoint in .*cli-garbled, could not read .*trainer\.json: .*JSON/m);
    expect(output.text).not.toContain('unexpected error');
    expect(existsSync(join(garbled, 'model'))).toBe(true);
  });
});
