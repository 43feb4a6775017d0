/**
 * The page's live mode, as plain functions on tfjs tensors: the exemplars encoded once into a
 * frame stylizer (`createStylizer`, coherence on), then one frame after another. The same code
 * runs in the page's worker (frames from the camera) and in the Node check (the page's frames
 * again, its neighbour graphs replayed).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createStylizer, type Stylizer, type TpfrModel } from '@tpfr/models';
import { centerCrop, resizeShorterSide } from '@tpfr/models/pipeline';
import { levels, type JobControls } from './job.js';
import type { Pixels } from './pixels.js';

/** The controls of a live session (regions apply to still images). */
export type LiveControls = Omit<JobControls, 'masks'>;

/** One stylized frame. */
export interface LiveResult {
  /** The result `[H, W, 3]`, 0–255 (clipped, not rounded). */
  output: Float32Array;
  width: number;
  height: number;
  /** Per style taking part, per stage: the neighbours `[h, w, k]` (when asked for). */
  graph?: Int32Array[][];
  /** Milliseconds from the frame in to its result read back. */
  ms: number;
}

/** A frame's size for a camera of `width × height`: the shorter side `size`, both sides cut to the network's `multiple`. */
export function frameSize(width: number, height: number, size: number, multiple: number): { width: number; height: number } {
  const f = size / Math.min(width, height);
  const cut = (v: number) => Math.max(multiple, Math.floor(Math.round(v * f) / multiple) * multiple);
  return { width: cut(width), height: cut(height) };
}

/** Options of {@link LiveSession.create}. */
export interface LiveOptions {
  /** Working size S: the exemplars are S × S (frames come at their own size, see {@link frameSize}). */
  size: number;
  controls: LiveControls;
  /** Coherence between frames (default true: the library's defaults). */
  coherence?: boolean;
}

/** A stylizer for the frames of a camera: the exemplars encoded once. */
export class LiveSession {
  private constructor(
    private readonly stylizer: Stylizer,
    /** The exemplars as the network saw them: S × S, 8-bit RGB. */
    readonly exemplars: Pixels[],
    readonly options: LiveOptions,
  ) {}

  /** Prepares the exemplars (resized and centre-cropped to S × S) and encodes them into a stylizer. */
  static async create(model: TpfrModel, styles: Pixels[], options: LiveOptions): Promise<LiveSession> {
    if (styles.length === 0) throw new Error('live: expected at least one style image, received none');
    const { size, controls } = options;
    const m = model.widths.multiple;
    if (!Number.isInteger(size) || size < model.widths.minSide)
      throw new Error(`live: expected a working size ≥ ${model.widths.minSide}, received ${size}`);
    const exemplars = tf.tidy(() => styles.map((s) => centerCrop(resizeShorterSide(levels(s), size), size - (size % m))));
    try {
      const perStyle = controls.styleWeights !== undefined;
      const stylizer = createStylizer(model, perStyle ? exemplars.map((e) => [e]) : exemplars, {
        range: '0-255',
        strength: controls.strength,
        styleWeights: controls.styleWeights,
        preserveColor: controls.preserveColor,
        coherence: options.coherence ?? true,
        inspect: true,
      });
      const pixels = await Promise.all(
        exemplars.map(async (e) => ({ width: e.shape[1], height: e.shape[0], data: Uint8Array.from(await e.data()) })),
      );
      return new LiveSession(stylizer, pixels, options);
    } finally {
      tf.dispose(exemplars);
    }
  }

  /**
   * Stylizes one frame (8-bit RGB, its sides multiples of the network's): `strength` for this
   * frame, `neighbours` to replay (per style, per stage, as `graph` returns them), `graph` to read
   * this frame's neighbours back.
   */
  async frame(input: Pixels, opts: { strength?: number; neighbours?: Int32Array[][]; graph?: boolean } = {}): Promise<LiveResult> {
    const t0 = performance.now();
    const x = levels(input);
    const given = opts.neighbours && this.graphTensors(opts.neighbours, x.shape[0], x.shape[1]);
    let y: tf.Tensor3D;
    try {
      y = this.stylizer.stylize(x, { strength: opts.strength, neighbours: given });
    } finally {
      x.dispose();
      if (given) tf.dispose(given.flat());
    }
    const output = (await y.data()) as Float32Array;
    y.dispose();
    const graph = opts.graph ? await this.readGraph() : undefined;
    return { output, width: input.width, height: input.height, graph, ms: performance.now() - t0 };
  }

  /** Forgets the previous frames: the next one starts afresh (no coherence with what came before). */
  reset(): void {
    this.stylizer.reset();
  }

  dispose(): void {
    this.stylizer.dispose();
  }

  private graphTensors(neighbours: Int32Array[][], height: number, width: number): tf.Tensor[][] {
    const scale = this.stylizer.model.widths.multiple;
    const [h, w] = [height / scale, width / scale];
    return neighbours.map((stages) => stages.map((ix) => tf.tensor4d(ix, [1, h, w, ix.length / (h * w)], 'int32')));
  }

  private async readGraph(): Promise<Int32Array[][]> {
    const g = this.stylizer.lastGraph;
    if (!g) return [];
    const out: Int32Array[][] = [];
    for (const { graph } of g.styles) out.push(await Promise.all(graph.indices.map(async (t) => (await t.data()) as Int32Array)));
    return out;
  }
}
