/** Messages between the page and its worker. */
import type { BackendChoice } from '@tpfr/core';
import type { KernelReport } from './checks.js';
import type { JobControls, JobResult, Pixels } from './job.js';
import type { LiveControls } from './live.js';
import type { ModelInfo } from './model-info.js';

/** The backends the page offers; `'auto'` takes the best available. */
export type PageBackend = 'auto' | 'webgpu' | 'webgl' | 'wasm';

export type ToWorker =
  | { type: 'init'; backend: PageBackend; modelUrl: string }
  | { type: 'stylize'; id: number; content: Pixels; styles: Pixels[]; size: number; controls: JobControls }
  /** The last stylization's codes decoded at another strength (no encoding, no search). */
  | { type: 'restyle'; id: number; strength: number }
  | { type: 'check'; id: number }
  /** Live mode: the exemplars encoded once into a frame stylizer (coherence on). */
  | { type: 'live-start'; id: number; styles: Pixels[]; size: number; controls: LiveControls }
  /** One camera frame (its sides multiples of the network's), transferred. */
  | { type: 'live-frame'; id: number; frame: ImageBitmap; strength: number }
  /** Restart coherence at the next frame and keep the next `frames` frames (inputs, results, graphs) for the check. */
  | { type: 'live-record'; id: number; frames: number }
  | { type: 'live-stop'; id: number }
  /** A model given by the visitor: the authors' checkpoint, or a saved model folder's files. */
  | { type: 'import'; id: number; files: File[] }
  /** Forget the model given (kept in this browser): back to the page's own. */
  | { type: 'forget'; id: number };

/** What the model folder's `about.json` says (written by `scripts/prepare-model.ts`). */
export interface ModelAbout {
  /** `'demo'`: trained by `pnpm demo`; `'authors'`: imported from the authors' checkpoint; `'seeded'`: untrained. */
  source: 'demo' | 'authors' | 'seeded';
  description: string;
}

export type FromWorker =
  | {
      type: 'ready';
      choice: BackendChoice;
      model: ModelInfo;
      config: Record<string, unknown>;
      multiple: number;
      loadMs: number;
      note: string;
    }
  /** The model now running (after an import or a forget); `note` says what did not work besides. */
  | { type: 'model'; id: number; info: ModelInfo; note?: string }
  | { type: 'progress'; id: number; step: number; steps: number; name: string }
  | { type: 'result'; id: number; result: JobResult; totalMs: number }
  | { type: 'restyled'; id: number; strength: number; output: Float32Array; ms: number }
  | { type: 'checked'; id: number; report: KernelReport }
  | { type: 'live-started'; id: number; exemplars: Pixels[]; tensorsBefore: number }
  | { type: 'live-frame'; id: number; rgba: Uint8ClampedArray<ArrayBuffer>; width: number; height: number; ms: number }
  | { type: 'live-recorded'; id: number; frames: RecordedFrame[] }
  | { type: 'live-stopped'; id: number; tensorsBefore: number; tensorsAfter: number }
  | { type: 'error'; id?: number; message: string };

/** A frame kept for the check: what went in, what came out (0–255), the neighbours, the strength. */
export interface RecordedFrame {
  input: Pixels;
  output: Float32Array;
  graph: Int32Array[][];
  strength: number;
}
