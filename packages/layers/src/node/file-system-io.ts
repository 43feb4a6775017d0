import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';

/** Names of the files {@link fileSystemIO} writes in its folder. */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

function joinWeightData(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (data == null) return new ArrayBuffer(0);
  return Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data;
}

/** The files' bytes one after the other, each file read straight into one buffer (no copy after the read). */
async function readAll(files: string[]): Promise<ArrayBuffer> {
  const buffers = await Promise.all(files.map((f) => fs.readFile(f)));
  // One file (what `save` writes) of its own allocation: its buffer as it is.
  if (buffers.length === 1 && buffers[0].byteOffset === 0 && buffers[0].byteLength === buffers[0].buffer.byteLength)
    return buffers[0].buffer as ArrayBuffer;
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    out.set(b, offset);
    offset += b.byteLength;
  }
  return out.buffer;
}

/**
 * A Node file-system `IOHandler` without tfjs-node: `model.save(fileSystemIO(dir))` writes
 * `dir/model.json` (topology and weights manifest) and `dir/weights.bin`;
 * `tf.loadLayersModel(fileSystemIO(dir))` reads them back. Node only (`@tpfr/layers/node`).
 * @param dir folder, created when missing.
 */
export function fileSystemIO(dir: string): tf.io.IOHandler {
  if (typeof dir !== 'string' || dir.length === 0) throw new ValueError('fileSystemIO', 'a folder path', String(dir));
  const load = async () => {
    const json = JSON.parse(await fs.readFile(path.join(dir, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
    const specs: tf.io.WeightsManifestEntry[] = [];
    const files: string[] = [];
    for (const group of json.weightsManifest ?? []) {
      specs.push(...group.weights);
      files.push(...group.paths.map((p) => path.join(dir, p)));
    }
    return {
      modelTopology: json.modelTopology,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      trainingConfig: json.trainingConfig,
      userDefinedMetadata: json.userDefinedMetadata,
      weightSpecs: specs,
      weightData: await readAll(files),
    } as tf.io.ModelArtifacts;
  };
  const save = async (a: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
    if (a.modelTopology instanceof ArrayBuffer)
      throw new ValueError('fileSystemIO', 'a JSON model topology', 'a binary (GraphDef) topology');
    await fs.mkdir(dir, { recursive: true });
    const weights = joinWeightData(a.weightData);
    const json: tf.io.ModelJSON = {
      modelTopology: a.modelTopology as object,
      format: a.format,
      generatedBy: a.generatedBy,
      convertedBy: a.convertedBy,
      weightsManifest: [{ paths: [WEIGHTS_BIN], weights: a.weightSpecs ?? [] }],
    };
    if (a.trainingConfig) json.trainingConfig = a.trainingConfig;
    if (a.userDefinedMetadata) json.userDefinedMetadata = a.userDefinedMetadata;
    const text = JSON.stringify(json);
    await fs.writeFile(path.join(dir, MODEL_JSON), text);
    await fs.writeFile(path.join(dir, WEIGHTS_BIN), new Uint8Array(weights));
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: 'JSON',
        modelTopologyBytes: text.length,
        weightSpecsBytes: JSON.stringify(a.weightSpecs ?? []).length,
        weightDataBytes: weights.byteLength,
      },
    };
  };
  return { save, load };
}
