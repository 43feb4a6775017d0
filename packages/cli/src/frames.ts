import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import * as gifencModule from 'gifenc';
import { GifReader } from 'omggif';
import { IMAGE_EXTENSIONS } from '@tpfr/models/node';
import { CliError } from './errors.js';

/** One frame of a sequence: its name (for the output file) and its 8-bit RGB pixels `[height, width, 3]`. */
export interface Frame {
  name: string;
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** A sequence of frames: their names in order, each read on demand, and the delay between them. */
export interface FrameSequence {
  names: string[];
  /** The frame at `i` (read or decoded now). */
  frame(i: number): Frame;
  /** Milliseconds per frame of the source, when it says (an animated GIF). */
  delayMs?: number;
}

/**
 * gifenc's functions: its CommonJS build (what Node's ESM loader gives, as a default export) and
 * its ES build (what bundlers resolve) export them differently.
 */
const gifenc: typeof gifencModule =
  'GIFEncoder' in gifencModule ? gifencModule : (gifencModule as unknown as { default: typeof gifencModule }).default;

/** Natural order of file names: `frame2` before `frame10`. */
const natural = new Intl.Collator('en', { numeric: true }).compare;

/**
 * The frames of `path`: a folder of PNG or JPEG images (in the natural order of their names), or
 * an animated GIF (each frame composited as a viewer shows it). `read` decodes one image file.
 */
export function readFrames(path: string, read: (file: string) => Frame): FrameSequence {
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    const names = readdirSync(path)
      .filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()) && extname(f).toLowerCase() !== '.gif')
      .sort(natural);
    if (names.length === 0)
      throw new CliError(`option --content: expected a folder of PNG or JPEG frames with --frames, received '${path}' with none`, 2);
    return { names, frame: (i) => ({ ...read(join(path, names[i])), name: names[i] }) };
  }
  if (extname(path).toLowerCase() === '.gif') return readGif(path);
  throw new CliError(`option --content: expected a folder of frames or an animated GIF with --frames, received '${path}'`, 2);
}

/** The frames of an animated GIF, composited (each frame drawn over the last as its disposal says). */
function readGif(path: string): FrameSequence {
  let reader: GifReader;
  try {
    reader = new GifReader(readFileSync(path));
  } catch (e) {
    throw new CliError(`cannot read the GIF '${path}': ${(e as Error).message}`, 1);
  }
  const { width, height } = reader;
  const count = reader.numFrames();
  const stem = basename(path, extname(path));
  const digits = Math.max(4, String(count).length);
  const names = Array.from({ length: count }, (_, i) => `${stem}-${String(i + 1).padStart(digits, '0')}.png`);
  // Composited in order once (GIF frames are deltas): kept as RGB, small as GIFs are.
  const canvas = new Uint8Array(width * height * 4);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const info = reader.frameInfo(i);
    const before = info.disposal === 3 ? canvas.slice() : null;
    reader.decodeAndBlitFrameRGBA(i, canvas);
    const rgb = new Uint8Array(width * height * 3);
    for (let p = 0; p < width * height; p++) rgb.set(canvas.subarray(4 * p, 4 * p + 3), 3 * p);
    frames.push(rgb);
    if (info.disposal === 2) {
      for (let y = info.y; y < info.y + info.height; y++) canvas.fill(0, 4 * (y * width + info.x), 4 * (y * width + info.x + info.width));
    } else if (before) {
      canvas.set(before);
    }
  }
  const delay = reader.frameInfo(0).delay;
  return { names, frame: (i) => ({ name: names[i], width, height, rgb: frames[i] }), ...(delay > 0 ? { delayMs: delay * 10 } : {}) };
}

/**
 * An animated GIF of the frames (8-bit RGB `[height, width, 3]` each, one size): one palette of
 * 256 colours for the whole clip (quantized from every frame, so that colours do not jump from
 * frame to frame), `delayMs` per frame, looping.
 */
export function encodeGif(frames: Uint8Array[], width: number, height: number, delayMs: number): Uint8Array {
  const rgba = (rgb: Uint8Array) => {
    const out = new Uint8Array(width * height * 4);
    for (let p = 0; p < width * height; p++) {
      out.set(rgb.subarray(3 * p, 3 * p + 3), 4 * p);
      out[4 * p + 3] = 255;
    }
    return out;
  };
  // The palette from a sample of every frame's pixels (at most about a million of them).
  const step = Math.max(1, Math.ceil((frames.length * width * height) / 2 ** 20));
  const sample: number[] = [];
  for (const f of frames) for (let p = 0; p < width * height; p += step) sample.push(f[3 * p], f[3 * p + 1], f[3 * p + 2], 255);
  const palette = gifenc.quantize(Uint8Array.from(sample), 256);
  const gif = gifenc.GIFEncoder();
  for (const f of frames) gif.writeFrame(gifenc.applyPalette(rgba(f), palette), width, height, { palette, delay: delayMs, repeat: 0 });
  gif.finish();
  return gif.bytes();
}
