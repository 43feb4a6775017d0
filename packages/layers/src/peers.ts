/**
 * The peer inputs of the TPFR layer ({@link PeerRecombination}): peer content `[B, P, h, w, Cc]`
 * and peer style `[B, P, h, w, Cs]`, P exemplars per sample on an axis of their own. Built here
 * from exemplar codes; {@link upgradePeerInputs} converts models saved with the former rank-4
 * layout `[B·P, h, w, C]`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '@tpfr/core';
import { assertInteger, assertRank, formatShape } from '@tpfr/core/utils';
import type { PeerRecombination } from './tpfr-layer.js';

/**
 * Latent codes of style exemplars: a stack `[P, h, w, C]` (one exemplar is `[1, h, w, C]`), or a
 * list of stacks, taken in order (P = the sum of their first dims). Every exemplar has the same
 * `h, w, C`: resize the images to one size before encoding them.
 */
export type ExemplarCodes = tf.Tensor4D | readonly tf.Tensor4D[];

/** `codes` as one `[P, h, w, C]` stack (call in a tidy), checked; errors name `fn` and `what`. */
function exemplarStack(fn: string, what: string, codes: ExemplarCodes): tf.Tensor4D {
  const list = Array.isArray(codes) ? (codes as readonly tf.Tensor4D[]) : [codes as tf.Tensor4D];
  if (list.length === 0) throw new ValueError(fn, `at least one exemplar in ${what}`, 'an empty list');
  list.forEach((t, i) => assertRank(fn, Array.isArray(codes) ? `${what}[${i}]` : what, t, 4, '[P, h, w, C]'));
  const [, h, w, c] = list[0].shape;
  list.forEach((t, i) => {
    if (t.shape[1] !== h || t.shape[2] !== w || t.shape[3] !== c) {
      throw new ShapeError(fn, `${what}[${i}] [P, h, w, C] with h, w, C = ${h}, ${w}, ${c} as ${what}[0] (resize the exemplars to one size)`, `shape ${formatShape(t.shape)}`);
    }
  });
  if (list.every((t) => t.shape[0] === 0)) throw new ValueError(fn, `at least one exemplar in ${what}`, `P = 0 (shape ${formatShape(list[0].shape)})`);
  return tf.concat(list as tf.Tensor4D[], 0) as tf.Tensor4D; // one stack: a clone, sharing its data
}

/**
 * The peer input of a batch whose B samples all meet the same exemplars: each sample's peers are
 * the P exemplars of `exemplars`, in order. Differentiable (gradients reach the codes).
 * @param exemplars `[P, h, w, C]`, or a list of such stacks (`[1, h, w, C]` each, say), concatenated.
 * @param batch B, the batch size of the input the peers go with.
 * @returns `[B, P, h, w, C]` (a new tensor; B copies of the exemplars).
 * @throws ShapeError for a code not of rank 4 or of another `h, w, C`; ValueError for no exemplar
 *   or a batch not an integer ≥ 1.
 */
export function stackPeers(exemplars: ExemplarCodes, batch: number): tf.Tensor5D {
  const fn = 'stackPeers';
  assertInteger(fn, 'batch', batch, 1);
  return tf.tidy(() => {
    const stack = exemplarStack(fn, 'exemplars', exemplars);
    const [p, h, w, c] = stack.shape;
    // B copies as rows of a matrix, joined by concat (a copy per sample; wasm's tile kernel is
    // ~50× slower, and tfjs has no gradient for tile on rank 5); one sample needs no copy.
    const row = tf.reshape(stack, [1, -1]);
    return tf.reshape(batch === 1 ? row : tf.concat(Array.from({ length: batch }, () => row), 0), [batch, p, h, w, c]) as tf.Tensor5D;
  });
}

/**
 * The peer input of a batch whose samples each have exemplars of their own: sample b's peers are
 * `samples[b]`. Every sample has the same number P of exemplars, all of one `h, w, C`.
 * Differentiable.
 * @param samples per sample, its exemplars as in {@link stackPeers} (a stack `[P, h, w, C]` or a
 *   list of stacks).
 * @returns `[B, P, h, w, C]`, B = `samples.length` (a new tensor).
 * @throws ShapeError for samples of different P, h, w or C; ValueError for no sample or a sample
 *   without exemplars.
 */
export function stackPeersPerSample(samples: readonly ExemplarCodes[]): tf.Tensor5D {
  const fn = 'stackPeersPerSample';
  if (!Array.isArray(samples) || samples.length === 0) throw new ValueError(fn, 'at least one sample', Array.isArray(samples) ? 'an empty list' : typeof samples);
  return tf.tidy(() => {
    const stacks = samples.map((s, b) => exemplarStack(fn, `samples[${b}]`, s));
    const first = stacks[0].shape;
    stacks.forEach((t, b) => {
      if (t.shape.join() !== first.join()) {
        throw new ShapeError(fn, `samples[${b}]'s exemplars [P, h, w, C] of P, h, w, C = ${first.join(', ')} as samples[0]'s`, `shape ${formatShape(t.shape)}`);
      }
    });
    return tf.stack(stacks, 0) as tf.Tensor5D;
  });
}

/** The class name under which {@link PeerRecombination} is serialized. */
const TPFR_CLASS = 'TpfrPeerRecombination';

type Json = Record<string, unknown>;

/** Layer configs of a (possibly nested) Keras model topology, the nested models' included. */
function layerConfigs(config: Json | undefined, out: Json[]): Json[] {
  // Stryker disable next-line ArrayDeclaration: a non-layer entry in the list (no class_name, no name) is skipped by every use
  const layers = (config?.layers as Json[] | undefined) ?? [];
  for (const l of layers) {
    out.push(l);
    if (l.config && (l.config as Json).layers) layerConfigs(l.config as Json, out);
  }
  return out;
}

/**
 * Converts the topology of a model saved with the TPFR layer's former peer layout
 * (`[B·P, h, w, C]`, rank 4) to the current one (`[B, P, h, w, C]`): every input layer that feeds
 * a {@link PeerRecombination}'s peer content or peer style with a rank-4 `batch_input_shape` gets
 * an unknown P axis, `[null, h, w, C]` → `[null, null, h, w, C]`. The layer's weights do not
 * depend on the layout, so the weights load unchanged. Then feed the converted model peers built
 * with {@link stackPeers}. Peer inputs computed by other layers of the model (not input layers)
 * cannot be converted: loading such a model fails with the layer's rank error.
 * @param artifacts as an `IOHandler`'s `load()` returns them (`fileSystemIO(dir).load()`).
 * @returns the artifacts to pass to `tf.io.fromMemory` (a copy when something changed) and the
 *   names of the converted input layers (empty: nothing to convert).
 * @example
 * const { artifacts } = upgradePeerInputs(await fileSystemIO(dir).load!()); // fileSystemIO: @tpfr/layers/node
 * const model = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
 */
export function upgradePeerInputs(artifacts: tf.io.ModelArtifacts): { artifacts: tf.io.ModelArtifacts; upgraded: string[] } {
  const fn = 'upgradePeerInputs';
  const topology = artifacts.modelTopology;
  if (topology == null || topology instanceof ArrayBuffer) return { artifacts, upgraded: [] };
  const copy = JSON.parse(JSON.stringify(topology)) as Json;
  const root = ((copy.model_config as Json | undefined) ?? copy).config as Json | undefined;
  // Stryker disable next-line ArrayDeclaration: a non-layer entry in the list (no class_name, no name) is skipped by every use
  const layers = layerConfigs(root, []);
  const byName = new Map(layers.map((l) => [(l.config as Json | undefined)?.name ?? l.name, l]));
  const upgraded: string[] = [];
  for (const l of layers) {
    if (l.class_name !== TPFR_CLASS) continue;
    for (const node of (l.inbound_nodes as unknown[][][] | undefined) ?? []) {
      if (!Array.isArray(node) || node.length !== 4) {
        throw new ShapeError(fn, `four inbound tensors of ${TPFR_CLASS} '${String(l.name)}'`, `${Array.isArray(node) ? node.length : typeof node}`);
      }
      for (const entry of node.slice(2)) {
        const source = byName.get(entry[0] as string);
        if (source?.class_name !== 'InputLayer') continue;
        const cfg = source.config as Json;
        const shape = cfg.batch_input_shape as (number | null)[] | undefined;
        if (!Array.isArray(shape) || shape.length !== 4) continue;
        cfg.batch_input_shape = [shape[0], null, ...shape.slice(1)];
        upgraded.push(String(cfg.name));
      }
    }
  }
  if (upgraded.length === 0) return { artifacts, upgraded };
  return { artifacts: { ...artifacts, modelTopology: copy }, upgraded };
}
