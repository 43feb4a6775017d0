/**
 * The webcam test's clip: a seeded synthetic scene (a slow pan over a still picture, per-frame
 * noise, a disc moving across) written as a Y4M file (YUV 4:2:0, full-range BT.601 as JPEG's),
 * which Chromium's fake camera plays in a loop
 * (`--use-file-for-fake-video-capture=clip.y4m`).
 */
import { writeFileSync } from 'node:fs';
import type { Pixels } from '../src/pixels.js';

/** A small seeded generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options of {@link syntheticClip}. */
export interface ClipOptions {
  /** Frame size (even: 4:2:0 halves both). */
  width: number;
  height: number;
  frames: number;
  seed?: number;
  /** Pixels the view pans per frame (default 1). */
  pan?: number;
}

/**
 * The frames of a seeded scene: a still picture (soft colour fields, a few rectangles and rings)
 * wider than the frame, seen through a window that pans right; seeded noise of ±6 levels on every
 * frame; a disc crossing the frame from left to right. 8-bit RGB.
 */
export function syntheticClip(o: ClipOptions): Pixels[] {
  const { width, height, frames } = o;
  if (width % 2 || height % 2) throw new Error(`syntheticClip: expected an even width and height, received ${width}×${height}`);
  const pan = o.pan ?? 1;
  const r = rng(o.seed ?? 7);
  const W = width + pan * frames;
  // The still picture, W × height.
  const picture = new Float32Array(W * height * 3);
  const blobs = Array.from({ length: 6 }, () => ({
    x: r() * W,
    y: r() * height,
    s: 20 + r() * 40,
    c: [r(), r(), r()].map((v) => 40 + v * 200),
  }));
  const rects = Array.from({ length: 5 }, () => ({
    x: r() * W,
    y: r() * height,
    w: 10 + r() * 40,
    h: 8 + r() * 30,
    c: [r(), r(), r()].map((v) => v * 255),
  }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < W; x++) {
      const px = [90 + (60 * y) / height, 110, 150 - (60 * y) / height];
      for (const b of blobs) {
        const w = Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.s * b.s));
        for (let c = 0; c < 3; c++) px[c] += (b.c[c] - px[c]) * w;
      }
      for (const q of rects) if (x >= q.x && x < q.x + q.w && y >= q.y && y < q.y + q.h) for (let c = 0; c < 3; c++) px[c] = q.c[c];
      const ring = Math.abs((Math.hypot(x - W / 2, y - height / 2) % 24) - 12) < 1.5;
      picture.set(ring ? px.map((v) => v * 0.6) : px, (y * W + x) * 3);
    }
  }
  return Array.from({ length: frames }, (_, f) => {
    const data = new Uint8Array(width * height * 3);
    const disc = { x: -10 + ((width + 20) * f) / Math.max(1, frames - 1), y: height * 0.6, r: Math.max(4, height / 10) };
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const inDisc = (x - disc.x) ** 2 + (y - disc.y) ** 2 <= disc.r ** 2;
        for (let c = 0; c < 3; c++) {
          const v = inDisc ? [235, 60, 40][c] : picture[(y * W + x + f * pan) * 3 + c];
          data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v + (r() * 2 - 1) * 6)));
        }
      }
    }
    return { width, height, data };
  });
}

/** One frame's Y, U and V planes (4:2:0, full range BT.601; chroma averaged over each 2 × 2 block). */
export function toYuv420(p: Pixels): Uint8Array {
  const { width: w, height: h, data } = p;
  const out = new Uint8Array(w * h + 2 * (w / 2) * (h / 2));
  const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  for (let i = 0; i < w * h; i++) out[i] = clamp(0.299 * data[3 * i] + 0.587 * data[3 * i + 1] + 0.114 * data[3 * i + 2]);
  const u0 = w * h;
  const v0 = u0 + (w / 2) * (h / 2);
  for (let y = 0; y < h / 2; y++) {
    for (let x = 0; x < w / 2; x++) {
      let [r, g, b] = [0, 0, 0];
      for (const [dy, dx] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ]) {
        const i = 3 * ((2 * y + dy) * w + 2 * x + dx);
        r += data[i] / 4;
        g += data[i + 1] / 4;
        b += data[i + 2] / 4;
      }
      out[u0 + y * (w / 2) + x] = clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b);
      out[v0 + y * (w / 2) + x] = clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b);
    }
  }
  return out;
}

/** The frames as a Y4M file's bytes (`C420jpeg`, `fps` frames per second, progressive, square pixels). */
export function y4m(frames: Pixels[], fps = 30): Uint8Array {
  if (frames.length === 0) throw new Error('y4m: expected at least one frame, received none');
  const { width, height } = frames[0];
  const header = new TextEncoder().encode(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`);
  const marker = new TextEncoder().encode('FRAME\n');
  const planes = width * height * 1.5;
  const out = new Uint8Array(header.length + frames.length * (marker.length + planes));
  out.set(header, 0);
  let at = header.length;
  for (const f of frames) {
    if (f.width !== width || f.height !== height)
      throw new Error(`y4m: expected frames of ${width}×${height}, received ${f.width}×${f.height}`);
    out.set(marker, at);
    out.set(toYuv420(f), at + marker.length);
    at += marker.length + planes;
  }
  return out;
}

/** Writes the test clip to `path` (`.y4m`) and returns its frames. */
export function writeClip(path: string, o: ClipOptions & { fps?: number }): Pixels[] {
  const frames = syntheticClip(o);
  writeFileSync(path, y4m(frames, o.fps));
  return frames;
}
