/**
 * Procedural "photos" for the synthetic dataset: a sky and a ground gradient split at a random
 * horizon, hills, a sun, clouds, houses, trees and a few free shapes (circles, rectangles,
 * triangles) at varied positions and scales, all anti-aliased so that they have clear luminance
 * edges. Pure JS, deterministic from the seed.
 * @module
 */
import { createRng, type Rng } from '@tpfr/core/utils';
import { boxSdf, circleSdf, createCanvas, fillSdf, hsv, mixRgb, pointsBox, polygonSdf, type Canvas, type Rgb } from './raster.js';

function paintGradients(c: Canvas, rng: Rng, horizon: number): void {
  const skyHue = rng.uniform(0.5, 0.7) + rng.uniform(-0.15, 0.15);
  const skyTop = hsv(skyHue, rng.uniform(0.4, 0.9), rng.uniform(0.45, 0.95));
  const skyLow = hsv(skyHue + rng.uniform(-0.1, 0.1), rng.uniform(0.1, 0.5), rng.uniform(0.75, 1));
  const groundHue = rng.pick([0.25, 0.3, 0.1, 0.08, 0.33]) + rng.uniform(-0.05, 0.05);
  const groundTop = hsv(groundHue, rng.uniform(0.3, 0.8), rng.uniform(0.45, 0.85));
  const groundLow = hsv(groundHue + rng.uniform(-0.05, 0.05), rng.uniform(0.4, 0.9), rng.uniform(0.15, 0.5));
  const { width, height, data } = c;
  for (let y = 0; y < height; y++) {
    const v = (y + 0.5) / height;
    // The horizon line itself is anti-aliased over one pixel.
    const g = Math.max(0, Math.min(1, (v - horizon) * height + 0.5));
    const sky = mixRgb(skyTop, skyLow, Math.min(1, v / horizon));
    const ground = mixRgb(groundTop, groundLow, Math.max(0, (v - horizon) / (1 - horizon)));
    const col = mixRgb(sky, ground, g);
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = col[0];
      data[o + 1] = col[1];
      data[o + 2] = col[2];
    }
  }
}

function house(c: Canvas, rng: Rng, u: number, base: number, s: number): void {
  const w = s * rng.uniform(0.8, 1.3),
    h = s * rng.uniform(0.6, 1);
  const wall = hsv(rng.next(), rng.uniform(0.2, 0.7), rng.uniform(0.5, 1));
  const roofCol = hsv(rng.uniform(0, 0.1), rng.uniform(0.5, 0.9), rng.uniform(0.25, 0.6));
  fillSdf(c, boxSdf(u, base - h / 2, w / 2, h / 2), [u - w / 2, base - h, u + w / 2, base], wall);
  const roof: [number, number][] = [
    [u - w * 0.6, base - h],
    [u + w * 0.6, base - h],
    [u, base - h - s * rng.uniform(0.4, 0.7)],
  ];
  fillSdf(c, polygonSdf(roof), pointsBox(roof), roofCol);
  const dw = w * 0.15,
    dh = h * 0.45;
  fillSdf(
    c,
    boxSdf(u + rng.uniform(-0.2, 0.2) * w, base - dh / 2, dw, dh / 2),
    [u - w / 2, base - dh, u + w / 2, base],
    mixRgb(roofCol, [0, 0, 0], 0.5),
  );
}

function tree(c: Canvas, rng: Rng, u: number, base: number, s: number): void {
  const trunkH = s * rng.uniform(0.4, 0.7),
    trunkW = s * 0.09;
  fillSdf(
    c,
    boxSdf(u, base - trunkH / 2, trunkW, trunkH / 2),
    [u - trunkW, base - trunkH, u + trunkW, base],
    hsv(0.08, 0.6, rng.uniform(0.2, 0.45)),
  );
  const leaf = hsv(rng.uniform(0.22, 0.4), rng.uniform(0.5, 0.9), rng.uniform(0.25, 0.7));
  if (rng.next() < 0.5) {
    const r = s * rng.uniform(0.35, 0.55);
    fillSdf(c, circleSdf(u, base - trunkH - r * 0.7, r), [u - r, base - trunkH - r * 1.7, u + r, base - trunkH + r * 0.3], leaf);
  } else {
    const tri: [number, number][] = [
      [u - s * 0.4, base - trunkH * 0.6],
      [u + s * 0.4, base - trunkH * 0.6],
      [u, base - trunkH - s * 1.1],
    ];
    fillSdf(c, polygonSdf(tri), pointsBox(tri), leaf);
  }
}

function freeShape(c: Canvas, rng: Rng): void {
  const u = rng.uniform(0.05, 0.95),
    v = rng.uniform(0.05, 0.95),
    s = rng.uniform(0.04, 0.18);
  const col = hsv(rng.next(), rng.uniform(0.3, 1), rng.uniform(0.2, 1));
  const kind = rng.int(0, 2);
  if (kind === 0) {
    fillSdf(c, circleSdf(u, v, s), [u - s, v - s, u + s, v + s], col);
  } else if (kind === 1) {
    const hu = s * rng.uniform(0.5, 1.2),
      hv = s * rng.uniform(0.5, 1.2);
    fillSdf(c, boxSdf(u, v, hu, hv), [u - hu, v - hv, u + hu, v + hv], col);
  } else {
    const tri: [number, number][] = [0, 1, 2].map((k) => {
      const a = rng.uniform(0, Math.PI * 2) * 0.3 + (k * Math.PI * 2) / 3;
      return [u + Math.cos(a) * s * 1.3, v + Math.sin(a) * s * 1.3] as [number, number];
    });
    fillSdf(c, polygonSdf(tri), pointsBox(tri), col);
  }
}

/**
 * Renders a procedural scene of `height` × `width` pixels (default square `size`) into a new
 * `[H, W, 3]` row-major Float32Array with values in `[0, 1]`. Deterministic from `seed`.
 */
export function renderScenePixels(seed: number, size: number, width = size): Float32Array {
  const rng = createRng(seed);
  const c = createCanvas(size, width);
  const horizon = rng.uniform(0.35, 0.7);
  paintGradients(c, rng, horizon);
  if (rng.next() < 0.75) {
    const r = rng.uniform(0.05, 0.12),
      u = rng.uniform(0.1, 0.9),
      v = rng.uniform(0.08, horizon - 0.05);
    const sun: Rgb = rng.next() < 0.7 ? hsv(rng.uniform(0.1, 0.16), rng.uniform(0.5, 1), 1) : [0.95, 0.95, 0.9];
    fillSdf(c, circleSdf(u, v, r), [u - r, v - r, u + r, v + r], sun);
  }
  for (let i = rng.int(0, 2); i > 0; i--) {
    const u = rng.uniform(0, 1),
      v = rng.uniform(0.05, horizon * 0.7),
      w = rng.uniform(0.05, 0.1);
    for (let k = 0; k < 3; k++) {
      const cu = u + (k - 1) * w,
        cv = v + (k === 1 ? -w * 0.4 : 0),
        r = w * (k === 1 ? 1 : 0.75);
      fillSdf(c, circleSdf(cu, cv, r), [cu - r, cv - r, cu + r, cv + r], [0.97, 0.97, 1], 0.9);
    }
  }
  for (let i = rng.int(0, 3); i > 0; i--) {
    const r = rng.uniform(0.2, 0.5),
      u = rng.uniform(0, 1),
      v = horizon + r * rng.uniform(0.6, 0.95);
    const col = hsv(rng.uniform(0.2, 0.4), rng.uniform(0.3, 0.8), rng.uniform(0.3, 0.7));
    fillSdf(c, circleSdf(u, v, r), [u - r, v - r, u + r, horizon + 0.02], col);
  }
  const objects = rng.int(1, 5);
  for (let i = 0; i < objects; i++) {
    const base = rng.uniform(horizon + 0.05, 0.97);
    const s = 0.08 + 0.3 * (base - horizon) * rng.uniform(0.7, 1.3);
    const u = rng.uniform(0.1, 0.9);
    if (rng.next() < 0.45) house(c, rng, u, base, s);
    else tree(c, rng, u, base, s);
  }
  for (let i = rng.int(0, 3); i > 0; i--) freeShape(c, rng);
  return c.data;
}
