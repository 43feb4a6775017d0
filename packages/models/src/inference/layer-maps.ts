import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { TpfrError } from '@tpfr/core';
import type { InstanceNormalization, ReflectionPadding2D, ResidualBlock, ChannelSlice } from '@tpfr/layers';
import {
  channelRows,
  concatRows,
  convRows,
  convTransposeRows,
  instanceNormRows,
  mapRows,
  padRows,
  samePadding,
  upsampleNearestRows,
  type ConvParams,
  type Elementwise,
  type SidePadding,
} from './map-ops.js';
import type { RowMap } from './row-map.js';

/*
 * Each layer kind of the networks as an operation on row maps, its parameters read from the
 * layer itself (its config and weights): the executor walks a built model and calls these.
 */

/** The element-wise functions behind tfjs' activation names (those the networks use). */
const ACTIVATIONS: Record<string, Elementwise | null> = {
  linear: null,
  relu: (x) => tf.relu(x),
  tanh: (x) => tf.tanh(x),
  sigmoid: (x) => tf.sigmoid(x),
};

function activationOf(layer: tfl.layers.Layer, name: unknown): Elementwise | null {
  const key = String(name ?? 'linear');
  if (!(key in ACTIVATIONS))
    throw new TpfrError('band-wise inference', `layer '${layer.name}' has activation '${key}', which bands do not support`);
  return ACTIVATIONS[key];
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0], v[1]] : [Number(v), Number(v)]);

/** A convolution layer's kernel and bias (the layer's own tensors). */
function kernelAndBias(layer: tfl.layers.Layer): { kernel: tf.Tensor4D; bias: tf.Tensor1D | null } {
  const [kernel, bias] = layer.getWeights();
  return { kernel: kernel as tf.Tensor4D, bias: (bias as tf.Tensor1D | undefined) ?? null };
}

function unsupported(layer: tfl.layers.Layer, what: string): never {
  throw new TpfrError('band-wise inference', `layer '${layer.name}' (${layer.getClassName()}) ${what}, which bands do not support`);
}

/** `Conv2D` on rows. */
export function conv2dMap(layer: tfl.layers.Layer, x: RowMap): RowMap {
  const c = layer.getConfig();
  if (c.dataFormat === 'channelsFirst') unsupported(layer, 'is channels-first');
  if (pair(c.dilationRate ?? 1).some((d) => d !== 1)) unsupported(layer, 'is dilated');
  const { kernel, bias } = kernelAndBias(layer);
  const [kh, kw] = kernel.shape;
  const strides = pair(c.strides ?? 1);
  const padding: [SidePadding, SidePadding] =
    c.padding === 'same'
      ? [samePadding(x.height, kh, strides[0]), samePadding(x.width, kw, strides[1])]
      : [
          [0, 0],
          [0, 0],
        ];
  const p: ConvParams = { kernel, bias, strides, padding, activation: activationOf(layer, c.activation) };
  return convRows(x, p);
}

/** `Conv2DTranspose` on rows. */
export function conv2dTransposeMap(layer: tfl.layers.Layer, x: RowMap): RowMap {
  const c = layer.getConfig();
  if (c.dataFormat === 'channelsFirst') unsupported(layer, 'is channels-first');
  const { kernel, bias } = kernelAndBias(layer);
  const [kh, kw] = kernel.shape;
  const [sh, sw] = pair(c.strides ?? 1);
  const same = c.padding === 'same';
  // tfjs' 'same' output is `n·s`: the full output `(n − 1)·s + k` cropped by ⌊max(k − s, 0) / 2⌋ at the start.
  const crop: [number, number] = same ? [Math.floor(Math.max(kh - sh, 0) / 2), Math.floor(Math.max(kw - sw, 0) / 2)] : [0, 0];
  const outputSize = (h: number, w: number): [number, number] => (same ? [h * sh, w * sw] : [(h - 1) * sh + kh, (w - 1) * sw + kw]);
  return convTransposeRows(x, { kernel, bias, strides: [sh, sw], crop, outputSize, activation: activationOf(layer, c.activation) });
}

/** `TpfrReflectionPadding2D` on rows. */
export function reflectionPaddingMap(layer: tfl.layers.Layer, x: RowMap): RowMap {
  const [rows, cols] = (layer as ReflectionPadding2D).padding;
  return padRows(x, rows, cols, 'reflect');
}

/** `ZeroPadding2D` on rows. */
export function zeroPaddingMap(layer: tfl.layers.Layer, x: RowMap): RowMap {
  const c = layer.getConfig();
  if (c.dataFormat === 'channelsFirst') unsupported(layer, 'is channels-first');
  const [rows, cols] = (layer as unknown as { padding: [SidePadding, SidePadding] }).padding;
  return padRows(x, rows, cols, 'zero');
}

/** `UpSampling2D` (nearest) on rows. */
export function upSamplingMap(layer: tfl.layers.Layer, x: RowMap): RowMap {
  const c = layer.getConfig();
  if (c.interpolation !== undefined && c.interpolation !== 'nearest') unsupported(layer, `interpolates '${String(c.interpolation)}'`);
  return upsampleNearestRows(x, pair(c.size ?? 2));
}

/** `TpfrInstanceNormalization` on rows; its statistics are summed over bands of `band` rows. */
export function instanceNormMap(layer: tfl.layers.Layer, x: RowMap, band: number): RowMap {
  const n = layer as InstanceNormalization;
  const { gamma, beta } = n.affineWeights();
  return instanceNormRows(x, { epsilon: n.epsilon, gamma, beta }, band);
}

/** Activation layers (`ReLU`, `LeakyReLU`, `Activation`) on rows. */
export function activationMap(layer: tfl.layers.Layer, x: RowMap): RowMap {
  const c = layer.getConfig();
  switch (layer.getClassName()) {
    case 'ReLU':
      if (c.maxValue != null) return mapRows(x, (t) => tf.clipByValue(t, 0, Number(c.maxValue)));
      return mapRows(x, (t) => tf.relu(t));
    case 'LeakyReLU':
      return mapRows(x, (t) => tf.leakyRelu(t, Number(c.alpha ?? 0.3)));
    default: {
      const f = activationOf(layer, c.activation);
      return f ? mapRows(x, f) : x;
    }
  }
}

/** `TpfrChannelSlice` on rows. */
export function channelSliceMap(layer: tfl.layers.Layer, x: RowMap): RowMap {
  const s = layer as ChannelSlice;
  return channelRows(x, s.start, s.size === -1 ? x.channels - s.start : s.size);
}

/** `Concatenate` (along the channels) on rows. */
export function concatenateMap(layer: tfl.layers.Layer, xs: RowMap[]): RowMap {
  const axis = Number(layer.getConfig().axis ?? -1);
  if (axis !== -1 && axis !== 3) unsupported(layer, `concatenates along axis ${axis}`);
  return concatRows(xs);
}

/** The weights of a `TpfrResidualBlock`, as the band-wise residual block takes them. */
export function residualParams(layer: tfl.layers.Layer) {
  const b = layer as ResidualBlock;
  return { ...b.blockWeights(), epsilon: b.epsilon };
}

/** Layer kinds computed band by band, by class name; every other layer runs whole on its assembled inputs. */
export const ROW_KINDS = {
  Conv2D: 'compute',
  Conv2DTranspose: 'compute',
  UpSampling2D: 'compute',
  TpfrResidualBlock: 'compute',
  TpfrReflectionPadding2D: 'view',
  ZeroPadding2D: 'view',
  TpfrInstanceNormalization: 'view',
  ReLU: 'view',
  LeakyReLU: 'view',
  Activation: 'view',
  TpfrChannelSlice: 'view',
  Concatenate: 'view',
} as const;
