import { writeFileSync } from 'node:fs';
import { createRng } from '@tpfr/core/utils';
import { renderScenePixels } from '@tpfr/models/data';

/** A seeded test clip: 8-bit RGB frames, their noiseless versions, and where nothing moved. */
export interface TestClip {
  width: number;
  height: number;
  /** The frames as a camera gives them, with sensor noise: `[height, width, 3]` row-major each. */
  frames: Uint8Array[];
  /** The same frames without the noise. */
  clean: Uint8Array[];
  /**
   * For each frame from the second on, `[height, width]`: 1 where its noiseless pixel equals the
   * previous frame's (the input did not change beyond its noise), else 0. `still[0]` is for frame 1.
   */
  still: Uint8Array[];
}

/** Options of {@link makeTestClip}. */
export interface TestClipOptions {
  /** Frames (default 24): the first half a moving object over a still background, the second a slow pan. */
  frames?: number;
  /** Frame side (default 64); frames are square. */
  size?: number;
  /** Standard deviation of the per-frame sensor noise, in levels of 255 (default 2). */
  noise?: number;
  /** Seed of the scene and of the noise (default 7). */
  seed?: number;
}

/**
 * A test clip made from the repository's procedural scenes (`renderScenePixels`): the first half
 * of the frames a disc moving 2 px a frame across a still scene, the second half a pan of 1 px a
 * frame over it, every frame with seeded Gaussian sensor noise. Deterministic from its options.
 */
export function makeTestClip(opts: TestClipOptions = {}): TestClip {
  const count = opts.frames ?? 24;
  const size = opts.size ?? 64;
  const noise = opts.noise ?? 2;
  const rng = createRng(opts.seed ?? 7);
  const pan = Math.ceil(count / 2) + 1;
  const [sceneH, sceneW] = [size, size + pan];
  const scene = renderScenePixels(opts.seed ?? 7, sceneH, sceneW);
  const radius = Math.max(2, Math.round(size / 10));
  const cy = Math.round(size * 0.7);
  const clean: Uint8Array[] = [];
  const frames: Uint8Array[] = [];
  const gauss = () => {
    // Box–Muller on the seeded generator.
    const u = Math.max(rng.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  };
  for (let t = 0; t < count; t++) {
    const moving = t < count / 2;
    const x0 = moving ? 0 : t - Math.floor(count / 2) + 1;
    const cx = radius + 2 * t;
    const img = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const o = (y * size + x) * 3;
        const s = (y * sceneW + x + x0) * 3;
        const disc = moving && (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
        for (let c = 0; c < 3; c++) img[o + c] = disc ? [230, 60, 40][c] : Math.round(scene[s + c] * 255);
      }
    }
    clean.push(img);
    frames.push(img.map((v) => Math.max(0, Math.min(255, Math.round(v + noise * gauss())))));
  }
  const still = clean.slice(1).map((img, i) => {
    const prev = clean[i];
    const m = new Uint8Array(size * size);
    for (let p = 0; p < m.length; p++)
      m[p] = img[3 * p] === prev[3 * p] && img[3 * p + 1] === prev[3 * p + 1] && img[3 * p + 2] === prev[3 * p + 2] ? 1 : 0;
    return m;
  });
  return { width: size, height: size, frames, clean, still };
}

/**
 * The still regions of a clip's masks at the scale the network works on: a pixel counts as still
 * when every pixel of its `block × block` block (the model's multiple: a latent pixel's, 4 for the
 * paper's network) is unchanged, so that a pixel that merely happens to equal the last frame's
 * inside a moving block (a flat patch of a pan) does not count.
 */
export function stillBlocks(still: Uint8Array[], width: number, block: number): Uint8Array[] {
  return still.map((m) => {
    const out = new Uint8Array(m.length);
    for (let y0 = 0; y0 < m.length / width; y0 += block) {
      for (let x0 = 0; x0 < width; x0 += block) {
        let all = 1;
        for (let y = y0; y < Math.min(y0 + block, m.length / width); y++)
          for (let x = x0; x < Math.min(x0 + block, width); x++) all &= m[y * width + x];
        if (!all) continue;
        for (let y = y0; y < Math.min(y0 + block, m.length / width); y++)
          for (let x = x0; x < Math.min(x0 + block, width); x++) out[y * width + x] = 1;
      }
    }
    return out;
  });
}

/**
 * The flicker of stylized frames: the mean absolute change between consecutive results, in
 * levels of 255 (averaged over the channels), over the pixels where the input did not change
 * beyond its noise (`clip.still`, or its {@link stillBlocks}). `results` are `[height, width, 3]`
 * on the 0–255 scale.
 */
export function flicker(results: ArrayLike<number>[], still: Uint8Array[]): number {
  let sum = 0;
  let n = 0;
  for (let t = 1; t < results.length; t++) {
    const [a, b, m] = [results[t - 1], results[t], still[t - 1]];
    for (let p = 0; p < m.length; p++) {
      if (!m[p]) continue;
      for (let c = 0; c < 3; c++) sum += Math.abs(b[3 * p + c] - a[3 * p + c]);
      n += 3;
    }
  }
  return n === 0 ? 0 : sum / n;
}

/**
 * Writes frames as a YUV4MPEG2 file (`.y4m`, 4:2:0, BT.601 studio range), as Chromium's fake
 * camera reads it (`--use-file-for-fake-video-capture=FILE`). Sides must be even.
 */
export function writeY4m(path: string, frames: Uint8Array[], width: number, height: number, fps = 10): void {
  if (width % 2 || height % 2) throw new Error(`writeY4m: expected even sides, received ${width}×${height}`);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`);
  const chunks: Buffer[] = [header];
  for (const rgb of frames) {
    const y = new Uint8Array(width * height);
    const u = new Uint8Array((width * height) / 4);
    const v = new Uint8Array((width * height) / 4);
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const o = (r * width + c) * 3;
        y[r * width + c] = Math.round(16 + 0.257 * rgb[o] + 0.504 * rgb[o + 1] + 0.098 * rgb[o + 2]);
      }
    }
    for (let r = 0; r < height; r += 2) {
      for (let c = 0; c < width; c += 2) {
        let [cb, cr] = [0, 0];
        for (const [dr, dc] of [
          [0, 0],
          [0, 1],
          [1, 0],
          [1, 1],
        ]) {
          const o = ((r + dr) * width + c + dc) * 3;
          cb += 128 - 0.148 * rgb[o] - 0.291 * rgb[o + 1] + 0.439 * rgb[o + 2];
          cr += 128 + 0.439 * rgb[o] - 0.368 * rgb[o + 1] - 0.071 * rgb[o + 2];
        }
        u[(r / 2) * (width / 2) + c / 2] = Math.round(cb / 4);
        v[(r / 2) * (width / 2) + c / 2] = Math.round(cr / 4);
      }
    }
    chunks.push(Buffer.from('FRAME\n'), Buffer.from(y), Buffer.from(u), Buffer.from(v));
  }
  writeFileSync(path, Buffer.concat(chunks));
}
