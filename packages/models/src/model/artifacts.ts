import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { TpfrError } from '@tpfr/core';
import type { TpfrModelConfig } from './config.js';

/** The sub-models of a TPFR model, in the order they are saved. */
export const MODEL_PARTS = ['encoder', 'recombination', 'mainDecoder', 'auxDecoder', 'discriminator'] as const;
/** The sub-models of a {@link TpfrModel}. */
export type ModelPart = (typeof MODEL_PARTS)[number];

/** What a saved TPFR model's topology holds besides the parts' own topologies. */
export interface TpfrModelManifest {
  format: 'tpfr-model';
  /** The format version: 2 (the only one; a newer @tpfr/models may write more). */
  version: number;
  config: TpfrModelConfig;
  /** Anything the saver added (the trainer's step, the command that made it, …). */
  [extra: string]: unknown;
}

/** One sub-model's artifacts, as `model.save` gives them. */
async function partArtifacts(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return artifacts!;
}

const joinData = (d: tf.io.WeightData | undefined): ArrayBuffer =>
  d == null ? new ArrayBuffer(0) : Array.isArray(d) ? tf.io.CompositeArrayBuffer.join(d) : d;

/**
 * The whole model as one set of tfjs artifacts: the topology `{ tpfr: manifest, parts: {…} }`,
 * the weights of every part (names prefixed `part/`) in one buffer. Any tfjs `IOHandler` stores it.
 */
export async function toModelArtifacts(
  parts: Record<ModelPart, tfl.LayersModel>,
  manifest: TpfrModelManifest,
): Promise<tf.io.ModelArtifacts> {
  const topologies: Record<string, unknown> = {};
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const name of MODEL_PARTS) {
    const a = await partArtifacts(parts[name]);
    topologies[name] = a.modelTopology;
    specs.push(...(a.weightSpecs ?? []).map((s) => ({ ...s, name: `${name}/${s.name}` })));
    buffers.push(joinData(a.weightData));
  }
  return {
    modelTopology: { tpfr: manifest, parts: topologies },
    format: 'tpfr-model',
    generatedBy: '@tpfr/models',
    weightSpecs: specs,
    weightData: tf.io.CompositeArrayBuffer.join(buffers),
  };
}

/** The format version this package writes and reads. */
export const MODEL_FORMAT_VERSION = 2;

/**
 * Throws unless `manifest` has the format version this package reads, saying whether the model
 * was saved by a newer @tpfr/models.
 * @param where the file or source named in the message (or '').
 */
export function checkFormatVersion(fn: string, manifest: TpfrModelManifest, where: string): void {
  const v = manifest.version;
  if (v === MODEL_FORMAT_VERSION) return;
  const at = where ? ` in ${where}` : '';
  const newer = typeof v === 'number' && v > MODEL_FORMAT_VERSION ? ' (saved by a newer @tpfr/models)' : '';
  throw new TpfrError(
    fn,
    `expected a model of format version ${MODEL_FORMAT_VERSION}, found version ${JSON.stringify(v) ?? 'none'}${at}${newer}`,
  );
}

/** The manifest of artifacts made by {@link toModelArtifacts}, or null when they are not a TPFR model's. */
export function manifestOf(artifacts: tf.io.ModelArtifacts): TpfrModelManifest | null {
  const topology = artifacts.modelTopology as { tpfr?: TpfrModelManifest } | undefined;
  const m = topology && !(topology instanceof ArrayBuffer) ? topology.tpfr : undefined;
  return m && m.format === 'tpfr-model' && typeof m.config === 'object' ? m : null;
}

/** One part from its artifacts; errors name `fn` and the part. */
async function loadPart(fn: string, name: ModelPart, artifacts: tf.io.ModelArtifacts): Promise<tfl.LayersModel> {
  try {
    return await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new TpfrError(fn, `could not load part '${name}': ${(e as Error).message}`);
  }
}

/** Bytes of one weight in a model's weight data (float32 and int32: 4 bytes an element; the rest 1). */
export const specBytes = (s: tf.io.WeightsManifestEntry): number =>
  s.shape.reduce((a, b) => a * b, 1) * (s.dtype === 'float32' || s.dtype === 'int32' ? 4 : 1);

/** Where one part's weights lie in a model's weight data. */
export interface PartLayout {
  /** The part's weight specs, in the order stored, named as in the whole model (`part/…`). */
  specs: tf.io.WeightsManifestEntry[];
  /** Its first byte. */
  start: number;
  /** Its byte count. */
  bytes: number;
}

/** Where each part's weights lie: parts are stored one after the other, in {@link MODEL_PARTS} order. */
export function partLayout(specs: readonly tf.io.WeightsManifestEntry[]): Record<ModelPart, PartLayout> {
  const layout = {} as Record<ModelPart, PartLayout>;
  let start = 0;
  for (const name of MODEL_PARTS) {
    const own = specs.filter((s) => s.name.startsWith(`${name}/`));
    const bytes = own.reduce((n, s) => n + specBytes(s), 0);
    layout[name] = { specs: own, start, bytes };
    start += bytes;
  }
  return layout;
}

/**
 * The parts of artifacts made by {@link toModelArtifacts} (checked: every part present, every
 * weight found). With `partData`, each part's weight bytes are those given (Node's `loadModel`
 * reads them from the file, each into a buffer of its own) instead of slices of
 * `artifacts.weightData`, which need not be there.
 */
export async function partsFromArtifacts(
  fn: string,
  artifacts: tf.io.ModelArtifacts,
  partData?: Record<ModelPart, ArrayBuffer>,
): Promise<Record<ModelPart, tfl.LayersModel>> {
  const topologies = (artifacts.modelTopology as { parts?: Record<string, object> }).parts ?? {};
  const missing = MODEL_PARTS.filter((p) => !topologies[p]);
  if (missing.length > 0) throw new TpfrError(fn, `expected the parts ${MODEL_PARTS.join(', ')}, missing ${missing.join(', ')}`);
  const specs = artifacts.weightSpecs ?? [];
  const layout = partLayout(specs);
  let data: ArrayBuffer | undefined;
  if (!partData) {
    data = joinData(artifacts.weightData);
    const expectedBytes = specs.reduce((n, s) => n + specBytes(s), 0);
    if (!specs.some((s) => s.quantization) && expectedBytes !== data.byteLength) {
      throw new TpfrError(
        fn,
        `expected ${expectedBytes} bytes of weights for the manifest's ${specs.length} weights, found ${data.byteLength}`,
      );
    }
  }
  const parts = {} as Record<ModelPart, tfl.LayersModel>;
  const loaded: tfl.LayersModel[] = [];
  try {
    for (const name of MODEL_PARTS) {
      const prefix = `${name}/`;
      const { specs: own, start, bytes } = layout[name];
      const weightData = partData ? partData[name] : data!.slice(start, start + bytes);
      if (partData && weightData.byteLength !== bytes)
        throw new TpfrError(fn, `expected ${bytes} bytes of weights for part '${name}', received ${weightData.byteLength}`);
      const part: tf.io.ModelArtifacts = {
        modelTopology: topologies[name],
        weightSpecs: own.map((s) => ({ ...s, name: s.name.slice(prefix.length) })),
        weightData,
      };
      parts[name] = await loadPart(fn, name, part);
      loaded.push(parts[name]);
    }
  } catch (e) {
    loaded.forEach((m) => m.dispose());
    throw e;
  }
  return parts;
}
