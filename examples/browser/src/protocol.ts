/** Messages between the page and its worker. */
import type { BackendChoice } from '@tpfr/core';
import type { KernelReport } from './checks.js';
import type { JobControls, JobResult, Pixels } from './job.js';

/** The backends the page offers; `'auto'` takes the best available. */
export type PageBackend = 'auto' | 'webgpu' | 'webgl' | 'wasm';

export type ToWorker =
  | { type: 'init'; backend: PageBackend; modelUrl: string }
  | { type: 'stylize'; id: number; content: Pixels; styles: Pixels[]; size: number; controls: JobControls }
  /** The last stylization's codes decoded at another strength (no encoding, no search). */
  | { type: 'restyle'; id: number; strength: number }
  | { type: 'check'; id: number };

/** What the model folder's `about.json` says (written by `scripts/prepare-model.ts`). */
export interface ModelAbout {
  /** `'demo'`: trained by `pnpm demo`; `'authors'`: imported from the authors' checkpoint; `'seeded'`: untrained. */
  source: 'demo' | 'authors' | 'seeded';
  description: string;
}

export type FromWorker =
  | { type: 'ready'; choice: BackendChoice; about: ModelAbout; config: Record<string, unknown>; loadMs: number }
  | { type: 'progress'; id: number; step: number; steps: number; name: string }
  | { type: 'result'; id: number; result: JobResult; totalMs: number }
  | { type: 'restyled'; id: number; strength: number; output: Float32Array; ms: number }
  | { type: 'checked'; id: number; report: KernelReport }
  | { type: 'error'; id?: number; message: string };
