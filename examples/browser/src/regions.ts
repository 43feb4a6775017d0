/**
 * The regions of the painter as data (no DOM, no tfjs): one coverage layer per style image
 * (0–255 per pixel), painted with a brush or loaded from a mask image, and the masks they give the
 * stylizer. Where no style is painted, every style applies (mixed by the weights).
 */
import type { MaskPixels } from './pixels.js';

/** The layers of a painter `width × height`, one per style. */
export interface Regions {
  width: number;
  height: number;
  layers: Uint8Array[];
}

/** Empty layers for `styles` styles. */
export function emptyRegions(width: number, height: number, styles: number): Regions {
  return { width, height, layers: Array.from({ length: styles }, () => new Uint8Array(width * height)) };
}

/** Whether any style is painted anywhere. */
export function isPainted(r: Regions): boolean {
  return r.layers.some((l) => l.some((v) => v > 0));
}

/** A disc of radius `radius` at (x, y) painted with style `style`: that style 255, the others 0. */
export function paintDisc(r: Regions, style: number, x: number, y: number, radius: number): void {
  if (!(style >= 0 && style < r.layers.length)) throw new Error(`paintDisc: expected a style 1–${r.layers.length}, received ${style + 1}`);
  const r2 = radius * radius;
  for (let py = Math.max(0, Math.floor(y - radius)); py <= Math.min(r.height - 1, Math.ceil(y + radius)); py++) {
    for (let px = Math.max(0, Math.floor(x - radius)); px <= Math.min(r.width - 1, Math.ceil(x + radius)); px++) {
      if ((px - x) ** 2 + (py - y) ** 2 > r2) continue;
      const i = py * r.width + px;
      r.layers.forEach((l, s) => {
        l[i] = s === style ? 255 : 0;
      });
    }
  }
}

/** A stroke from (x0, y0) to (x1, y1): discs every half radius. */
export function paintStroke(r: Regions, style: number, x0: number, y0: number, x1: number, y1: number, radius: number): void {
  const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / Math.max(0.5, radius / 2)));
  for (let i = 0; i <= steps; i++) paintDisc(r, style, x0 + ((x1 - x0) * i) / steps, y0 + ((y1 - y0) * i) / steps, radius);
}

/** Style `style`'s layer replaced by a mask image's levels (already at the painter's size). */
export function loadLayer(r: Regions, style: number, mask: MaskPixels): void {
  if (mask.width !== r.width || mask.height !== r.height || mask.data.length !== r.width * r.height)
    throw new Error(
      `loadLayer: expected a mask of ${r.width}×${r.height} levels, received ${mask.width}×${mask.height} (${mask.data.length} levels)`,
    );
  r.layers[style].set(mask.data);
}

/**
 * The masks for the stylizer: style i's is `max(layer_i, 255 − max_j layer_j)`, so that a pixel
 * no style paints takes every style, and every pixel has one. Null when nothing is painted.
 */
export function masksOf(r: Regions): MaskPixels[] | null {
  if (!isPainted(r)) return null;
  const n = r.width * r.height;
  const free = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (const l of r.layers) m = Math.max(m, l[i]);
    free[i] = 255 - m;
  }
  return r.layers.map((l) => {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.max(l[i], free[i]);
    return { width: r.width, height: r.height, data };
  });
}
