/**
 * The work a tfjs layers model does on inputs of given sizes, counted from its layers: each
 * layer's output shape is worked out from its inputs' (`computeOutputShape`, in the model's
 * topological order), then its floating-point operations counted, a multiply-add as 2:
 * - `Conv2D`: 2·Ho·Wo·kh·kw·Cin·Cout per image (the output's size); `Conv2DTranspose`: the same
 *   over its input's size; `Dense`: 2·rows·Cin·Cout;
 * - `TpfrResidualBlock`: its two 3×3 convolutions at its output's size; `TpfrGlobalStyle`: its
 *   strided convolutions, each at the size its stride leaves;
 * - `TpfrPeerRecombination` (the TPFR layer), per stage: the neighbour search 2·Nq·Nk·C (Nq
 *   query pixels, Nk exemplar pixels, C the channels compared: the content code in stage 1, in
 *   stage 2 the style code's local half plus one, as the search folds the encoder's constant
 *   global half), the attention transforms (two dense layers and a score on the Nq + Nk rows)
 *   and the attention (2·Nq·k·C of the values recombined);
 * - any other layer with 4-D kernels: each as a stride-1 convolution at its output's size.
 * Normalizations, activations, padding and the other element-wise work are not counted.
 */
import type * as tfl from '@tensorflow/tfjs-layers';

/** One shape, `[B, H, W, C]` for images. */
type Shape = (number | null)[];

/** The work of one layer (the TPFR layer's split in its parts). */
export interface LayerFlops {
  /** The layer's name. */
  layer: string;
  /** Its class (`Conv2D`, `TpfrResidualBlock`, …). */
  className: string;
  /** `'conv'` (convolutions and dense layers), `'search'`, or `'attention'` (the TPFR layer's transforms and attention). */
  kind: 'conv' | 'search' | 'attention';
  /** Floating-point operations. */
  flops: number;
}

const product = (xs: readonly (number | null)[]) => xs.reduce<number>((a, b) => a * (b ?? 1), 1);
const isShapeList = (s: Shape | Shape[]): s is Shape[] => Array.isArray(s[0]);
const first = (s: Shape | Shape[]): Shape => (isShapeList(s) ? s[0] : s);

/** The kernels of a layer: its weights of `rank` dimensions, in order. */
const kernels = (layer: tfl.layers.Layer, rank: number) =>
  layer.weights.filter((w) => w.shape.length === rank).map((w) => w.shape as number[]);

/** 2·(pixels per image of `out`)·kh·kw·Cin·Cout·B for one 4-D kernel `[kh, kw, Cin, Cout]`. */
const convAt = (out: Shape, [kh, kw, cin, cout]: number[]) => 2 * product(out.slice(0, 3)) * kh * kw * cin * cout;

/**
 * Stage `s`'s dense kernels of the TPFR layer (`content_attention` for 1, `style_attention` for 2)
 * that each row goes through: the two transforms and one score (the query's; the peer's is as large).
 */
function attentionKernels(layer: tfl.layers.Layer, stage: 1 | 2): number[][] {
  const prefix = stage === 1 ? 'content_attention/' : 'style_attention/';
  return layer.weights
    .filter((w) => w.originalName.includes(prefix) && w.originalName.endsWith('/kernel') && !w.originalName.includes('peer_score'))
    .map((w) => w.shape as number[]);
}

/** The TPFR layer's work on `[content, style, peerContent, peerStyle]` of the given shapes. */
function peerRecombinationFlops(layer: tfl.layers.Layer, inputs: Shape[]): LayerFlops[] {
  const [content, style, peerContent] = inputs;
  const nq = product(content.slice(0, 3));
  const nk = product(peerContent.slice(0, 4));
  const cc = content[3] ?? 0;
  const cs = style[3] ?? 0;
  const k = (layer.getConfig().k as number | undefined) ?? 5;
  const out: LayerFlops[] = [];
  const stages: { stage: 1 | 2; compared: number; values: number }[] = [
    { stage: 1, compared: cc, values: cs },
    { stage: 2, compared: cs / 2 + 1, values: cc },
  ];
  for (const { stage, compared, values } of stages) {
    const transforms = attentionKernels(layer, stage).reduce((n, [cin, cout]) => n + 2 * cin * cout, 0);
    out.push({ layer: `${layer.name} stage ${stage}`, className: layer.getClassName(), kind: 'search', flops: 2 * nq * nk * compared });
    out.push({
      layer: `${layer.name} stage ${stage}`,
      className: layer.getClassName(),
      kind: 'attention',
      flops: (nq + nk) * transforms + 2 * nq * k * values,
    });
  }
  return out;
}

/** The work of one layer given its input and output shapes (see the module's comment). */
function layerFlops(layer: tfl.layers.Layer, input: Shape | Shape[], output: Shape | Shape[]): LayerFlops[] {
  const className = layer.getClassName();
  const conv = (flops: number): LayerFlops[] => (flops > 0 ? [{ layer: layer.name, className, kind: 'conv', flops }] : []);
  switch (className) {
    case 'TpfrPeerRecombination':
      return peerRecombinationFlops(layer, input as Shape[]);
    case 'Conv2DTranspose':
      return conv(kernels(layer, 4).reduce((n, [kh, kw, cout, cin]) => n + convAt(first(input), [kh, kw, cin, cout]), 0));
    case 'Dense':
      return conv(kernels(layer, 2).reduce((n, [cin, cout]) => n + 2 * product(first(output).slice(0, -1)) * cin * cout, 0));
    case 'TpfrGlobalStyle': {
      const strides = (layer.getConfig().strides as number | undefined) ?? 2;
      const [b, h, w] = first(input);
      let [hh, ww] = [h ?? 1, w ?? 1];
      return conv(
        kernels(layer, 4).reduce((n, kernel) => {
          [hh, ww] = [Math.ceil(hh / strides), Math.ceil(ww / strides)];
          return n + convAt([b, hh, ww], kernel);
        }, 0),
      );
    }
    default:
      return conv(kernels(layer, 4).reduce((n, kernel) => n + convAt(first(output), kernel), 0));
  }
}

/**
 * The work of `model` on inputs of `inputShapes` (one per model input, `[B, H, W, C]`, in the
 * order of `model.inputs`), layer by layer.
 * @throws Error when a layer's inputs come from a layer not yet seen (not a functional model).
 */
export function modelFlops(model: tfl.LayersModel, inputShapes: Shape[]): LayerFlops[] {
  const shapes = new Map<string, Shape | Shape[]>();
  model.inputLayers.forEach((l, i) => shapes.set(l.name, inputShapes[i]));
  const out: LayerFlops[] = [];
  for (const layer of model.layers) {
    if (shapes.has(layer.name)) continue;
    const node = layer.inboundNodes[0];
    const inputs = node.inboundLayers.map((from, i) => {
      const s = shapes.get(from.name);
      if (!s) throw new Error(`modelFlops: ${layer.name}'s input ${from.name} has no shape yet`);
      return isShapeList(s) ? s[node.tensorIndices[i]] : s;
    });
    const input = inputs.length === 1 ? inputs[0] : inputs;
    const output = layer.computeOutputShape(input as tfl.Shape | tfl.Shape[]) as Shape | Shape[];
    shapes.set(layer.name, output);
    out.push(...layerFlops(layer, input, output));
  }
  return out;
}

/** The sum of some layers' work, in GFLOP. */
export const gflop = (layers: readonly LayerFlops[], kind?: LayerFlops['kind']) =>
  layers.filter((l) => kind === undefined || l.kind === kind).reduce((n, l) => n + l.flops, 0) / 1e9;
