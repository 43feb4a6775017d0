/**
 * Tiny anti-aliased software rasteriser over RGB float buffers (`[H, W, 3]` row-major, values in
 * `[0, 1]`), used by the synthetic scenes. Shapes are signed distance functions; the coverage of a
 * pixel is `clamp(0.5 - d, 0, 1)` with `d` the signed distance in pixels, which gives about one
 * pixel of anti-aliasing on every edge.
 * @module
 */

/** An RGB colour with channels in `[0, 1]`. */
export type Rgb = readonly [number, number, number];

/** A signed distance function over normalised coordinates (`u`, `v` in `[0, 1]`, `v` down). */
export type Sdf = (u: number, v: number) => number;

/** A float RGB canvas: `data` is `[height, width, 3]` row-major. */
export interface Canvas {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** A new canvas of `height` × `width` pixels, all black. */
export function createCanvas(height: number, width: number): Canvas {
  return { width, height, data: new Float32Array(height * width * 3) };
}

/**
 * Blends `colour` over the pixels covered by `sdf`, with `opacity`, visiting only the pixels of
 * the bounding box `[u0, v0, u1, v1]` (normalised coordinates).
 */
export function fillSdf(canvas: Canvas, sdf: Sdf, bbox: readonly [number, number, number, number], colour: Rgb, opacity = 1): void {
  const { width, height, data } = canvas;
  const scale = Math.min(width, height);
  const x0 = Math.max(0, Math.floor(bbox[0] * width) - 1);
  const x1 = Math.min(width - 1, Math.ceil(bbox[2] * width) + 1);
  const y0 = Math.max(0, Math.floor(bbox[1] * height) - 1);
  const y1 = Math.min(height - 1, Math.ceil(bbox[3] * height) + 1);
  for (let y = y0; y <= y1; y++) {
    const v = (y + 0.5) / height;
    for (let x = x0; x <= x1; x++) {
      const d = sdf((x + 0.5) / width, v) * scale;
      let cov = 0.5 - d;
      if (cov <= 0) continue;
      if (cov > 1) cov = 1;
      const a = cov * opacity;
      const o = (y * width + x) * 3;
      data[o] += (colour[0] - data[o]) * a;
      data[o + 1] += (colour[1] - data[o + 1]) * a;
      data[o + 2] += (colour[2] - data[o + 2]) * a;
    }
  }
}

/** Signed distance to a circle of centre (`cu`, `cv`) and radius `r`. */
export function circleSdf(cu: number, cv: number, r: number): Sdf {
  return (u, v) => Math.hypot(u - cu, v - cv) - r;
}

/** Signed distance to an axis-aligned box of centre (`cu`, `cv`) and half sizes `hu`, `hv`. */
export function boxSdf(cu: number, cv: number, hu: number, hv: number): Sdf {
  return (u, v) => {
    const dx = Math.abs(u - cu) - hu;
    const dy = Math.abs(v - cv) - hv;
    const ox = Math.max(dx, 0);
    const oy = Math.max(dy, 0);
    return Math.hypot(ox, oy) + Math.min(Math.max(dx, dy), 0);
  };
}

/** Signed distance to a polygon given as `[u, v]` vertices (any winding, simple polygon). */
export function polygonSdf(points: readonly (readonly [number, number])[]): Sdf {
  const n = points.length;
  return (u, v) => {
    let d = Infinity;
    let inside = false;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const [xi, yi] = points[i];
      const [xj, yj] = points[j];
      const ex = xj - xi;
      const ey = yj - yi;
      const wx = u - xi;
      const wy = v - yi;
      const t = Math.max(0, Math.min(1, (wx * ex + wy * ey) / (ex * ex + ey * ey || 1)));
      d = Math.min(d, Math.hypot(wx - ex * t, wy - ey * t));
      if (yi > v !== yj > v && u < ((xj - xi) * (v - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside ? -d : d;
  };
}

/** The bounding box `[u0, v0, u1, v1]` of a list of points. */
export function pointsBox(points: readonly (readonly [number, number])[]): [number, number, number, number] {
  let u0 = Infinity,
    v0 = Infinity,
    u1 = -Infinity,
    v1 = -Infinity;
  for (const [u, v] of points) {
    u0 = Math.min(u0, u);
    v0 = Math.min(v0, v);
    u1 = Math.max(u1, u);
    v1 = Math.max(v1, v);
  }
  return [u0, v0, u1, v1];
}

/** Converts hue (`[0, 1)`), saturation and value (`[0, 1]`) to RGB. */
export function hsv(h: number, s: number, v: number): Rgb {
  const i = Math.floor((((h % 1) + 1) % 1) * 6);
  const f = (((h % 1) + 1) % 1) * 6 - i;
  const p = v * (1 - s),
    q = v * (1 - f * s),
    t = v * (1 - (1 - f) * s);
  switch (i % 6) {
    case 0:
      return [v, t, p];
    case 1:
      return [q, v, p];
    case 2:
      return [p, v, t];
    case 3:
      return [p, q, v];
    case 4:
      return [t, p, v];
    default:
      return [v, p, q];
  }
}

/** Linear interpolation between two colours. */
export function mixRgb(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}
