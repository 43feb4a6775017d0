import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { TpfrError } from '@tpfr/core';
import type { TpfrModel } from '../model/model.js';
import { recoverDir, writeDirAtomically } from '../node/atomic-dir.js';
import { loadModel, saveModel } from '../node/model-folder.js';
import type { ResolvedTrainerOptions } from './options.js';

/*
 * A training checkpoint (Node): a folder with the model (`model/`), the optimizers' states, the
 * weight average and the image history (`state.bin`, tfjs' weight encoding) and `trainer.json`
 * (step, options, the data's description, the weights manifest). Written atomically.
 */

/** The file that marks a checkpoint folder. */
export const TRAINER_STATE = 'trainer.json';
/** The checkpoint format version this package writes and reads. */
const CHECKPOINT_VERSION = 2;

/** What a checkpoint holds besides the model. */
export interface CheckpointState {
  step: number;
  averagedSteps: number;
  options: ResolvedTrainerOptions;
  /** The dataset's `source` (or its size and classes) when the checkpoint was written. */
  data: Record<string, unknown>;
  /** Optimizer states (`name/weight`), the average (`ema/i`) and the image history (`history/images`). */
  tensors: { name: string; tensor: tf.Tensor }[];
}

/** Writes a checkpoint of `model` and `state` into `dir`, atomically (the tensors are not disposed). */
export async function writeCheckpoint(dir: string, model: TpfrModel, state: CheckpointState): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(state.tensors);
  await writeDirAtomically(
    dir,
    async (tmp) => {
      await saveModel(model, path.join(tmp, 'model'));
      await fs.writeFile(path.join(tmp, 'state.bin'), new Uint8Array(data));
      await fs.writeFile(
        path.join(tmp, TRAINER_STATE),
        JSON.stringify(
          {
            format: 'tpfr-checkpoint',
            version: CHECKPOINT_VERSION,
            step: state.step,
            averagedSteps: state.averagedSteps,
            options: state.options,
            data: state.data,
            specs,
          },
          null,
          2,
        ),
      );
    },
    'writeCheckpoint',
  );
}

/** A checkpoint read back: the model, and the state with its tensors (owned by the caller). */
export async function readCheckpoint(
  dir: string,
  fn: string,
): Promise<{ model: TpfrModel; state: Omit<CheckpointState, 'options'> & { options: Partial<ResolvedTrainerOptions> } }> {
  await recoverDir(dir, fn); // a writer killed mid-replace left the old folder aside
  const file = path.join(dir, TRAINER_STATE);
  let json: {
    format?: string;
    version?: unknown;
    step: number;
    averagedSteps?: number;
    specs: tf.io.WeightsManifestEntry[];
    options: Partial<ResolvedTrainerOptions>;
    data?: Record<string, unknown>;
  };
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw new TpfrError(fn, `expected a checkpoint directory with ${TRAINER_STATE}, could not read ${file}: ${(e as Error).message}`);
  }
  if (json?.format !== 'tpfr-checkpoint')
    throw new TpfrError(fn, `expected ${TRAINER_STATE} of format 'tpfr-checkpoint', received ${String(json?.format)}`);
  const version = json.version;
  if (typeof version === 'number' && version > CHECKPOINT_VERSION) {
    throw new TpfrError(
      fn,
      `expected a checkpoint of format version ≤ ${CHECKPOINT_VERSION}, found version ${version} in ${file} (written by a newer @tpfr/models)`,
    );
  }
  if (version !== CHECKPOINT_VERSION) {
    throw new TpfrError(
      fn,
      `expected a checkpoint of format version ${CHECKPOINT_VERSION}, found version ${JSON.stringify(version) ?? 'none'} in ${file}`,
    );
  }
  const validSpec = (s: tf.io.WeightsManifestEntry) =>
    typeof s?.name === 'string' &&
    (s.dtype === 'float32' || s.dtype === 'int32') &&
    Array.isArray(s.shape) &&
    s.shape.every((d) => Number.isInteger(d) && d >= 0);
  if (!Array.isArray(json.specs) || !json.specs.every(validSpec)) {
    throw new TpfrError(
      fn,
      `expected ${file} with 'specs', a manifest of float32 or int32 tensors (name, dtype, shape of integers >= 0), received ${JSON.stringify(json.specs)?.slice(0, 120) ?? 'nothing'}`,
    );
  }
  let bin: Awaited<ReturnType<typeof fs.readFile>>;
  try {
    bin = await fs.readFile(path.join(dir, 'state.bin'));
  } catch (e) {
    throw new TpfrError(
      fn,
      `expected the checkpoint's tensors in ${path.join(dir, 'state.bin')}, could not read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const expected = json.specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (bin.byteLength !== expected)
    throw new TpfrError(
      fn,
      `expected ${expected} bytes in ${path.join(dir, 'state.bin')} (its manifest in ${TRAINER_STATE}), found ${bin.byteLength}`,
    );
  const model = await loadModel(path.join(dir, 'model'));
  const named = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), json.specs);
  return {
    model,
    state: {
      step: json.step,
      averagedSteps: json.averagedSteps ?? 0,
      options: { ...json.options },
      data: json.data ?? {},
      tensors: Object.entries(named).map(([name, tensor]) => ({ name, tensor })),
    },
  };
}
