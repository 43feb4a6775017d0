import { tapeState } from './tape-state.js';

/**
 * Frees what a gradient computation that threw left on tfjs' tape: the tensors each op kept for
 * its backward pass (tfjs frees them only at the end of a backward pass that ran, so a forward pass
 * that fails leaks them all). Call it after catching an error thrown from `tf.grads`,
 * `tf.variableGrads` or an optimizer's `minimize`, outside any of them. Returns the tensors freed;
 * does nothing (0) while a gradient computation is still running.
 */
export function releaseAbandonedTape(): number {
  const state = tapeState();
  if (state.gradientDepth > 0 || state.activeTape == null) return 0;
  let freed = 0;
  for (const node of state.activeTape) {
    for (const t of node.saved ?? []) {
      if (!t.isDisposed) {
        t.dispose();
        freed++;
      }
    }
  }
  state.activeTape = null;
  return freed;
}
