import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { TpfrError, ValueError } from '@tpfr/core';
import { canReadSync } from '@tpfr/core/internal';
import { fileSystemIO, MODEL_JSON } from '@tpfr/layers/node';
import { checkFormatVersion, type TpfrModelManifest } from '../model/artifacts.js';
import { TpfrModel } from '../model/model.js';
import { recoverDir, writeDirAtomically } from './atomic-dir.js';

/** The file that marks a saved model folder: the config and what the saver added. */
export const MODEL_MANIFEST = 'tpfr-model.json';

/**
 * Saves `model` into the folder `dir`, atomically (a crash never leaves a half-written model):
 * `tpfr-model.json` (format, config, `extra`) beside tfjs' `model.json` and `weights.bin`, the
 * artifacts {@link TpfrModel.save} gives any `IOHandler`. Such a folder can be served as static
 * files and loaded in a browser with `TpfrModel.load(url + '/model.json')`.
 */
export async function saveModel(model: TpfrModel, dir: string, extra: Record<string, unknown> = {}): Promise<void> {
  const artifacts = await model.toArtifacts(extra);
  const manifest = (artifacts.modelTopology as { tpfr: TpfrModelManifest }).tpfr;
  await writeDirAtomically(
    dir,
    async (tmp) => {
      await fileSystemIO(tmp).save!(artifacts);
      await fs.writeFile(path.join(tmp, MODEL_MANIFEST), JSON.stringify({ ...manifest, savedAt: new Date().toISOString() }, null, 2));
    },
    'saveModel',
  );
}

/** The manifest of the model folder `dir` (`tpfr-model.json`), checked. */
export async function readModelManifest(dir: string, fn = 'readModelManifest'): Promise<TpfrModelManifest> {
  await recoverDir(dir, fn); // a writer killed mid-replace left the old folder aside
  const file = path.join(dir, MODEL_MANIFEST);
  let manifest: TpfrModelManifest;
  try {
    manifest = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw new TpfrError(fn, `expected a model directory with ${MODEL_MANIFEST}, could not read ${file}: ${(e as Error).message}`);
  }
  if (manifest?.format !== 'tpfr-model' || typeof manifest.config !== 'object') {
    throw new TpfrError(fn, `expected ${MODEL_MANIFEST} of format 'tpfr-model', received ${JSON.stringify(manifest).slice(0, 120)}`);
  }
  checkFormatVersion(fn, manifest, file);
  return manifest;
}

/** Bytes per element of the dtypes a tfjs weights manifest can hold (string weights have no fixed size). */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, complex64: 8 };

const describeJson = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v).slice(0, 120));

/**
 * Checks the tfjs `model.json` of `dir` against its weight files before anything is loaded: the
 * JSON parses, `weightsManifest` lists groups of `paths` (inside `dir`) and well-formed `weights`,
 * each file is there, and the files of a group hold exactly the bytes its weights need.
 * @throws TpfrError naming `fn`, the file, and the expected and found sizes.
 */
async function checkWeightFiles(dir: string, fn: string): Promise<void> {
  const file = path.join(dir, MODEL_JSON);
  let json: { weightsManifest?: unknown };
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw new TpfrError(fn, `expected a readable JSON ${MODEL_JSON}, could not read ${file}: ${(e as Error).message}`);
  }
  const groups = json?.weightsManifest;
  if (!Array.isArray(groups)) throw new TpfrError(fn, `expected ${file} with a weightsManifest array, received ${describeJson(groups)}`);
  const root = path.resolve(dir);
  for (const [g, group] of groups.entries()) {
    const { paths, weights } = (group ?? {}) as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string') || !Array.isArray(weights)) {
      throw new TpfrError(
        fn,
        `expected weightsManifest[${g}] of ${file} with 'paths' (strings) and 'weights' arrays, received ${describeJson(group)}`,
      );
    }
    let expected = 0;
    let sized = true;
    for (const [i, w] of (weights as Record<string, unknown>[]).entries()) {
      const shape = w?.shape;
      const dtype = (w?.quantization as { dtype?: string } | undefined)?.dtype ?? w?.dtype;
      const validShape = Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0);
      if (typeof w?.name !== 'string' || !validShape || typeof dtype !== 'string' || !(dtype in DTYPE_BYTES || dtype === 'string')) {
        throw new TpfrError(
          fn,
          `expected weightsManifest[${g}].weights[${i}] of ${file} with a name, a shape of integers >= 0 and a dtype, received ${describeJson(w)}`,
        );
      }
      if (dtype === 'string') sized = false;
      else expected += (shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    }
    let found = 0;
    const names: string[] = [];
    for (const p of paths as string[]) {
      const target = path.resolve(root, p);
      const rel = path.relative(root, target);
      if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
        throw new TpfrError(fn, `expected weight files inside ${root}, received the path ${JSON.stringify(p)} in ${file}`);
      }
      let stat: Awaited<ReturnType<typeof fs.stat>>;
      try {
        stat = await fs.stat(target);
      } catch (e) {
        throw new TpfrError(
          fn,
          `expected the weights file ${target} listed in ${file}, could not read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
      if (!stat.isFile())
        throw new TpfrError(
          fn,
          `expected the weights file ${target} listed in ${file} to be a file, received a directory or other non-file`,
        );
      found += stat.size;
      names.push(target);
    }
    if (sized && found !== expected) {
      throw new TpfrError(
        fn,
        `expected ${expected} bytes of weights for the manifest's ${weights.length} weights, found ${found} in ${names.join(' + ') || 'no file'} (weightsManifest[${g}] of ${file})`,
      );
    }
  }
}

/**
 * Throws when a weight of `model` holds NaN or an infinity, naming the weights (`part/layer/…`):
 * one reduction per weight and one read back. Skipped where the backend cannot read synchronously.
 * @throws ValueError naming `fn` and `dir`.
 */
function assertFiniteWeights(fn: string, model: TpfrModel, dir: string): void {
  if (!canReadSync()) return;
  const weights = Object.entries(model.parts()).flatMap(([part, m]) =>
    m.weights.filter((w) => w.dtype === 'float32').map((w) => ({ name: `${part}/${w.originalName}`, w })),
  );
  if (weights.length === 0) return;
  const finite = tf.tidy(() => tf.stack(weights.map(({ w }) => tf.all(tf.isFinite(w.read())))).dataSync());
  const bad = weights.filter((_, i) => !finite[i]).map((w) => w.name);
  if (bad.length > 0) {
    throw new ValueError(
      fn,
      `finite weights in the model folder ${dir}`,
      `NaN or infinite values in ${bad.length} weight(s): ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ', ...' : ''}`,
    );
  }
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** Check that every weight is finite (default true): one reduction per weight when loading. */
  checkFinite?: boolean;
}

/**
 * Loads a model folder written by {@link saveModel} (format version 2). The weight files are
 * checked against `model.json`'s manifest (present, of the sizes it gives) before any tensor is
 * made, and the loaded weights checked to be finite.
 * @throws TpfrError for a missing or malformed manifest or weights file, or another format
 * version; ValueError naming the weights that hold NaN or an infinity.
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<TpfrModel> {
  const fn = 'loadModel';
  await readModelManifest(dir, fn);
  await checkWeightFiles(dir, fn);
  const model = await TpfrModel.fromArtifacts(await fileSystemIO(dir).load!(), fn);
  if (options.checkFinite !== false) {
    try {
      assertFiniteWeights(fn, model, dir);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  return model;
}
