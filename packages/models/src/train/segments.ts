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

/** The layers each layer of a model reads (single-output layers, each called once). */
function readsOf(model: tfl.LayersModel): Map<tfl.layers.Layer, tfl.layers.Layer[]> {
  return new Map(
    model.layers.map((layer) => {
      const inbound = layer.inboundNodes;
      if (inbound.length !== 1)
        throw new TpfrError('recompute', `layer '${layer.name}' is called ${inbound.length} times; segments need each layer once`);
      if (inbound[0].tensorIndices.some((t) => t !== 0))
        throw new TpfrError('recompute', `layer '${layer.name}' reads a second output of a layer; segments need single-output layers`);
      return [layer, inbound[0].inboundLayers];
    }),
  );
}

/** The segments: runs of consecutive layers (in the model's order), each ending after an activation or a residual block (or at the last layer). */
export function segmentsOf(model: tfl.LayersModel): tfl.layers.Layer[][] {
  const segments: tfl.layers.Layer[][] = [];
  let current: tfl.layers.Layer[] = [];
  for (const layer of model.layers) {
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

/** One segment as it runs: its layers, the outside layers it reads, and its layers read after it. */
interface Segment {
  layers: tfl.layers.Layer[];
  reads: tfl.layers.Layer[];
  outputs: tfl.layers.Layer[];
}

/** Each model's segments with what they read and give, made once (the graph of a built model does not change). */
const plans = new WeakMap<tfl.LayersModel, { readsOf: Map<tfl.layers.Layer, tfl.layers.Layer[]>; segments: Segment[] }>();

function planOf(model: tfl.LayersModel): { readsOf: Map<tfl.layers.Layer, tfl.layers.Layer[]>; segments: Segment[] } {
  let plan = plans.get(model);
  if (plan) return plan;
  const reads = readsOf(model);
  const cut = segmentsOf(model);
  // Walking back from the last segment: the layers read after segment k (by later segments or as the model's outputs).
  const readLater = new Set<tfl.layers.Layer>(model.outputLayers);
  const segments: Segment[] = [];
  for (let k = cut.length - 1; k >= 0; k--) {
    const layers = cut[k];
    const inSeg = new Set(layers);
    segments.unshift({
      layers,
      reads: [...new Set(layers.flatMap((l) => reads.get(l)!.filter((r) => !inSeg.has(r))))],
      outputs: layers.filter((l) => readLater.has(l)),
    });
    for (const l of layers) for (const r of reads.get(l)!) readLater.add(r);
  }
  plan = { readsOf: reads, segments };
  plans.set(model, plan);
  return plan;
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
  const { readsOf: reads, segments } = planOf(model);
  const values = new Map<tfl.layers.Layer, tf.Tensor>();
  // Whether a layer's output carries a gradient the update wants: from a wanted input or a trained weight upstream.
  const carries = new Map<tfl.layers.Layer, boolean>();
  model.inputLayers.forEach((l, i) => {
    values.set(l, inputs[i]);
    carries.set(l, opts.wantsInput[i]);
  });
  const trained = new Set(opts.trained.map((v) => v.id));
  const made: tf.Tensor[] = [];
  try {
    for (const seg of segments) {
      const flowing = seg.reads.filter((l) => carries.get(l));
      const fixed = seg.reads.filter((l) => !carries.get(l));
      const weights = seg.layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable)).filter((v) => trained.has(v.id));
      const run = (xs: tf.Tensor[], cs: tf.Tensor[]) => {
        const local = new Map<tfl.layers.Layer, tf.Tensor>();
        flowing.forEach((l, i) => local.set(l, xs[i]));
        fixed.forEach((l, i) => local.set(l, cs[i]));
        for (const l of seg.layers) {
          const ins = reads.get(l)!.map((r) => local.get(r)!);
          local.set(l, l.apply(ins.length === 1 ? ins[0] : ins, { training: opts.training }) as tf.Tensor);
        }
        return seg.outputs.map((l) => local.get(l)!);
      };
      const results = recomputed(run, {
        inputs: flowing.map((l) => values.get(l)!),
        constants: fixed.map((l) => values.get(l)!),
        weights,
      });
      made.push(...results);
      const carried = flowing.length > 0 || weights.length > 0;
      seg.outputs.forEach((l, i) => {
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
