import * as tf from '@tensorflow/tfjs-core';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { MICRO_MODEL } from '@tpfr/testing';
import { TpfrModel } from '../model/model.js';
import { seedKernels } from '../model/seeded-init.js';
import { TRAINER_STATE, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { ResolvedTrainerOptions } from './options.js';

const dir = mkdtempSync(join(tmpdir(), 'tpfr-checkpoint-'));
let model: TpfrModel;
let ckpt: string;
/** Resolved options, written out (not resolved in a hook: Stryker counts code run in hooks as static). */
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
  emaDecay: 0.5,
  peerPaintings: 1,
  seed: 3,
  recompute: false,
};
const data = { kind: 'synthetic', seed: 3, size: 32, styleClasses: ['a', 'b'] };

beforeAll(async () => {
  await initBackend('wasm');
  model = TpfrModel.create(MICRO_MODEL);
  seedKernels(Object.values(model.parts()), 3);
  ckpt = join(dir, 'ckpt');
});
let written: Promise<void> | null = null;
/** Writes the checkpoint once, in the first test that needs it (not in a hook: Stryker counts hooks as static). */
function write(): Promise<void> {
  written ??= (async () => {
    mkdirSync(dir, { recursive: true });
    const tensors = [
      { name: 'aux/iter', tensor: tf.scalar(7) },
      {
        name: 'ema/0',
        tensor: tf.tensor2d([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      },
      { name: 'history/images', tensor: tf.tensor4d([0.5, -0.25], [2, 1, 1, 1]) },
    ];
    await writeCheckpoint(ckpt, model, { step: 4, averagedSteps: 3, options, data, tensors });
    expect(tensors.every((t) => !t.tensor.isDisposed)).toBe(true); // not disposed
    tf.dispose(tensors.map((t) => t.tensor));
  })();
  return written;
}
afterAll(() => {
  written = null;
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const json = () => JSON.parse(readFileSync(join(ckpt, TRAINER_STATE), 'utf8'));
/** A copy of the checkpoint with trainer.json changed by `edit` (or state.bin replaced). */
function variant(name: string, edit: (j: Record<string, unknown>) => unknown, bin?: Uint8Array): string {
  const d = join(dir, name);
  rmSync(d, { recursive: true, force: true });
  cpSync(ckpt, d, { recursive: true });
  const edited = edit(json());
  writeFileSync(join(d, TRAINER_STATE), typeof edited === 'string' ? edited : JSON.stringify(edited));
  if (bin) writeFileSync(join(d, 'state.bin'), bin);
  return d;
}
it('writes trainer.json (format, version 2, step, averagedSteps, options, data, manifest), state.bin and the model', async () => {
  await write();
  expect(TRAINER_STATE).toBe('trainer.json');
  const j = json();
  expect(j).toEqual({
    format: 'tpfr-checkpoint',
    version: 2,
    step: 4,
    averagedSteps: 3,
    options,
    data,
    specs: [
      { name: 'aux/iter', shape: [], dtype: 'float32' },
      { name: 'ema/0', shape: [2, 3], dtype: 'float32' },
      { name: 'history/images', shape: [2, 1, 1, 1], dtype: 'float32' },
    ],
  });
  expect(readFileSync(join(ckpt, TRAINER_STATE), 'utf8')).toMatch(/^\{\n {2}"format": "tpfr-checkpoint",\n {2}"version": 2,/);
  expect(readFileSync(join(ckpt, 'state.bin')).byteLength).toBe(4 * (1 + 6 + 2));
  expect(readdirSync(ckpt).sort()).toEqual(['model', 'state.bin', 'trainer.json']);
  expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
});

it('reads back the model, step, averagedSteps, options, data and every tensor by name', async () => {
  await write();
  const { model: loaded, state } = await readCheckpoint(ckpt, 'fn');
  expect(state.step).toBe(4);
  expect(state.averagedSteps).toBe(3);
  expect(state.options).toEqual(options);
  expect(state.data).toEqual(data);
  expect(state.tensors.map((t) => [t.name, t.tensor.shape, Array.from(t.tensor.dataSync())])).toEqual([
    ['aux/iter', [], [7]],
    ['ema/0', [2, 3], [1, 2, 3, 4, 5, 6]],
    ['history/images', [2, 1, 1, 1], [0.5, -0.25]],
  ]);
  const w = (m: TpfrModel) => Object.values(m.parts()).flatMap((p) => p.getWeights().map((t) => Array.from(t.dataSync())));
  expect(w(loaded)).toEqual(w(model));
  tf.dispose(state.tensors.map((t) => t.tensor));
  loaded.dispose();
});

it('refuses a checkpoint of another format version than 2 (none was ever released), before the model is read', async () => {
  await write();
  const v1 = variant('v1', (j) => ({ ...j, version: 1 }));
  rmSync(join(v1, 'model'), { recursive: true }); // never reached
  await expect(readCheckpoint(v1, 'fn')).rejects.toThrow(
    /^fn: expected a checkpoint of format version 2, found version 1 in .*trainer.json$/,
  );
  await expect(
    readCheckpoint(
      variant('unversioned', ({ version: _v, ...rest }) => rest),
      'fn',
    ),
  ).rejects.toThrow(/^fn: expected a checkpoint of format version 2, found version none in .*trainer.json$/);
});

it('refuses a folder without trainer.json, naming the file and the cause', async () => {
  await write();
  const none = join(dir, 'none');
  await expect(readCheckpoint(none, 'fn')).rejects.toThrow(
    new RegExp(
      `^fn: expected a checkpoint directory with trainer.json, could not read ${join(none, 'trainer.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ENOENT`,
    ),
  );
  await expect(
    readCheckpoint(
      variant('garbled', () => '{ not json'),
      'fn',
    ),
  ).rejects.toThrow(/^fn: expected a checkpoint directory with trainer.json, could not read .*trainer.json: .*JSON/);
});

it('refuses another format', async () => {
  await write();
  await expect(
    readCheckpoint(
      variant('model-format', (j) => ({ ...j, format: 'tpfr-model' })),
      'fn',
    ),
  ).rejects.toThrow(/^fn: expected trainer.json of format 'tpfr-checkpoint', received tpfr-model$/);
  await expect(
    readCheckpoint(
      variant('no-format', (j) => ({ ...j, format: undefined })),
      'fn',
    ),
  ).rejects.toThrow(/^fn: expected trainer.json of format 'tpfr-checkpoint', received undefined$/);
  await expect(
    readCheckpoint(
      variant('null', () => 'null'),
      'fn',
    ),
  ).rejects.toThrow(/^fn: expected trainer.json of format 'tpfr-checkpoint', received undefined$/);
});

it('refuses a newer version, and reads version 2', async () => {
  await write();
  await expect(
    readCheckpoint(
      variant('v3', (j) => ({ ...j, version: 3 })),
      'fn',
    ),
  ).rejects.toThrow(
    /^fn: expected a checkpoint of format version ≤ 2, found version 3 in .*trainer.json \(written by a newer @tpfr\/models\)$/,
  );
  const { model: loaded, state } = await readCheckpoint(
    variant('v2', (j) => ({ ...j, version: 2 })),
    'fn',
  );
  tf.dispose(state.tensors.map((t) => t.tensor));
  loaded.dispose();
});

it('refuses a state.bin of another size than its manifest says', async () => {
  await write();
  const d = variant('short', (j) => j, new Uint8Array(4 * 8));
  await expect(readCheckpoint(d, 'fn')).rejects.toThrow(
    /^fn: expected 36 bytes in .*state.bin \(its manifest in trainer.json\), found 32$/,
  );
  const e = variant(
    'scalar-only',
    (j) => ({ ...j, specs: [{ name: 'aux/iter', shape: [], dtype: 'float32' }] }),
    new Uint8Array(new Float32Array([9]).buffer),
  );
  const { model: loaded, state } = await readCheckpoint(e, 'fn');
  expect(state.tensors.map((t) => [t.name, Array.from(t.tensor.dataSync())])).toEqual([['aux/iter', [9]]]);
  tf.dispose(state.tensors.map((t) => t.tensor));
  loaded.dispose();
});
