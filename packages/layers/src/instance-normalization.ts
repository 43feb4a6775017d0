import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ShapeError, instanceNorm } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';
import type { Kwargs, LayerArgs } from './layer-types.js';
import { registerLayer } from './register.js';

/** Arguments of {@link InstanceNormalization}. */
export interface InstanceNormalizationArgs extends LayerArgs {
  /** Added to the variance (default 1e-5, as PyTorch's `InstanceNorm2d`). */
  epsilon?: number;
  /** Learn a per-channel scale γ and offset β (default false, as the TPFR networks). */
  affine?: boolean;
}

/**
 * Instance normalization: each image and channel of `[B, H, W, C]` is normalised over H×W,
 * `(x − mean) / sqrt(var + ε)` (biased variance), then `· γ + β` when `affine`. No running
 * statistics: training and inference compute the same thing. On a 1×1 map the output is 0.
 */
export class InstanceNormalization extends tfl.layers.Layer {
  /** The name this class is registered and serialized under. */
  static className = 'TpfrInstanceNormalization';
  readonly epsilon: number;
  readonly affine: boolean;
  private gamma: tfl.LayerVariable | null = null;
  private beta: tfl.LayerVariable | null = null;

  constructor(args: InstanceNormalizationArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-5;
    this.affine = args.affine ?? false;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const s = inputShape as tfl.Shape;
    if (s.length !== 4 || s[3] == null) {
      throw new ShapeError(InstanceNormalization.className, 'input [B, H, W, C] with known C', `shape ${formatShape(s as number[])}`);
    }
    if (this.affine) {
      this.gamma = this.addWeight('gamma', [s[3]], 'float32', tfl.initializers.ones());
      this.beta = this.addWeight('beta', [s[3]], 'float32', tfl.initializers.zeros());
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (inputShape as tfl.Shape).slice();
  }

  /**
   * The scale γ `[C]` and offset β `[C]` (the layer's own tensors), or nulls without `affine`: for
   * code that computes the normalization in pieces (band-wise inference).
   */
  affineWeights(): { gamma: tf.Tensor1D | null; beta: tf.Tensor1D | null } {
    return { gamma: (this.gamma?.read() as tf.Tensor1D | undefined) ?? null, beta: (this.beta?.read() as tf.Tensor1D | undefined) ?? null };
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      if (x.rank !== 4)
        throw new ShapeError(InstanceNormalization.className, 'input of rank 4 [B, H, W, C]', `shape ${formatShape(x.shape)}`);
      return instanceNorm(x, this.epsilon, this.gamma?.read(), this.beta?.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, affine: this.affine };
  }
}
registerLayer(InstanceNormalization);

/** Creates an {@link InstanceNormalization} layer for `[B, H, W, C]` inputs. */
export function instanceNormalization(args: InstanceNormalizationArgs = {}): InstanceNormalization {
  return new InstanceNormalization(args);
}
