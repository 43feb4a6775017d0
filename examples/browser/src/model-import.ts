/**
 * Models a visitor gives the page, read and imported in the worker (no server, no Node): the
 * authors' PyTorch generator checkpoint (`*_net_G.pth`, legacy or zip format) through
 * `readTorchCheckpoint` and `importTorchGenerator`, or a saved model folder's files (`model.json`
 * and its weights, and `tpfr-model.json`) through `TpfrModel.load`.
 *
 * Memory: the file's buffer is dropped as soon as the checkpoint's tensors are copied out of it,
 * so the import holds at most the file and its tensors (reading), then the tensors and the model
 * (importing): about two copies of the weights, plus one weight's temporaries (the model's
 * discriminator, which the page never runs, is the narrowest: ndf 1). {@link ImportMemory} says
 * what was measured.
 */
import * as tf from '@tensorflow/tfjs-core';
import { TpfrModel } from '@tpfr/models';
import type { ImportMemory, ModelInfo } from './model-info.js';

/** The files given, sorted: one checkpoint, or a model folder's. */
type Given = { kind: 'checkpoint'; file: File } | { kind: 'folder'; json: File; weights: File[]; manifest?: File };

const listFiles = (files: File[]) =>
  files.length === 0 ? 'no file' : files.map((f) => `${f.name} (${f.size.toLocaleString('en')} bytes)`).join(', ');

/** What the files are, or an error naming what was expected and what was received. */
export function sortFiles(files: File[]): Given {
  const json = files.find((f) => f.name === 'model.json') ?? files.find((f) => f.name.endsWith('.json') && f.name !== 'tpfr-model.json');
  if (json) {
    const manifest = files.find((f) => f.name === 'tpfr-model.json');
    return { kind: 'folder', json, manifest, weights: files.filter((f) => f !== json && f !== manifest) };
  }
  if (files.length === 1) return { kind: 'checkpoint', file: files[0] };
  throw new Error(
    `expected the authors' checkpoint (one *_net_G.pth, legacy or zip format) or a saved model folder's files (model.json with its weights.bin, and tpfr-model.json), received ${listFiles(files)}`,
  );
}

/** The reader's reasons (`CheckpointError.reason`) in words. */
const REASONS: Record<string, string> = {
  'not-a-checkpoint': 'not a PyTorch checkpoint',
  truncated: 'the file is truncated: it ends before its data does',
  corrupt: 'the file is corrupt',
  unsupported: 'a checkpoint this reader does not support',
  'unsafe-path': 'a zip entry with an unsafe path',
  'too-large': 'more tensor data than such a file can hold',
  'forbidden-global': 'its pickle would run code other than building a state dict: refused',
  'unknown-opcode': 'its pickle holds an opcode the reader does not know',
};

/** A model and what the page says about it. */
export interface Imported {
  model: TpfrModel;
  info: ModelInfo;
}

/** Bytes of the JS heap where the browser tells (Chromium's `performance.memory`), else undefined. */
function jsHeap(): number | undefined {
  return (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize;
}

/** Imports the authors' checkpoint from `file`, measuring what it holds at once. */
async function importCheckpoint(file: File, fromStorage: boolean): Promise<Imported> {
  const t0 = performance.now();
  // Loaded on first use: a page that never imports does not download the reader.
  const [{ readTorchCheckpoint }, { importTorchGenerator }] = await Promise.all([import('@tpfr/core/torch'), import('@tpfr/models/torch')]);
  let buffer: ArrayBuffer | null = await file.arrayBuffer();
  const fileBytes = buffer.byteLength;
  let ck: ReturnType<typeof readTorchCheckpoint>;
  try {
    ck = readTorchCheckpoint(new Uint8Array(buffer));
  } catch (e) {
    const why = REASONS[(e as { reason?: string }).reason ?? ''] ?? 'not readable';
    throw new Error(
      `${file.name} (${fileBytes.toLocaleString('en')} bytes) is not a checkpoint the page can read (${why}): ${(e as Error).message}`,
    );
  }
  // The tensors are copies: the file's bytes can go before the model is built.
  buffer = null;
  let checkpointBytes = 0;
  for (const t of ck.tensors.values()) checkpointBytes += t.data.byteLength;
  const before = tf.memory().numBytes;
  let imported: ReturnType<typeof importTorchGenerator>;
  let tensorPeak: number;
  try {
    // The page only stylizes: the narrowest discriminator (ndf 1) stands in for the fresh one the model carries.
    const profile = await tf.profile(() => importTorchGenerator(ck, { ndf: 1 }) as unknown as tf.TensorContainer);
    imported = profile.result as unknown as ReturnType<typeof importTorchGenerator>;
    tensorPeak = Math.max(profile.peakBytes, tf.memory().numBytes) - before;
  } catch (e) {
    throw new Error(`${file.name} is a ${ck.format} PyTorch checkpoint but not the authors' generator: ${(e as Error).message}`);
  }
  const { model, report } = imported;
  const weightBytes = 4 * report.parameterCount;
  const peakBytes = Math.max(fileBytes + checkpointBytes, checkpointBytes + tensorPeak);
  const memory: ImportMemory = {
    fileBytes,
    checkpointBytes,
    weightBytes,
    peakBytes,
    copies: peakBytes / weightBytes,
    jsHeapBytes: jsHeap(),
  };
  return {
    model,
    info: {
      source: 'checkpoint',
      name: file.name,
      format: ck.format,
      ngf: report.ngf,
      parameters: report.parameterCount,
      importMs: performance.now() - t0,
      fromStorage,
      stored: false,
      memory,
    },
  };
}

/** Loads a saved model folder's files, after checking that every weights file model.json names was given. */
async function loadFolder(given: Extract<Given, { kind: 'folder' }>, fromStorage: boolean): Promise<Imported> {
  const t0 = performance.now();
  const { json, weights } = given;
  let paths: string[];
  let parsed: tf.io.ModelJSON;
  try {
    parsed = JSON.parse(await json.text()) as tf.io.ModelJSON;
    paths = (parsed.weightsManifest ?? []).flatMap((g) => g.paths ?? []).map((p) => p.slice(p.lastIndexOf('/') + 1));
  } catch (e) {
    throw new Error(`expected ${json.name} to be a tfjs model.json, could not read it as JSON: ${(e as Error).message}`);
  }
  const missing = paths.filter((p) => !weights.some((w) => w.name === p));
  if (missing.length > 0 || paths.length === 0)
    throw new Error(
      `expected ${json.name} with the weights file(s) it lists (${paths.join(', ') || 'none listed'}) dropped together, received ${listFiles([json, ...weights, ...(given.manifest ? [given.manifest] : [])])}`,
    );
  const used = paths.map((p) => weights.find((w) => w.name === p)!);
  let model: TpfrModel;
  try {
    // The files read as they are (Blob.arrayBuffer: in a worker and in Node alike), one buffer per path.
    const handler: tf.io.IOHandler = {
      load: () =>
        tf.io.getModelArtifactsForJSON(parsed, async (manifest) => [
          manifest.flatMap((g) => g.weights),
          await Promise.all(used.map((f) => f.arrayBuffer())),
        ]),
    };
    model = await TpfrModel.load(handler);
  } catch (e) {
    throw new Error(`${json.name} and ${paths.join(', ')} are not a model the page can load: ${(e as Error).message}`);
  }
  return {
    model,
    info: {
      source: 'folder',
      name: [json, ...used, ...(given.manifest ? [given.manifest] : [])].map((f) => f.name).join(' + '),
      ngf: Number(model.config.ngf),
      parameters: model.generatorParameterCount(),
      importMs: performance.now() - t0,
      fromStorage,
      stored: false,
    },
  };
}

/** Reads and imports the files a visitor gave (or the ones kept from an earlier visit). */
export async function importModelFiles(files: File[], fromStorage = false): Promise<Imported> {
  const given = sortFiles(files);
  return given.kind === 'checkpoint' ? importCheckpoint(given.file, fromStorage) : loadFolder(given, fromStorage);
}
