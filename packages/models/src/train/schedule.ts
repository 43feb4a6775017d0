/**
 * The learning rate at step `step` (0-based) of the authors' schedule: constant until
 * `decayFrom`, then falling linearly to zero at `steps`.
 */
export function learningRateAt(o: { learningRate: number; decayFrom: number; steps: number }, step: number): number {
  if (step < o.decayFrom) return o.learningRate;
  return o.learningRate * Math.max(0, (o.steps - step) / Math.max(1, o.steps - o.decayFrom));
}
