/**
 * The GPU run's guards: each measurement runs on its own, inside a tfjs scope (its tensors freed
 * even when it throws), and a failure (an out-of-memory error, a lost device) prints an error line
 * and lets the next one run; a time budget over the whole run skips what would start after it.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

/** One JSON line of the GPU run: `{"bench":"gpu","what":…,…}`. */
export type GpuLine = { bench: 'gpu'; what: string } & Record<string, unknown>;

/**
 * Prints one JSON line to stdout, and appends it to `$OUT/gpu.jsonl` when `OUT` is set (the GPU
 * machine sends back what is written there).
 */
export function printGpuLine(what: string, fields: Record<string, unknown>): GpuLine {
  const line: GpuLine = { bench: 'gpu', what, ...fields };
  const text = `${JSON.stringify(line)}\n`;
  process.stdout.write(text);
  if (process.env.OUT) appendFileSync(join(process.env.OUT, 'gpu.jsonl'), text);
  return line;
}

/** The error of a measurement as one short string. */
export function describeError(e: unknown): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** A time budget over the whole run, in milliseconds from its creation. */
export class RunBudget {
  private readonly start = performance.now();
  constructor(readonly budgetMs: number) {}
  /** Milliseconds since the run started. */
  elapsedMs(): number {
    return performance.now() - this.start;
  }
  /** Whether there is time left to start another measurement. */
  hasTimeLeft(): boolean {
    return this.elapsedMs() < this.budgetMs;
  }
}

/**
 * Runs one measurement: skipped (a line with `skipped`) when the budget is spent; otherwise its
 * fields printed as one line, or its error as one line with `error`. Never throws.
 */
export async function guarded(
  budget: RunBudget,
  what: string,
  label: Record<string, unknown>,
  measure: () => Promise<Record<string, unknown>>,
): Promise<GpuLine> {
  if (!budget.hasTimeLeft())
    return printGpuLine(what, { ...label, skipped: `the run's time budget (${budget.budgetMs / 1000} s) is spent` });
  tf.engine().startScope();
  try {
    return printGpuLine(what, { ...label, ...(await measure()) });
  } catch (e) {
    return printGpuLine(what, { ...label, error: describeError(e) });
  } finally {
    try {
      tf.engine().endScope();
    } catch {
      // A lost device may refuse to free; the next measurement reports its own state.
    }
  }
}
