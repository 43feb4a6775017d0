/** The page's images as plain data (no tfjs: the page's main thread imports it). */

/** 8-bit RGB pixels, row-major `[height, width, 3]`. */
export interface Pixels {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray | number[];
}

/** A mask: one level 0–255 per pixel, row-major `[height, width]` (255 where its style applies). */
export interface MaskPixels {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray | number[];
}
