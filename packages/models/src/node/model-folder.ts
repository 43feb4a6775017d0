import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { TpfrError } from '@tpfr/core';
import { fileSystemIO } from '@tpfr/layers/node';
import { MODEL_PARTS, loadPart, type ModelPart, type TpfrModelManifest } from '../model/artifacts.js';
import { resolveConfig } from '../model/config.js';
import { TpfrModel } from '../model/model.js';
import { writeDirAtomically } from './atomic-dir.js';

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
  await writeDirAtomically(dir, async (tmp) => {
    await fileSystemIO(tmp).save!(artifacts);
    await fs.writeFile(path.join(tmp, MODEL_MANIFEST), JSON.stringify({ ...manifest, savedAt: new Date().toISOString() }, null, 2));
  });
}

/** The manifest of the model folder `dir` (`tpfr-model.json`), checked. */
export async function readModelManifest(dir: string, fn = 'readModelManifest'): Promise<TpfrModelManifest> {
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
  if (!(manifest.version === undefined || manifest.version === 1 || manifest.version === 2)) {
    throw new TpfrError(fn, `expected a model of format version 1 or 2, found version ${manifest.version} in ${file} (saved by a newer @tpfr/models)`);
  }
  return manifest;
}

/**
 * Loads a model folder written by {@link saveModel}, or by earlier versions (format version 1:
 * one sub-folder per part; models with the former rank-4 peer inputs are converted).
 */
export async function loadModel(dir: string): Promise<TpfrModel> {
  const fn = 'loadModel';
  const manifest = await readModelManifest(dir, fn);
  if (manifest.version === 2) return TpfrModel.fromArtifacts(await fileSystemIO(dir).load!(), fn);
  const parts = {} as Record<ModelPart, tfl.LayersModel>;
  for (const name of MODEL_PARTS) {
    let artifacts;
    try {
      artifacts = await fileSystemIO(path.join(dir, name)).load!();
    } catch (e) {
      Object.values(parts).forEach((m) => m.dispose());
      throw new TpfrError(fn, `could not load part '${name}' from ${path.join(dir, name)}: ${(e as Error).message}`);
    }
    try {
      parts[name] = await loadPart(fn, name, artifacts);
    } catch (e) {
      Object.values(parts).forEach((m) => m.dispose());
      throw e;
    }
  }
  return TpfrModel.fromParts(resolveConfig(manifest.config), parts);
}
