import * as tf from '@tensorflow/tfjs-core';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, TpfrError } from '@tpfr/core';
import { MICRO_MODEL } from '@tpfr/testing';
import { TpfrModel } from '../model/model.js';
import { TRAINER_STATE, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { ResolvedTrainerOptions } from './options.js';

const dir = mkdtempSync(join(tmpdir(), 'tpfr-checkpoint-hostile-'));
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

beforeAll(async () => {
  await initBackend('wasm');
  const model = TpfrModel.create(MICRO_MODEL);
  const tensors = [{ name: 'aux/iter', tensor: tf.scalar(7) }];
  await writeCheckpoint(ckpt, model, { step: 4, averagedSteps: 0, options, data: { kind: 'synthetic', seed: 3, size: 32 }, tensors });
  tf.dispose(tensors.map((t) => t.tensor));
  model.dispose();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A copy of the checkpoint with trainer.json edited by `edit` (or replaced by the text it returns). */
function variant(name: string, edit: (j: Record<string, unknown>) => unknown): string {
  const d = join(dir, name);
  rmSync(d, { recursive: true, force: true });
  cpSync(ckpt, d, { recursive: true });
  const edited = edit(JSON.parse(readFileSync(join(ckpt, TRAINER_STATE), 'utf8')));
  writeFileSync(join(d, TRAINER_STATE), typeof edited === 'string' ? edited : JSON.stringify(edited));
  return d;
}

/** The error of reading `d`, checking that no tensor was made. */
async function refusal(d: string): Promise<string> {
  const before = tf.memory().numTensors;
  const e = await readCheckpoint(d, 'fn').then(
    () => null,
    (err: Error) => err,
  );
  expect(e).toBeInstanceOf(TpfrError);
  expect(tf.memory().numTensors).toBe(before);
  return e!.message;
}

describe('readCheckpoint: a checkpoint from a newer format version, or a malformed one', () => {
  it('a newer version is refused with the version found and the version supported, before the model is read', async () => {
    for (const v of [3, 99, 2.5]) {
      const d = variant(`v${v}`, (j) => ({ ...j, version: v }));
      rmSync(join(d, 'model'), { recursive: true }); // never reached
      expect(await refusal(d)).toBe(
        `fn: expected a checkpoint of format version ≤ 2, found version ${v} in ${join(d, TRAINER_STATE)} (written by a newer @tpfr/models)`,
      );
    }
  });

  it('a version that is not a positive integer', async () => {
    for (const [name, v] of [
      ['string', '3'],
      ['zero', 0],
      ['negative', -1],
      ['object', { major: 3 }],
    ] as const) {
      const d = variant(`version-${name}`, (j) => ({ ...j, version: v }));
      expect(await refusal(d)).toBe(
        `fn: expected a checkpoint of format version 2, found version ${JSON.stringify(v)} in ${join(d, TRAINER_STATE)}`,
      );
    }
  });

  it('a tensor manifest (specs) missing or malformed, and a missing state.bin', async () => {
    expect(await refusal(variant('no-specs', (j) => ({ ...j, specs: undefined })))).toMatch(
      /^fn: expected .*trainer\.json with 'specs', a manifest of float32 or int32 tensors \(name, dtype, shape of integers >= 0\), received nothing$/,
    );
    expect(await refusal(variant('bad-shape', (j) => ({ ...j, specs: [{ name: 'aux/iter', dtype: 'float32', shape: [-4] }] })))).toMatch(
      /with 'specs', .*received \[\{"name":"aux\/iter"/,
    );
    expect(await refusal(variant('bad-dtype', (j) => ({ ...j, specs: [{ name: 'aux/iter', dtype: 'string', shape: [] }] })))).toMatch(
      /with 'specs'/,
    );
    const d = variant('no-bin', (j) => j);
    unlinkSync(join(d, 'state.bin'));
    expect(await refusal(d)).toBe(`fn: expected the checkpoint's tensors in ${join(d, 'state.bin')}, could not read it: ENOENT`);
  });
});
