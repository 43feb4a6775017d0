import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ShapeError, ValueError, instanceNorm } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';
import type { Kwargs, LayerArgs } from './layer-types.js';
import { registerLayer } from './register.js';

/** Arguments of {@link GlobalStyle}. */
export interface GlobalStyleArgs extends LayerArgs {
  /** Output channels of every convolution (default: the input's channels, 256 in TPFR). */
  filters?: number;
  /** Number of `[conv → IN → ReLU]` steps (default 3). */
  numConvs?: number;
  /** Convolution size (default 3), zero-padded by `kernelSize >> 1` as PyTorch's `padding=1`. */
  kernelSize?: number;
  /** Convolution stride (default 2). */
  strides?: number;
  /** Instance-norm epsilon (default 1e-5). */
  epsilon?: number;
  /**
   * Instance norm after each convolution (default true, as the authors). Without it the branch
   * also works on small latents, where the last map is 1×1 and instance norm would output zeros.
   */
  normalize?: boolean;
}

/**
 * The global-style branch of the TPFR encoder (method §1): `numConvs × [conv k×k stride s
 * (zero padding k>>1) → instance norm (unless `normalize: false`) → ReLU]`, a spatial mean to
 * one vector per image, and that vector broadcast back to every pixel of the input. Input
 * `[B, H, W, C]`, output `[B, H, W, filters]`, constant over H×W. With instance norm, the latent
 * must be at least 8×8 for three stride-2 convolutions to leave more than one pixel to normalise
 * (a 1×1 map normalises to 0).
 */
export class GlobalStyle extends tfl.layers.Layer {
  /** The name this class is registered and serialized under. */
  static className = 'TpfrGlobalStyle';
  readonly filters?: number;
  readonly numConvs: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly epsilon: number;
  readonly normalize: boolean;
  private kernels: tfl.LayerVariable[] = [];
  private biases: tfl.LayerVariable[] = [];

  constructor(args: GlobalStyleArgs = {}) {
    super(args);
    this.filters = args.filters;
    this.numConvs = args.numConvs ?? 3;
    this.kernelSize = args.kernelSize ?? 3;
    this.strides = args.strides ?? 2;
    this.epsilon = args.epsilon ?? 1e-5;
    this.normalize = args.normalize ?? true;
    for (const [name, v, min] of [
      ['numConvs', this.numConvs, 1],
      ['kernelSize', this.kernelSize, 1],
      ['strides', this.strides, 1],
    ] as const) {
      if (!Number.isInteger(v) || v < min) throw new ValueError(GlobalStyle.className, `${name} to be an integer >= ${min}`, String(v));
    }
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const s = inputShape as tfl.Shape;
    if (s.length !== 4 || s[3] == null)
      throw new ShapeError(GlobalStyle.className, 'input [B, H, W, C] with known C', `shape ${formatShape(s as number[])}`);
    const f = this.filters ?? s[3];
    let cin = s[3];
    for (let i = 0; i < this.numConvs; i++) {
      this.kernels.push(
        this.addWeight(`conv${i + 1}/kernel`, [this.kernelSize, this.kernelSize, cin, f], 'float32', tfl.initializers.glorotUniform({})),
      );
      this.biases.push(this.addWeight(`conv${i + 1}/bias`, [f], 'float32', tfl.initializers.zeros()));
      cin = f;
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = inputShape as tfl.Shape;
    return [s[0], s[1], s[2], this.filters ?? s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      if (x.rank !== 4) throw new ShapeError(GlobalStyle.className, 'input of rank 4 [B, H, W, C]', `shape ${formatShape(x.shape)}`);
      const [, h, w] = x.shape;
      const p = this.kernelSize >> 1;
      let y: tf.Tensor4D = x;
      for (let i = 0; i < this.numConvs; i++) {
        const padded =
          p > 0
            ? tf.pad(y, [
                [0, 0],
                [p, p],
                [p, p],
                [0, 0],
              ])
            : y;
        const conv = tf.add(
          tf.conv2d(padded, this.kernels[i].read() as tf.Tensor4D, this.strides, 'valid'),
          this.biases[i].read(),
        ) as tf.Tensor4D;
        y = tf.relu(this.normalize ? instanceNorm(conv, this.epsilon) : conv);
      }
      const v = tf.mean(y, [1, 2], true);
      // Broadcast to every pixel (v + 0 is v exactly; far faster than tf.tile on wasm).
      return tf.add(tf.zeros([x.shape[0], h, w, 1]), v);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const c: tf.serialization.ConfigDict = {
      numConvs: this.numConvs,
      kernelSize: this.kernelSize,
      strides: this.strides,
      epsilon: this.epsilon,
      normalize: this.normalize,
    };
    if (this.filters != null) c.filters = this.filters;
    return { ...super.getConfig(), ...c };
  }
}
registerLayer(GlobalStyle);

/** Creates a {@link GlobalStyle} branch for `[B, H, W, C]` inputs. */
export function globalStyle(args: GlobalStyleArgs = {}): GlobalStyle {
  return new GlobalStyle(args);
}
