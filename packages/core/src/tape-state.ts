import * as tf from '@tensorflow/tfjs-core';

/** The part of tfjs' engine state that gradient computations use (not in its public types). */
export interface TapeState {
  /** Gradient computations running (`tf.grads`, `variableGrads`, an optimizer's `minimize`): ops are recorded while above 0. */
  gradientDepth: number;
  /** The ops recorded, each with the tensors it saved for its backward pass. */
  activeTape: { saved?: tf.Tensor[] }[] | null;
}

/** tfjs' engine state, as {@link TapeState} sees it. */
export const tapeState = (): TapeState => (tf.engine() as unknown as { state: TapeState }).state;
