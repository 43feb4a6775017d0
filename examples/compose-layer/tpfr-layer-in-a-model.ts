/**
 * The TPFR layer in a `tf.model` of your own: peer inputs `[B, P, h, w, C]` built with
 * `stackPeers`, `model.predict` (any `batchSize`) equal to the eager `layer.apply`, save and load:
 * `node --import tsx examples/compose-layer/tpfr-layer-in-a-model.ts [dir]`.
 * The same code is in docs/guides/tpfr-layer.md.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { pathToFileURL } from 'node:url';
import { initBackend } from '@tpfr/core';
import { peerRecombination, stackPeers } from '@tpfr/layers';
import { fileSystemIO } from '@tpfr/layers/node';

/** Sizes of {@link tpfrLayerInAModel} (defaults: the guide's). */
export interface ExampleSizes {
  /** Content and style channels `[Cc, Cs]` (default `[256, 512]`). */
  channels?: [number, number];
  /** Input samples B (default 2). */
  batch?: number;
  /** Exemplars P per sample (default 2). */
  exemplars?: number;
}

/**
 * Builds a model around the layer, runs it batched and eagerly, saves it into `dir` and loads it.
 * @returns the max |predict − apply| before and after the save and load.
 */
export async function tpfrLayerInAModel(
  dir: string,
  { channels = [256, 512], batch = 2, exemplars = 2 }: ExampleSizes = {},
): Promise<{ predict: number; loaded: number }> {
  const [cc, cs] = channels;
  // Unknown H, W and P, h, w: only the channel counts are fixed. The peers have rank 5.
  const content = tfl.input({ shape: [null, null, cc], name: 'content' });
  const style = tfl.input({ shape: [null, null, cs], name: 'style' });
  const peerContent = tfl.input({ shape: [null, null, null, cc], name: 'peer_content' });
  const peerStyle = tfl.input({ shape: [null, null, null, cs], name: 'peer_style' });

  const tpfr = peerRecombination({ k: 5, name: 'tpfr' });
  const outputs = tpfr.apply([content, style, peerContent, peerStyle]); // [content′, style′]
  const model = tfl.model({ inputs: [content, style, peerContent, peerStyle], outputs });

  // B inputs of 24×24; P exemplars of 20×28 (codes [P, h, w, C]), the same for every sample.
  const zC = tf.randomNormal([batch, 24, 24, cc]);
  const zS = tf.randomNormal([batch, 24, 24, cs]);
  const exemplarC = tf.randomNormal([exemplars, 20, 28, cc]) as tf.Tensor4D;
  const exemplarS = tf.randomNormal([exemplars, 20, 28, cs]) as tf.Tensor4D;
  const pC = stackPeers(exemplarC, batch); // [B, P, 20, 28, Cc]
  const pS = stackPeers(exemplarS, batch); // [B, P, 20, 28, Cs]
  const xs = [zC, zS, pC, pS];

  // predict cuts every input into batches along its first axis, B: each sample keeps its P exemplars.
  const predicted = model.predict(xs, { batchSize: 1 }) as tf.Tensor[]; // [B, 24, 24, Cc], [B, 24, 24, Cs]
  const eager = tpfr.apply(xs); // the same
  const maxDiff = (a: tf.Tensor[]) => Math.max(...a.map((t, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(t, eager[i]))).dataSync()[0])));

  // Importing @tpfr/layers registers the classes for serialization (package 'tpfr').
  await model.save(fileSystemIO(dir)); // Node, without tfjs-node
  const again = await tfl.loadLayersModel(fileSystemIO(dir));
  const reloaded = again.predict(xs) as tf.Tensor[];

  const result = { predict: maxDiff(predicted), loaded: maxDiff(reloaded) };
  tf.dispose([...xs, exemplarC, exemplarS, ...predicted, ...eager, ...reloaded]);
  model.dispose();
  again.dispose();
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await initBackend('wasm');
  const diff = await tpfrLayerInAModel(process.argv[2] ?? './tpfr-model');
  console.log(`max |predict − apply| ${diff.predict}, after save and load ${diff.loaded}`);
}
