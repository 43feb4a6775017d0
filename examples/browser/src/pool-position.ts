/** The latent map's geometry (no tfjs here: the page's main thread imports it). */
export interface LatentGeometry {
  /** The result's latent map `[height, width]`. */
  height: number;
  width: number;
  /** P exemplars, each a latent map `[exemplarHeight, exemplarWidth]`. */
  exemplars: number;
  exemplarHeight: number;
  exemplarWidth: number;
  /** Neighbours per pixel. */
  k: number;
  /** Image pixels per latent pixel, along each side (2^downsamplings). */
  scale: number;
}

/** Where a pool row (a neighbour index) lies: exemplar, and its pixel in the latent map. */
export function poolPosition(index: number, latent: LatentGeometry): { exemplar: number; row: number; col: number } {
  const per = latent.exemplarHeight * latent.exemplarWidth;
  const exemplar = Math.floor(index / per);
  const r = index - exemplar * per;
  return { exemplar, row: Math.floor(r / latent.exemplarWidth), col: r % latent.exemplarWidth };
}
