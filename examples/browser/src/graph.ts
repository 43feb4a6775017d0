/** The neighbour graphs of a stylization, as plain data (no tfjs: the page's main thread imports it). */

/** One stage's k neighbours of every pixel of the latent map. */
export interface StageAttention {
  /** `[h, w, k]` row-major: rows of the style's pool (exemplar, then row, then column). */
  indices: Int32Array;
  /** `[h, w, k]`: their attention weights (they sum to 1 over k). */
  weights: Float32Array;
}

/** The graph of one style that took part. */
export interface StyleGraph {
  /** The style's index among the style entries (0 for one pool of every image). */
  style: number;
  /** The style images of its pool, in pool order: a pool exemplar `e` is style image `images[e]`. */
  images: number[];
  /** Stage 1 (style recombined on the content graph) and stage 2 (content on the new style). */
  stages: StageAttention[];
}

/** Every style's graph, and how the styles were mixed. */
export interface JobGraph {
  styles: StyleGraph[];
  /**
   * The styles' weights: one number per style taking part (weights), per latent pixel
   * (`data` `[S, h, w]` row-major for the S styles taking part: regions), or null (one pool).
   */
  mix: number[] | { data: Float32Array; styles: number } | null;
}

/** The mix weight of the `s`-th style taking part at latent pixel `row·w + col` (1 for one pool). */
export function mixAt(graph: JobGraph, s: number, pixel: number, pixels: number): number {
  const m = graph.mix;
  if (m === null) return 1;
  if (Array.isArray(m)) return m[s] ?? 0;
  return m.data[s * pixels + pixel];
}
