import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { TpfrError, ValueError } from '@tpfr/core';
import { canReadSync } from '@tpfr/core/internal';
import { fileSystemIO, MODEL_JSON } from '@tpfr/layers/node';
import { checkFormatVersion, MODEL_PARTS, partLayout, specBytes, type ModelPart, type TpfrModelManifest } from '../model/artifacts.js';
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

/** A model folder's `model.json` as checked by {@link checkWeightFiles}, with its weight files. */
interface CheckedModelJson {
  /** `model.json`, parsed. */
  json: tf.io.ModelJSON;
  /** The weight specs of every group, in order. */
  specs: tf.io.WeightsManifestEntry[];
  /** The weight files of every group, in order, with their sizes: the weight data is their bytes one after the other. */
  files: { path: string; size: number }[];
}

/**
 * Checks the tfjs `model.json` of `dir` against its weight files before anything is loaded: the
 * JSON parses, `weightsManifest` lists groups of `paths` (inside `dir`) and well-formed `weights`,
 * each file is there, and the files of a group hold exactly the bytes its weights need.
 * @returns the parsed `model.json`, its specs and its files (read once, used to load).
 * @throws TpfrError naming `fn`, the file, and the expected and found sizes.
 */
async function checkWeightFiles(dir: string, fn: string): Promise<CheckedModelJson> {
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
  const checked: CheckedModelJson = { json: json as tf.io.ModelJSON, specs: [], files: [] };
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
      checked.files.push({ path: target, size: stat.size });
    }
    checked.specs.push(...(weights as tf.io.WeightsManifestEntry[]));
    if (sized && found !== expected) {
      throw new TpfrError(
        fn,
        `expected ${expected} bytes of weights for the manifest's ${weights.length} weights, found ${found} in ${names.join(' + ') || 'no file'} (weightsManifest[${g}] of ${file})`,
      );
    }
  }
  return checked;
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
  if (bad.length > 0) throw nonFiniteError(fn, dir, bad);
}

/**
 * Reads the bytes `[start, start + length)` of a model's weight data (its files one after the
 * other) straight into a buffer of their own.
 * @throws TpfrError naming `fn` when a file holds fewer bytes than when it was checked.
 */
async function readWeightRange(fn: string, files: CheckedModelJson['files'], start: number, length: number): Promise<ArrayBuffer> {
  const out = new Uint8Array(length);
  const end = start + length;
  let pos = start;
  let fileStart = 0;
  for (const f of files) {
    const fileEnd = fileStart + f.size;
    if (pos < end && pos < fileEnd) {
      const n = Math.min(end, fileEnd) - pos;
      const handle = await fs.open(f.path, 'r');
      try {
        for (let done = 0; done < n; ) {
          const { bytesRead } = await handle.read(out, pos - start + done, n - done, pos - fileStart + done);
          if (bytesRead === 0) throw new TpfrError(fn, `expected ${f.size} bytes in ${f.path}, found fewer: it changed while it was read`);
          done += bytesRead;
        }
      } finally {
        await handle.close();
      }
      pos += n;
    }
    fileStart = fileEnd;
  }
  return out.buffer;
}

/**
 * The names of the float32 weights in one part's bytes `data` (laid out as `specs`) that hold NaN
 * or an infinity: a pass over the bytes as read, before any tensor exists.
 */
function nonFiniteWeights(specs: readonly tf.io.WeightsManifestEntry[], data: ArrayBuffer): string[] {
  const bad: string[] = [];
  let offset = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.dtype === 'float32') {
      const values = offset % 4 === 0 ? new Float32Array(data, offset, n) : new Float32Array(data.slice(offset, offset + 4 * n));
      for (let i = 0; i < n; i++) {
        // x − x is 0 for every finite x, NaN for NaN and ±Infinity.
        if (values[i] - values[i] !== 0) {
          bad.push(s.name);
          break;
        }
      }
    }
    offset += specBytes(s);
  }
  return bad;
}

function nonFiniteError(fn: string, dir: string, bad: string[]): ValueError {
  return new ValueError(
    fn,
    `finite weights in the model folder ${dir}`,
    `NaN or infinite values in ${bad.length} weight(s): ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ', ...' : ''}`,
  );
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** Check that every weight is finite (default true): a pass over the weights as they are read. */
  checkFinite?: boolean;
}

/**
 * Loads a model folder written by {@link saveModel} (format version 2). The weight files are
 * checked against `model.json`'s manifest (present, of the sizes it gives) before any tensor is
 * made, and the weights checked to be finite.
 *
 * The weights are read once: each part's bytes straight from the file into a buffer of their own
 * (checked there, on the host), which tfjs turns into the part's tensors; `model.json` is read
 * once too. Folders with quantized or other weights than float32 and int32 (which `saveModel`
 * does not write) go through tfjs' own loading, checked on the backend.
 * @throws TpfrError for a missing or malformed manifest or weights file, or another format
 * version; ValueError naming the weights that hold NaN or an infinity.
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<TpfrModel> {
  const fn = 'loadModel';
  const check = options.checkFinite !== false;
  await readModelManifest(dir, fn);
  const { json, specs, files } = await checkWeightFiles(dir, fn);
  if (specs.every((s) => !s.quantization && (s.dtype === 'float32' || s.dtype === 'int32'))) {
    const layout = partLayout(specs);
    const partData = {} as Record<ModelPart, ArrayBuffer>;
    const bad: string[] = [];
    for (const part of MODEL_PARTS) {
      const { start, bytes, specs: own } = layout[part];
      partData[part] = await readWeightRange(fn, files, start, bytes);
      if (check) bad.push(...nonFiniteWeights(own, partData[part]));
    }
    if (bad.length > 0) throw nonFiniteError(fn, dir, bad);
    const { modelTopology, format, generatedBy, convertedBy } = json;
    return TpfrModel.fromArtifacts({ modelTopology, format, generatedBy, convertedBy, weightSpecs: specs }, fn, partData);
  }
  const model = await TpfrModel.fromArtifacts(await fileSystemIO(dir).load!(), fn);
  if (check) {
    try {
      assertFiniteWeights(fn, model, dir);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  return model;
}
