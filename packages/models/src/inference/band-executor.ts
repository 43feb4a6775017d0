import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { TpfrError } from '@tpfr/core';
import type { HostMap } from './host-map.js';
import {
  activationMap,
  channelSliceMap,
  concatenateMap,
  conv2dMap,
  conv2dTransposeMap,
  instanceNormMap,
  reflectionPaddingMap,
  residualParams,
  upSamplingMap,
  zeroPaddingMap,
  ROW_KINDS,
} from './layer-maps.js';
import { residualRows } from './map-ops.js';
import {
  assemble,
  assembleOnHost,
  bandRowsOf,
  cachedRows,
  mapBytes,
  ownedRows,
  storedRows,
  type RowMap,
  type StoredMap,
} from './row-map.js';

/** How {@link runInBands} sizes its bands. */
export interface BandOptions {
  /** Bytes one band of a map may take. */
  bandBytes: number;
  /** Rows per band of every map, instead of `bandBytes`; residual blocks then run in bands whatever their size. */
  bandRows?: number;
  /** Residual blocks whose input takes at most this many bytes run whole, as the layer computes them. */
  wholeBlockBytes: number;
}

/** Where an output of {@link runInBands} goes: a tensor, JS memory, or nowhere (not computed for itself). */
export type OutputSink = 'tensor' | 'host' | null;

/** One layer of the walked graph. */
interface GraphNode {
  layer: tfl.layers.Layer;
  inputs: GraphNode[];
  shape: [number, number, number, number];
  /** How it runs: given (a model input), a view (rows computed on request), stored (computed once), whole (the layer on assembled inputs). */
  role: 'input' | 'view' | 'stored' | 'whole';
  /** Stored in JS memory (channel slices when outputs go there). */
  host: boolean;
  /** The output sinks this node feeds. */
  sinks: OutputSink[];
}

const shape4 = (s: tfl.Shape | tfl.Shape[], layer: tfl.layers.Layer): [number, number, number, number] => {
  if (Array.isArray(s[0]) || s.length !== 4 || s.some((d) => d == null))
    throw new TpfrError('band-wise inference', `layer '${layer.name}' must give one [B, H, W, C] map, gives ${JSON.stringify(s)}`);
  return s as [number, number, number, number];
};

/**
 * Runs a built tfjs model band by band: walks its layers in topological order and computes each
 * as an operation on row maps, read from the layer's kind, config and weights (convolutions,
 * transposed convolutions, paddings, instance norm, activations, residual blocks, channel slices
 * and concatenations; any other layer runs whole on its assembled inputs). No full-resolution map
 * is ever held: maps smaller than the largest are computed once into bands of at most `bandBytes`
 * (freed once every layer that reads them has been computed), the largest are recomputed band by
 * band for each request. The same weights as the layers; the result equals the model's up to
 * float rounding.
 * @param inputs the model's inputs as row maps (not freed).
 * @param sinks per model output: `'tensor'`, `'host'` (a map in JS memory), or null to skip it.
 * @returns the outputs, null where the sink is null.
 */
export function runInBands(model: tfl.LayersModel, inputs: RowMap[], sinks: OutputSink[], opts: BandOptions): (StoredMap | null)[] {
  const nodes = walk(model, inputs, sinks);
  // Computed maps below the largest computed size are kept (in bands); the largest (full
  // resolution) are recomputed band by band on request, never held.
  const area = (n: GraphNode) => n.shape[1] * n.shape[2];
  const largest = Math.max(...nodes.filter((n) => n.role === 'stored').map(area));
  for (const n of nodes) if (n.role === 'stored' && !n.host && area(n) >= largest) n.role = 'view';
  const closures = new Map(nodes.map((n) => [n, closureOf(n)]));
  const uses = new Map<GraphNode, number>();
  for (const n of nodes) {
    if (n.role === 'view' && !n.sinks.some((s) => s)) continue;
    for (const m of closures.get(n)!) uses.set(m, (uses.get(m) ?? 0) + 1);
  }
  const maps = new Map<GraphNode, RowMap>();
  const outputs: (StoredMap | null)[] = sinks.map(() => null);
  const hostMaps = new Map<GraphNode, HostMap>();
  /** After n is computed: the maps only n needed are freed. */
  const done = (n: GraphNode) => {
    for (const m of closures.get(n)!) {
      const left = uses.get(m)! - 1;
      uses.set(m, left);
      if (left === 0 && m.role !== 'input') maps.get(m)!.dispose();
    }
  };
  /** Rows per band when computing n: no map it computes through takes more than bandBytes per band. */
  const band = (n: GraphNode) => {
    if (opts.bandRows !== undefined) return Math.min(n.shape[1], opts.bandRows);
    const through = [n, ...closures.get(n)!].filter((m) => m === n || m.role === 'view');
    const rows = Math.min(...through.map((m) => Math.floor((bandRowsOf(rowShape(m), opts.bandBytes) * n.shape[1]) / m.shape[1])));
    return Math.min(n.shape[1], Math.max(1, rows));
  };
  try {
    for (const n of nodes) {
      const ins = n.inputs.map((m) => maps.get(m)!);
      let map: RowMap;
      if (n.role === 'input') {
        map = inputs[model.inputLayers.indexOf(n.layer)];
      } else if (n.role === 'whole') {
        const whole = tf.tidy(() => {
          const xs = n.inputs.map((m, i) => assemble(ins[i], band(m)));
          return n.layer.apply(xs.length === 1 ? xs[0] : xs) as tf.Tensor4D;
        });
        map = ownedRows(whole);
      } else {
        map = layerMap(n, ins, band(n), opts);
        if (n.role === 'stored') {
          if (n.host) {
            const h = assembleOnHost(map, band(n));
            map.dispose();
            hostMaps.set(n, h);
            map = storedRows(h);
          } else if (n.layer.getClassName() !== 'TpfrResidualBlock') {
            const view = map;
            map = cachedRows(view, band(n));
            view.dispose();
          }
        }
      }
      maps.set(n, map);
      n.sinks.forEach((sink, i) => {
        if (!sink) return;
        const h = hostMaps.get(n);
        outputs[i] = sink === 'host' ? (h ?? assembleOnHost(map, band(n))) : assemble(map, band(n));
      });
      if (n.role !== 'view' || n.sinks.some((s) => s)) done(n);
      if (uses.get(n) === undefined && n.role !== 'input') map.dispose();
    }
    return outputs;
  } catch (e) {
    outputs.forEach((o) => {
      if (o instanceof tf.Tensor) o.dispose();
    });
    throw e;
  } finally {
    for (const [n, m] of maps) if (n.role !== 'input' && (uses.get(n) ?? 0) > 0) m.dispose();
  }
}

const rowShape = (n: GraphNode) => ({ batch: n.shape[0], height: n.shape[1], width: n.shape[2], channels: n.shape[3] });

/** The nodes n reads through: its inputs, and back through views to the nearest stored maps. */
function closureOf(n: GraphNode): Set<GraphNode> {
  const seen = new Set<GraphNode>();
  const visit = (m: GraphNode) => {
    if (seen.has(m)) return;
    seen.add(m);
    if (m.role === 'view') m.inputs.forEach(visit);
  };
  n.inputs.forEach(visit);
  return seen;
}

/** The layer of n on its inputs' row maps (a view; residual blocks computed here, in bands or whole). */
function layerMap(n: GraphNode, ins: RowMap[], band: number, opts: BandOptions): RowMap {
  const { layer } = n;
  const kind = layer.getClassName();
  const [x] = ins;
  switch (kind) {
    case 'Conv2D':
      return conv2dMap(layer, x);
    case 'Conv2DTranspose':
      return conv2dTransposeMap(layer, x);
    case 'UpSampling2D':
      return upSamplingMap(layer, x);
    case 'TpfrReflectionPadding2D':
      return reflectionPaddingMap(layer, x);
    case 'ZeroPadding2D':
      return zeroPaddingMap(layer, x);
    case 'TpfrInstanceNormalization':
      return instanceNormMap(layer, x, bandOfInput(n, band));
    case 'TpfrChannelSlice':
      return channelSliceMap(layer, x);
    case 'Concatenate':
      return concatenateMap(layer, ins);
    case 'TpfrResidualBlock': {
      if (opts.bandRows === undefined && mapBytes(x) <= opts.wholeBlockBytes) {
        return ownedRows(tf.tidy(() => layer.apply(assemble(x, bandRowsOf(x, opts.bandBytes))) as tf.Tensor4D));
      }
      return residualRows(x, residualParams(layer), band);
    }
    default:
      return activationMap(layer, x);
  }
}

/** Rows per band of n's input for a band of `band` rows of n (the same map size). */
const bandOfInput = (n: GraphNode, band: number) => Math.max(1, Math.round((band * n.inputs[0].shape[1]) / n.shape[1]));

/** The model's layers as graph nodes in topological order, with their shapes for these inputs. */
function walk(model: tfl.LayersModel, inputs: RowMap[], sinks: OutputSink[]): GraphNode[] {
  if (inputs.length !== model.inputLayers.length)
    throw new TpfrError('band-wise inference', `${model.name} takes ${model.inputLayers.length} inputs, given ${inputs.length}`);
  if (sinks.length !== model.outputLayers.length)
    throw new TpfrError('band-wise inference', `${model.name} has ${model.outputLayers.length} outputs, given ${sinks.length} sinks`);
  const byLayer = new Map<tfl.layers.Layer, GraphNode>();
  const anyHost = sinks.includes('host');
  const nodes: GraphNode[] = [];
  for (const layer of model.layers) {
    const inbound = layer.inboundNodes;
    if (inbound.length !== 1)
      throw new TpfrError('band-wise inference', `layer '${layer.name}' is called ${inbound.length} times; bands need each layer once`);
    const ins = inbound[0].inboundLayers.map((l, i) => {
      if (inbound[0].tensorIndices[i] !== 0)
        throw new TpfrError(
          'band-wise inference',
          `layer '${layer.name}' reads output ${inbound[0].tensorIndices[i]} of '${l.name}'; bands need single-output layers`,
        );
      return byLayer.get(l)!;
    });
    const kind = layer.getClassName();
    let shape: [number, number, number, number];
    let role: GraphNode['role'];
    if (kind === 'InputLayer') {
      const m = inputs[model.inputLayers.indexOf(layer)];
      shape = [m.batch, m.height, m.width, m.channels];
      role = 'input';
    } else {
      const inShapes = ins.map((m) => m.shape.slice());
      shape = shape4(layer.computeOutputShape(inShapes.length === 1 ? inShapes[0] : inShapes), layer);
      role = kind in ROW_KINDS ? (ROW_KINDS[kind as keyof typeof ROW_KINDS] === 'compute' ? 'stored' : 'view') : 'whole';
    }
    // Channel slices of a map bound for JS memory go there as they are reached, so that the map
    // they slice is freed before the layers that follow.
    const host = anyHost && kind === 'TpfrChannelSlice';
    const node: GraphNode = { layer, inputs: ins, shape, role: host ? 'stored' : role, host, sinks: sinks.map(() => null) };
    byLayer.set(layer, node);
    nodes.push(node);
  }
  model.outputLayers.forEach((l, i) => {
    if (model.outputLayersTensorIndices[i] !== 0)
      throw new TpfrError('band-wise inference', `${model.name}'s output ${i} is not its layer's first output`);
    byLayer.get(l)!.sinks[i] = sinks[i];
  });
  return schedule(nodes);
}

/** Which ready node runs first: those that free memory (views, maps written to JS memory) before those that allocate. */
const PRIORITY: Record<GraphNode['role'], number> = { input: 0, view: 1, stored: 2, whole: 3 };

/**
 * The nodes in an order that keeps memory low: a topological order that, among the nodes whose
 * inputs are computed, takes first the ones that allocate least (channel slices written to JS
 * memory free the map they slice; a layer run whole allocates whole maps).
 */
function schedule(nodes: GraphNode[]): GraphNode[] {
  const waiting = new Map(nodes.map((n) => [n, new Set(n.inputs).size]));
  const readers = new Map<GraphNode, GraphNode[]>(nodes.map((n) => [n, []]));
  for (const n of nodes) for (const m of new Set(n.inputs)) readers.get(m)!.push(n);
  const rank = (n: GraphNode) => (n.host ? 1.5 : PRIORITY[n.role]);
  const ready = nodes.filter((n) => waiting.get(n) === 0);
  const order: GraphNode[] = [];
  while (ready.length > 0) {
    // The lowest rank first, then the model's own order.
    ready.sort((a, b) => rank(a) - rank(b) || nodes.indexOf(a) - nodes.indexOf(b));
    const n = ready.shift()!;
    order.push(n);
    for (const r of readers.get(n)!) {
      const left = waiting.get(r)! - 1;
      waiting.set(r, left);
      if (left === 0) ready.push(r);
    }
  }
  return order;
}
