/** What the page says about the model it runs (no tfjs: the page's main thread imports it). */

/** The model the worker runs, and where it came from. */
export interface ModelInfo {
  /** `'served'`: the page's own model folder; `'checkpoint'`: a PyTorch checkpoint given here; `'folder'`: a saved model folder's files given here. */
  source: 'served' | 'checkpoint' | 'folder';
  /** The file(s) it came from, or the served folder's description. */
  name: string;
  /** The checkpoint's format (`'legacy'` or `'zip'`), for a checkpoint. */
  format?: string;
  ngf: number;
  /** The generator's parameters (as PyTorch counts them). */
  parameters: number;
  /** Milliseconds to read and import it (or load it). */
  importMs: number;
  /** Whether it came from this browser's storage (given on an earlier visit). */
  fromStorage: boolean;
  /** Whether it is kept in this browser for the next visit. */
  stored: boolean;
  /** Memory of the import (checkpoints), see {@link ImportMemory}. */
  memory?: ImportMemory;
}

/**
 * What the import held at once, measured in the worker: the bytes it referenced (the file's
 * buffer, the checkpoint's typed arrays) plus the tensors tfjs allocated (its `numBytes`, sampled
 * after every kernel with `tf.profile`), at their largest.
 */
export interface ImportMemory {
  /** The file's size. */
  fileBytes: number;
  /** The checkpoint's tensors, copied out of the file. */
  checkpointBytes: number;
  /** One copy of the generator's weights (4 bytes per parameter). */
  weightBytes: number;
  /** The largest sum at once. */
  peakBytes: number;
  /** `peakBytes / weightBytes`. */
  copies: number;
  /** The worker's JS heap (`performance.memory.usedJSHeapSize`) after the import, where the browser gives it. */
  jsHeapBytes?: number;
}

const MiB = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** One line about the model, for the page. */
export function describeModel(m: ModelInfo): string {
  const what =
    m.source === 'served'
      ? `the page's own model (${m.name})`
      : m.source === 'checkpoint'
        ? `the authors' generator from ${m.name} (PyTorch ${m.format} checkpoint)`
        : `the saved model ${m.name}`;
  const how = m.source === 'served' ? `loaded in ${Math.round(m.importMs)} ms` : `imported in ${Math.round(m.importMs)} ms`;
  const kept =
    m.source === 'served'
      ? ''
      : m.fromStorage
        ? '; kept in this browser from an earlier visit'
        : m.stored
          ? '; kept in this browser for the next visit'
          : '';
  const memory = m.memory
    ? `; the import held at most ${MiB(m.memory.peakBytes)} at once (${m.memory.copies.toFixed(2)} copies of its ${MiB(m.memory.weightBytes)} of weights)`
    : '';
  return `Running ${what}: ngf ${m.ngf}, ${m.parameters.toLocaleString('en')} parameters, ${how}${memory}${kept}.`;
}
