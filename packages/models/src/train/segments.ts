import type * as tfl from '@tensorflow/tfjs-layers';
import type * as tf from '@tensorflow/tfjs-core';
import { TpfrError, recomputed } from '@tpfr/core';

/*
 * A network run block by block for gradient checkpointing: its layers, in the order the model
 * lists them (topological), are cut into segments after each activation and each residual block,
 * and each segment runs under `recomputed`: the tape keeps the maps between blocks, and a block's
 * own intermediates (its padding, convolution and normalization maps) exist only while that block
 * runs, forward or again in the backward pass.
 */

/** The layers after which a segment ends: the activations and the residual blocks. */
const CUT_AFTER = new Set(['ReLU', 'LeakyReLU', 'TpfrResidualBlock']);

/** One layer of the model with the layers whose outputs it reads. */
interface Step {
  layer: tfl.layers.Layer;
  inputs: tfl.layers.Layer[];
}

/** The model's layers in order, each with its input layers (single-output layers, each called once). */
function stepsOf(model: tfl.LayersModel): Step[] {
  return model.layers.map((layer) => {
    const inbound = layer.inboundNodes;
    if (inbound.length !== 1)
      throw new TpfrError('recompute', `layer '${layer.name}' is called ${inbound.length} times; segments need each layer once`);
    if (inbound[0].tensorIndices.some((t) => t !== 0))
      throw new TpfrError('recompute', `layer '${layer.name}' reads a second output of a layer; segments need single-output layers`);
    return { layer, inputs: inbound[0].inboundLayers };
  });
}

/** The segments: runs of consecutive steps, each ending after an activation or a residual block (or at the last layer). */
export function segmentsOf(model: tfl.LayersModel): tfl.layers.Layer[][] {
  const segments: tfl.layers.Layer[][] = [];
  let current: tfl.layers.Layer[] = [];
  for (const { layer } of stepsOf(model)) {
    if (layer.getClassName() === 'InputLayer') continue;
    current.push(layer);
    if (CUT_AFTER.has(layer.getClassName())) {
      segments.push(current);
      current = [];
    }
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

/**
 * `model.apply(inputs, { training })` with each segment ({@link segmentsOf}) recomputed in the
 * backward pass: the same outputs and gradients as the plain call (of the inputs flagged in
 * `wantsInput`, and of `trained`, the variables the update trains), holding the maps between
 * segments and one segment's intermediates at a time.
 * @param inputs the model's inputs, in the order of its input layers.
 * @param opts.wantsInput per input: whether gradients flow back to it (else it is a constant).
 * @param opts.trained the variables the update trains (those of other networks are ignored).
 * @returns the model's outputs, in the order of its output layers.
 */
export function applyInSegments(
  model: tfl.LayersModel,
  inputs: tf.Tensor[],
  opts: { training: boolean; wantsInput: boolean[]; trained: readonly tf.Variable[] },
): tf.Tensor[] {
  const steps = stepsOf(model);
  const readsOf = new Map(steps.map((s) => [s.layer, s.inputs]));
  const values = new Map<tfl.layers.Layer, tf.Tensor>();
  // Whether a layer's output carries a gradient the update wants: from a wanted input or a trained weight upstream.
  const carries = new Map<tfl.layers.Layer, boolean>();
  model.inputLayers.forEach((l, i) => {
    values.set(l, inputs[i]);
    carries.set(l, opts.wantsInput[i]);
  });
  const weightsOf = (layers: tfl.layers.Layer[]) =>
    opts.trained.filter((v) => layers.some((l) => l.trainableWeights.some((w) => (w.read() as tf.Variable).id === v.id)));
  const segments = segmentsOf(model);
  // The layers read after each segment (by later segments or as model outputs).
  const readLater = segments.map((_, k) => {
    const later = new Set<tfl.layers.Layer>(model.outputLayers);
    for (const seg of segments.slice(k + 1)) for (const l of seg) for (const r of readsOf.get(l)!) later.add(r);
    return later;
  });
  const made: tf.Tensor[] = [];
  try {
    for (const [k, seg] of segments.entries()) {
      const inSeg = new Set(seg);
      const outside = [...new Set(seg.flatMap((l) => readsOf.get(l)!.filter((r) => !inSeg.has(r))))];
      const flowing = outside.filter((l) => carries.get(l));
      const fixed = outside.filter((l) => !carries.get(l));
      const outs = seg.filter((l) => readLater[k].has(l));
      const weights = weightsOf(seg);
      const run = (xs: tf.Tensor[], cs: tf.Tensor[]) => {
        const local = new Map<tfl.layers.Layer, tf.Tensor>();
        flowing.forEach((l, i) => local.set(l, xs[i]));
        fixed.forEach((l, i) => local.set(l, cs[i]));
        for (const l of seg) {
          const ins = readsOf.get(l)!.map((r) => local.get(r)!);
          local.set(l, l.apply(ins.length === 1 ? ins[0] : ins, { training: opts.training }) as tf.Tensor);
        }
        return outs.map((l) => local.get(l)!);
      };
      const xs = flowing.map((l) => values.get(l)!);
      const cs = fixed.map((l) => values.get(l)!);
      const results = recomputed(run, { inputs: xs, constants: cs, weights });
      made.push(...results);
      const carried = flowing.length > 0 || weights.length > 0;
      outs.forEach((l, i) => {
        values.set(l, results[i]);
        carries.set(l, carried);
      });
    }
    return model.outputLayers.map((l) => values.get(l)!);
  } finally {
    // The maps between segments are on the tape (kept there until the backward pass): drop the
    // references here, except the outputs.
    const outputs = new Set(model.outputLayers.map((l) => values.get(l)));
    for (const t of made) if (!outputs.has(t)) t.dispose();
  }
}
