/**
 * Turns a procedural photo into a "painting" of a synthetic style class: optional pre-blur,
 * contrast-stretched luminance plus the class's texture pattern, mapped onto the class palette
 * (smoothly or in flat posterised bands), a little of the photo's own colour mixed back, then the
 * class's edge treatment (dark outlines, glow or a final blur). Pure JS, deterministic.
 * @module
 */
import { ValueError } from '@tpfr/core';
import { createRng, hashSeed, hashString } from '@tpfr/core/utils';
import type { Rgb } from './raster.js';
import { STYLE_CLASS_SPECS, SYNTHETIC_STYLE_CLASSES, type StyleClassSpec, type StylePattern } from './style-classes.js';

/** The spec of the synthetic style class `name`; throws a ValueError naming `fn` if unknown. */
export function styleClassSpec(name: string, fn = 'styleClassSpec'): StyleClassSpec {
  const spec = STYLE_CLASS_SPECS.find((s) => s.name === name);
  if (!spec) throw new ValueError(fn, `a synthetic style class (${SYNTHETIC_STYLE_CLASSES.join(', ')})`, JSON.stringify(name));
  return spec;
}

/** Separable box blur of radius `r` over a `[H, W, C]` buffer, in place (edges clamp). */
function boxBlur(buf: Float32Array, h: number, w: number, ch: number, r: number): void {
  if (r <= 0) return;
  const tmp = new Float32Array(buf.length);
  const n = 2 * r + 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < ch; c++) {
        let s = 0;
        for (let k = -r; k <= r; k++) s += buf[(y * w + Math.min(w - 1, Math.max(0, x + k))) * ch + c];
        tmp[(y * w + x) * ch + c] = s / n;
      }
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < ch; c++) {
        let s = 0;
        for (let k = -r; k <= r; k++) s += tmp[(Math.min(h - 1, Math.max(0, y + k)) * w + x) * ch + c];
        buf[(y * w + x) * ch + c] = s / n;
      }
    }
  }
}

/** Sobel gradient magnitude of a `[H, W]` buffer (edges clamp). */
function sobel(l: Float32Array, h: number, w: number): Float32Array {
  const out = new Float32Array(h * w);
  const at = (y: number, x: number) => l[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const gx = at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y, x - 1) - at(y + 1, x - 1);
      const gy = at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y - 1, x) - at(y - 1, x + 1);
      out[y * w + x] = Math.hypot(gx, gy) / 4;
    }
  }
  return out;
}

const frac = (x: number) => x - Math.floor(x);
const smoothstep = (a: number, b: number, x: number) => {
  const t = Math.max(0, Math.min(1, (x - a) / (b - a)));
  return t * t * (3 - 2 * t);
};
/** A hash of integer cell coordinates into `[0, 1)`. */
const cellRand = (a: number, b: number, s: number) => hashSeed(a, b, s) / 4294967296;

/**
 * Applies `pattern` to the luminance `lum` (`[H, W]`, values in `[0, 1]`), in place.
 * `p` is the period in pixels, `k` the strength, `s` a per-painting seed.
 */
function applyPattern(lum: Float32Array, h: number, w: number, pattern: StylePattern, p: number, k: number, s: number): void {
  const rng = createRng(s);
  const phase = rng.uniform(0, p);
  const cu = rng.uniform(0, w),
    cv = rng.uniform(0, h);
  if (pattern === 'tiles') {
    // Mosaic: each tile takes its mean luminance (plus jitter), with dark grout lines between tiles.
    const t = Math.max(2, Math.round(p));
    for (let ty = 0; ty < h; ty += t) {
      for (let tx = 0; tx < w; tx += t) {
        let sum = 0,
          n = 0;
        for (let y = ty; y < Math.min(h, ty + t); y++)
          for (let x = tx; x < Math.min(w, tx + t); x++) {
            sum += lum[y * w + x];
            n++;
          }
        const v = sum / n + k * (cellRand(tx, ty, s) * 2 - 1);
        for (let y = ty; y < Math.min(h, ty + t); y++) {
          for (let x = tx; x < Math.min(w, tx + t); x++) lum[y * w + x] = y === ty || x === tx ? 0 : v;
        }
      }
    }
    return;
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const l = lum[i];
      let t = 0;
      switch (pattern) {
        case 'hatch':
          t = Math.sin((2 * Math.PI * (x + y + phase)) / p);
          break;
        case 'dots': {
          const gx = Math.floor(x / p),
            gy = Math.floor(y / p);
          const d = Math.hypot(frac(x / p) - 0.5, frac(y / p) - 0.5);
          const m = 1 - smoothstep(0.3, 0.45, d);
          t = m * (cellRand(gx, gy, s) * 2 - 1) + (1 - m) * 0.8;
          break;
        }
        case 'strokes-h': {
          const band = Math.floor((y + phase) / (p * 0.6));
          const off = cellRand(band, 0, s) * 4 * p;
          const seg = Math.floor((x + off) / (3 * p));
          t = cellRand(band, seg + 1000, s) * 2 - 1;
          break;
        }
        case 'crosshatch': {
          const a = Math.abs(frac((x + y + phase) / p) - 0.5) < 0.17;
          const b = Math.abs(frac((x - y + phase) / p) - 0.5) < 0.17;
          t = 0.35 - (l < 0.7 && a ? 1 : 0) - (l < 0.4 && b ? 1 : 0);
          break;
        }
        case 'waves':
          t = Math.sin((2 * Math.PI * (y + phase + 1.5 * Math.sin((2 * Math.PI * x) / (3 * p)))) / p);
          break;
        case 'grain':
          t = rng.next() * 2 - 1;
          break;
        case 'rings':
          t = Math.sin((2 * Math.PI * Math.hypot(x - cu, y - cv)) / p);
          break;
        case 'stipple':
          t = cellRand(Math.floor(x / p), Math.floor(y / p), s) < 0.15 + 0.6 * (1 - l) ? -1 : 0.4;
          break;
        case 'stripes-v':
          t = Math.sin((2 * Math.PI * (x + phase)) / p) > 0 ? 1 : -1;
          break;
      }
      lum[i] = Math.max(0, Math.min(1, l + k * t));
    }
  }
}

/** Colour of luminance `l` on `palette`: flat bands when `posterize`, else a smooth gradient map. */
function paletteColour(palette: readonly Rgb[], l: number, posterize: boolean): Rgb {
  const n = palette.length;
  if (posterize) return palette[Math.max(0, Math.min(n - 1, Math.floor(l * n)))];
  const f = Math.max(0, Math.min(1, l)) * (n - 1);
  const i = Math.min(n - 2, Math.floor(f));
  const t = f - i;
  const a = palette[i],
    b = palette[i + 1];
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/**
 * Paints `pixels` (`[H, W, 3]` row-major, values in `[0, 1]`) as a painting of the synthetic
 * style class `className`, returning a new `[H, W, 3]` Float32Array in `[0, 1]`. `seed` varies the
 * pattern's phase and noise between paintings of the same class. Deterministic.
 * @throws ValueError for an unknown class or a buffer whose length is not `height * width * 3`.
 */
export function paintPixels(pixels: Float32Array, height: number, width: number, className: string, seed: number): Float32Array {
  const spec = styleClassSpec(className, 'paintPixels');
  if (pixels.length !== height * width * 3) {
    throw new ValueError('paintPixels', `pixels of length H*W*3 = ${height * width * 3}`, `length ${pixels.length}`);
  }
  const scale = Math.min(height, width) / 64;
  const src = Float32Array.from(pixels);
  boxBlur(src, height, width, 3, Math.round(spec.preBlur * scale));
  const n = height * width;
  const lum = new Float32Array(n);
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const l = 0.299 * src[3 * i] + 0.587 * src[3 * i + 1] + 0.114 * src[3 * i + 2];
    lum[i] = l;
    if (l < lo) lo = l;
    if (l > hi) hi = l;
  }
  // Contrast stretch so that every painting uses the whole palette.
  const range = hi - lo > 1e-3 ? hi - lo : 1;
  for (let i = 0; i < n; i++) lum[i] = (lum[i] - lo) / range;
  const edges = spec.edges === 'outline' || spec.edges === 'glow' ? sobel(lum, height, width) : null;
  applyPattern(lum, height, width, spec.pattern, Math.max(1, spec.period * scale), spec.strength, hashSeed(seed, hashString(spec.name)));
  const out = new Float32Array(n * 3);
  const dark = spec.palette[0];
  const light = spec.palette[spec.palette.length - 1];
  const keep = spec.keepColour;
  for (let i = 0; i < n; i++) {
    const pc = paletteColour(spec.palette, lum[i], spec.posterize);
    let r = pc[0] * (1 - keep) + src[3 * i] * keep;
    let g = pc[1] * (1 - keep) + src[3 * i + 1] * keep;
    let b = pc[2] * (1 - keep) + src[3 * i + 2] * keep;
    if (edges) {
      const e = smoothstep(0.08, 0.25, edges[i]);
      const target = spec.edges === 'outline' ? dark : light;
      r += (target[0] - r) * e;
      g += (target[1] - g) * e;
      b += (target[2] - b) * e;
    }
    out[3 * i] = r;
    out[3 * i + 1] = g;
    out[3 * i + 2] = b;
  }
  if (spec.edges === 'blur') boxBlur(out, height, width, 3, Math.max(1, Math.round(scale)));
  return out;
}
