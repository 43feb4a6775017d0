import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ShapeError, ValueError } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';
import type { Kwargs, LayerArgs } from './layer-types.js';
import { registerLayer } from './register.js';

/** Padding: one size for all four sides, `[height, width]`, or `[[top, bottom], [left, right]]`. */
export type Padding2D = number | [number, number] | [[number, number], [number, number]];

/** Arguments of {@link ReflectionPadding2D}. */
export interface ReflectionPadding2DArgs extends LayerArgs {
  /** Rows and columns to add by reflection (default 1). Each must be smaller than that side. */
  padding?: Padding2D;
}

function normalizePadding(p: Padding2D): [[number, number], [number, number]] {
  const n =
    typeof p === 'number'
      ? [
          [p, p],
          [p, p],
        ]
      : typeof p[0] === 'number'
        ? [
            [p[0], p[0]],
            [p[1] as number, p[1] as number],
          ]
        : (p as [[number, number], [number, number]]);
  for (const v of n.flat()) {
    if (!Number.isInteger(v) || v < 0)
      throw new ValueError(ReflectionPadding2D.className, 'padding of non-negative integers', JSON.stringify(p));
  }
  return n as [[number, number], [number, number]];
}

/**
 * Reflection padding of `[B, H, W, C]` (PyTorch's `ReflectionPad2d`, edge not repeated):
 * output `[B, H + top + bottom, W + left + right, C]`. Each pad must be < that side's size.
 */
export class ReflectionPadding2D extends tfl.layers.Layer {
  /** The name this class is registered and serialized under. */
  static className = 'TpfrReflectionPadding2D';
  readonly padding: [[number, number], [number, number]];

  constructor(args: ReflectionPadding2DArgs = {}) {
    super(args);
    this.padding = normalizePadding(args.padding ?? 1);
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = inputShape as tfl.Shape;
    const [[t, b], [l, r]] = this.padding;
    return [s[0], s[1] == null ? null : s[1] + t + b, s[2] == null ? null : s[2] + l + r, s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      return reflectionPad(x, this.padding, ReflectionPadding2D.className);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding.map((p) => [...p]) };
  }
}
registerLayer(ReflectionPadding2D);

/**
 * Reflection padding as a function: `x [B, H, W, C]` → `[B, H+t+b, W+l+r, C]`.
 * @throws ShapeError when a pad is not smaller than its side.
 */
export function reflectionPad(x: tf.Tensor4D, padding: Padding2D, fn = 'reflectionPad'): tf.Tensor4D {
  const [[t, b], [l, r]] = normalizePadding(padding);
  if (x.rank !== 4) throw new ShapeError(fn, 'input of rank 4 [B, H, W, C]', `shape ${formatShape(x.shape)}`);
  const [, h, w] = x.shape;
  if (Math.max(t, b) >= h || Math.max(l, r) >= w) {
    throw new ShapeError(
      fn,
      `input [B, H, W, C] with H > ${Math.max(t, b)} and W > ${Math.max(l, r)} for reflection padding`,
      `shape ${formatShape(x.shape)}`,
    );
  }
  if (t + b + l + r === 0) return tf.clone(x);
  return tf.mirrorPad(
    x,
    [
      [0, 0],
      [t, b],
      [l, r],
      [0, 0],
    ],
    'reflect',
  );
}

/** Creates a {@link ReflectionPadding2D} layer. */
export function reflectionPadding2d(args: ReflectionPadding2DArgs = {}): ReflectionPadding2D {
  return new ReflectionPadding2D(args);
}
