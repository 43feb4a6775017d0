import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ShapeError, ValueError, instanceNorm } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';
import type { Kwargs, LayerArgs } from './layer-types.js';
import { reflectionPad } from './reflection-padding.js';
import { registerLayer } from './register.js';

/** Arguments of {@link ResidualBlock}. */
export interface ResidualBlockArgs extends LayerArgs {
  /** Odd convolution size (default 3); the reflection pad is `kernelSize >> 1`. */
  kernelSize?: number;
  /** Convolution biases (default true, as PyTorch's Conv2d). */
  useBias?: boolean;
  /** PReLU slopes: one shared (default, PyTorch's `nn.PReLU()`) or one per channel. */
  preluAlpha?: 'shared' | 'per-channel';
  /** Initial PReLU slope (default 0.25, as PyTorch). */
  preluInit?: number;
  /** Instance-norm epsilon (default 1e-5). */
  epsilon?: number;
}

/**
 * Residual block of the TPFR encoder and decoders (method §2 step 3), channels preserved:
 * `x + IN(conv(pad(PReLU(IN(conv(pad(x)))))))` with reflection padding, k×k convolutions,
 * instance normalization without affine parameters and a PReLU.
 * Input and output `[B, H, W, C]`; weights `conv1/kernel [k, k, C, C]`, `conv1/bias [C]`,
 * `prelu/alpha`, `conv2/kernel`, `conv2/bias`, made here so models track and save them.
 */
export class ResidualBlock extends tfl.layers.Layer {
  /** The name this class is registered and serialized under. */
  static className = 'TpfrResidualBlock';
  readonly kernelSize: number;
  readonly useBias: boolean;
  readonly preluAlpha: 'shared' | 'per-channel';
  readonly preluInit: number;
  readonly epsilon: number;
  private w: Record<string, tfl.LayerVariable> = {};

  constructor(args: ResidualBlockArgs = {}) {
    super(args);
    this.kernelSize = args.kernelSize ?? 3;
    if (!Number.isInteger(this.kernelSize) || this.kernelSize < 1 || this.kernelSize % 2 === 0) {
      throw new ValueError(ResidualBlock.className, 'an odd positive kernelSize', String(args.kernelSize));
    }
    this.useBias = args.useBias ?? true;
    this.preluAlpha = args.preluAlpha ?? 'shared';
    this.preluInit = args.preluInit ?? 0.25;
    this.epsilon = args.epsilon ?? 1e-5;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const s = inputShape as tfl.Shape;
    if (s.length !== 4 || s[3] == null)
      throw new ShapeError(ResidualBlock.className, 'input [B, H, W, C] with known C', `shape ${formatShape(s as number[])}`);
    const c = s[3];
    const k = this.kernelSize;
    for (const name of ['conv1', 'conv2']) {
      this.w[`${name}/kernel`] = this.addWeight(`${name}/kernel`, [k, k, c, c], 'float32', tfl.initializers.glorotUniform({}));
      if (this.useBias) this.w[`${name}/bias`] = this.addWeight(`${name}/bias`, [c], 'float32', tfl.initializers.zeros());
      if (name === 'conv1') {
        this.w['prelu/alpha'] = this.addWeight(
          'prelu/alpha',
          [this.preluAlpha === 'shared' ? 1 : c],
          'float32',
          tfl.initializers.constant({ value: this.preluInit }),
        );
      }
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (inputShape as tfl.Shape).slice();
  }

  /**
   * The block's weights by role (the layer's own tensors): the two convolutions' kernels
   * `[k, k, C, C]` and biases `[C]` (null without `useBias`), and the PReLU slopes `[1]` or `[C]`.
   * For code that computes the block in pieces (band-wise inference).
   */
  blockWeights(): {
    conv1: { kernel: tf.Tensor4D; bias: tf.Tensor1D | null };
    conv2: { kernel: tf.Tensor4D; bias: tf.Tensor1D | null };
    alpha: tf.Tensor1D;
  } {
    const conv = (name: string) => ({
      kernel: this.w[`${name}/kernel`].read() as tf.Tensor4D,
      bias: this.useBias ? (this.w[`${name}/bias`].read() as tf.Tensor1D) : null,
    });
    return { conv1: conv('conv1'), conv2: conv('conv2'), alpha: this.w['prelu/alpha'].read() as tf.Tensor1D };
  }

  /** pad → conv (→ bias) → IN, in a scope of its own: only its result outlives it. */
  private convNorm(x: tf.Tensor4D, name: string): tf.Tensor4D {
    return tf.tidy(() => {
      const p = this.kernelSize >> 1;
      const y = tf.tidy(() => {
        const c = tf.conv2d(reflectionPad(x, p, ResidualBlock.className), this.w[`${name}/kernel`].read() as tf.Tensor4D, 1, 'valid');
        return (this.useBias ? tf.add(c, this.w[`${name}/bias`].read()) : c) as tf.Tensor4D;
      });
      return instanceNorm(y, this.epsilon);
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      if (x.rank !== 4) throw new ShapeError(ResidualBlock.className, 'input of rank 4 [B, H, W, C]', `shape ${formatShape(x.shape)}`);
      // Each map is freed once used (gradient tapes keep their own copies): at most about three
      // maps of x's size exist at a time, not ten.
      const h1 = tf.tidy(() => tf.prelu(this.convNorm(x, 'conv1'), this.w['prelu/alpha'].read()) as tf.Tensor4D);
      const h2 = this.convNorm(h1, 'conv2');
      h1.dispose();
      const out = tf.add(x, h2);
      h2.dispose();
      return out;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      kernelSize: this.kernelSize,
      useBias: this.useBias,
      preluAlpha: this.preluAlpha,
      preluInit: this.preluInit,
      epsilon: this.epsilon,
    };
  }
}
registerLayer(ResidualBlock);

/** Creates a {@link ResidualBlock} for `[B, H, W, C]` inputs. */
export function residualBlock(args: ResidualBlockArgs = {}): ResidualBlock {
  return new ResidualBlock(args);
}
