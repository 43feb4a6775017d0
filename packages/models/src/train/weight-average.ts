import * as tf from '@tensorflow/tfjs-core';

/**
 * An exponential moving average of a list of variables (the generator's weights in training).
 * The t-th update uses `d = min(decay, (1 + t) / (10 + t))`: `avg ← avg + (1 − d)·(w − avg)`.
 */
export class WeightAverage {
  private averages: tf.Variable[] = [];
  private updates = 0;

  constructor(readonly decay: number) {}

  /** Updates seen so far. */
  get count(): number {
    return this.updates;
  }

  /** The averaged values, in the order of the variables given to {@link update} (not copies). */
  get values(): readonly tf.Variable[] {
    return this.averages;
  }

  /** One update from the current `vars` (nothing when the decay is 0). */
  update(vars: tf.Variable[]): void {
    if (!(this.decay > 0)) return;
    const t = this.updates++;
    const d = Math.min(this.decay, (1 + t) / (10 + t));
    if (this.averages.length === 0) {
      this.averages = vars.map((v) => tf.variable(v, false));
      return;
    }
    tf.tidy(() => {
      const rate = tf.scalar(1 - d);
      vars.forEach((v, i) => this.averages[i].assign(tf.add(this.averages[i], tf.mul(tf.sub(v, this.averages[i]), rate))));
    });
  }

  /** Copies the average into `vars`; false (nothing changed) when there is none yet. */
  applyTo(vars: tf.Variable[]): boolean {
    if (this.averages.length === 0) return false;
    vars.forEach((v, i) => v.assign(this.averages[i]));
    return true;
  }

  /** Restores a saved average (the tensors are copied) and its update count. */
  restore(values: tf.Tensor[], count: number): void {
    this.dispose();
    this.averages = values.map((v) => tf.variable(v, false));
    this.updates = count;
  }

  dispose(): void {
    tf.dispose(this.averages);
    this.averages = [];
  }
}
