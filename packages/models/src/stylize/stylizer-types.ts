/** The public types of the frame stylizer ({@link createStylizer}). */
import type * as tf from '@tensorflow/tfjs-core';
import type { NeighbourGraph, TpfrModel } from '../model/model.js';
import type { StylizeOptions } from './options.js';

/** Temporal coherence between the frames of a {@link Stylizer}. */
export interface CoherenceOptions {
  /** A pixel keeps last frame's neighbours while they are within `(1 + margin)` of its new k-th distance (default 0.05). */
  margin?: number;
  /**
   * Where the input is still (default 6): a latent pixel whose block of input pixels differs from
   * the block its codes were last computed on by at most this much (root mean square, in levels of
   * 255: sensor noise, not motion) keeps those codes; 0 turns the hold off.
   */
  stillness?: number;
}

/** The defaults of {@link CoherenceOptions}. */
export const DEFAULT_COHERENCE: Required<CoherenceOptions> = { margin: 0.05, stillness: 6 };

/** Options of {@link createStylizer}: those of `stylize`, and the frames' coherence. */
export interface StylizerOptions extends Omit<StylizeOptions, 'onMemoryEstimate'> {
  /**
   * Temporal coherence between frames (default `true`, with `margin` 0.05 and `stillness` 6): hysteresis
   * on each pixel's neighbour sets, and last frame's codes blended in where the content did not
   * change. `false`: every frame exactly as `stylize` would stylize it alone.
   */
  coherence?: boolean | CoherenceOptions;
  /** Keep the last frame's neighbour graphs for inspection ({@link Stylizer.lastGraph}; default false). */
  inspect?: boolean;
}

/** Options of one frame of {@link Stylizer.stylize}. */
export interface StylizeFrameOptions {
  /** How strongly to stylize this frame, in [0, 1] (default: the stylizer's `strength`). */
  strength?: number;
  /**
   * Neighbour graphs to replay instead of searching: per style that takes part, in the order of
   * {@link StylizerGraph.styles}, each stage's neighbours `[B, h, w, k]` (int32, rows of that
   * style's pool), as {@link Stylizer.lastGraph} gives them. The attention, mixing, coherence's
   * hold of still regions and decoding run as usual on them (no hysteresis: the graph is given),
   * so a frame stylized on one backend can be rendered on another and the two results compared
   * where near-ties of distances would otherwise pick other neighbours. Not freed by the stylizer.
   */
  neighbours?: tf.Tensor[][];
}

/** The last frame's neighbour graphs, per style (see {@link StylizerOptions.inspect}). */
export interface StylizerGraph {
  /** Per style that took part (its index among the styles), each stage's neighbours and weights `[B, h, w, k]`. */
  styles: { style: number; graph: NeighbourGraph }[];
  /** How the styles were mixed: one weight per style taking part, or per latent pixel `[S, h, w, 1]` (regions); null for one pool. */
  mix: number[] | tf.Tensor4D | null;
}

/**
 * Stylizes many images or frames with the same exemplars: they are encoded once (at creation,
 * or on the first frame with `preserveColor: 'histogram'`, which matches them to it), and each
 * frame costs one content encoding, the neighbour searches and one decoding. Every control of
 * `stylize` applies. Frames are kept coherent by default (see {@link StylizerOptions.coherence});
 * without coherence each result equals `stylize`'s.
 */
export interface Stylizer {
  /** The model it runs. */
  readonly model: TpfrModel;
  /**
   * Stylizes one image or frame `[H, W, 3]` (or a batch `[B, H, W, 3]`), in the range the options
   * say; returns the result in the frame's range and rank. `strength` overrides the options' for
   * this frame; `neighbours` replays graphs instead of searching (see {@link StylizeFrameOptions}).
   */
  stylize(frame: tf.Tensor3D, opts?: StylizeFrameOptions): tf.Tensor3D;
  stylize(frame: tf.Tensor4D, opts?: StylizeFrameOptions): tf.Tensor4D;
  stylize(frame: tf.Tensor3D | tf.Tensor4D, opts?: StylizeFrameOptions): tf.Tensor3D | tf.Tensor4D;
  /** The last frame again at another strength: one decoding, no encoding and no search (a strength slider). */
  restyle(strength: number): tf.Tensor3D | tf.Tensor4D;
  /** The last frame's neighbour graphs (with `inspect`), or null. Owned by the stylizer: valid until the next frame. */
  readonly lastGraph: StylizerGraph | null;
  /** Forgets the previous frame: the next one starts afresh (no coherence with what came before; histogram colours matched again). */
  reset(): void;
  /** Frees everything it holds (the exemplars' codes too, unless they were given encoded). */
  dispose(): void;
}
