import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ShapeError, ValueError } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';
import type { Kwargs, LayerArgs } from './layer-types.js';
import { registerLayer } from './register.js';

/** Arguments of {@link ChannelSlice}. */
export interface ChannelSliceArgs extends LayerArgs {
  /** First channel kept. */
  start: number;
  /** Channels kept (default −1: up to the last). */
  size?: number;
}

/**
 * Keeps channels `start … start+size−1` of `[B, H, W, C]` → `[B, H, W, size]`; the encoder
 * uses it to split its output into content, global style and local style.
 */
export class ChannelSlice extends tfl.layers.Layer {
  /** The name this class is registered and serialized under. */
  static className = 'TpfrChannelSlice';
  readonly start: number;
  readonly size: number;

  constructor(args: ChannelSliceArgs) {
    super(args);
    this.start = args?.start ?? 0;
    this.size = args?.size ?? -1;
    if (!Number.isInteger(this.start) || this.start < 0)
      throw new ValueError(ChannelSlice.className, 'start to be an integer >= 0', String(args?.start));
    if (!Number.isInteger(this.size) || (this.size < 1 && this.size !== -1))
      throw new ValueError(ChannelSlice.className, 'size to be a positive integer or -1', String(args?.size));
  }

  private outChannels(c: number | null): number | null {
    if (c == null) return this.size === -1 ? null : this.size;
    const size = this.size === -1 ? c - this.start : this.size;
    if (this.start + size > c || size < 1) {
      throw new ShapeError(ChannelSlice.className, `input [B, H, W, C] with C >= ${this.start + Math.max(size, 1)}`, `C = ${c}`);
    }
    return size;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = inputShape as tfl.Shape;
    return [...s.slice(0, -1), this.outChannels(s[s.length - 1])];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x.rank < 2) throw new ShapeError(ChannelSlice.className, 'input of rank >= 2 [..., C]', `shape ${formatShape(x.shape)}`);
      const c = this.outChannels(x.shape[x.rank - 1]) as number;
      const begin = x.shape.map((_, i) => (i === x.rank - 1 ? this.start : 0));
      const size = x.shape.map((d, i) => (i === x.rank - 1 ? c : d));
      return tf.slice(x, begin, size);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), start: this.start, size: this.size };
  }
}
registerLayer(ChannelSlice);

/** Creates a {@link ChannelSlice} layer. */
export function channelSlice(args: ChannelSliceArgs): ChannelSlice {
  return new ChannelSlice(args);
}
