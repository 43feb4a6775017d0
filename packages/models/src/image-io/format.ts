/**
 * Image format detection, by magic bytes and by file extension. Browser-safe.
 * @module
 */
import { ImageIoError } from './errors.js';

/** The image formats @tpfr/models reads and writes. */
export type ImageFormat = 'png' | 'jpeg';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format of `bytes` from its magic bytes (`'png'`, `'jpeg'`), or `null` if neither. */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** Hex dump of the first (up to 8) bytes, as `0x89504e47...`, for error messages. */
export function describeBytes(bytes: Uint8Array): string {
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
  return bytes.length === 0 ? '0 bytes' : `${bytes.length} bytes starting 0x${head}`;
}

/** The lower-cased extension of `path` including the dot (`'.png'`), or `''`. */
export function extensionOf(path: string): string {
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot).toLowerCase();
}

/** The file extensions (with the dot, lower case) that image files are recognised by: `.png`, `.jpg`, `.jpeg`. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

/**
 * The image format a path names by its extension (`.png`, `.jpg`, `.jpeg`, any case).
 * @throws ImageIoError naming `fn` for any other extension.
 */
export function formatFromPath(path: string, fn = 'formatFromPath'): ImageFormat {
  const ext = extensionOf(path);
  if (ext === '.png') return 'png';
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  throw new ImageIoError(fn, `expected a .png, .jpg or .jpeg file, received ${ext ? `'${ext}'` : 'no extension'} (${path})`);
}

/**
 * The most pixels (width × height) `decodeImage` and `readImage` decode by default:
 * 8192 × 8192. Decoding takes about 16 bytes per pixel (the RGBA pixels, then the `[H, W, 3]`
 * int32 tensor), about 1 GiB at this limit. Larger images are refused from their header, before
 * anything is decoded; pass `maxPixels` to raise or lower the limit.
 */
export const MAX_IMAGE_PIXELS = 8192 * 8192;

/** What the header of a PNG or JPEG says, read before decoding. */
export interface ImageHeader {
  format: ImageFormat;
  /** Width and height the header claims (JPEG: `null` when no frame header comes before the scan). */
  width: number | null;
  height: number | null;
  /** PNG only: Adam7 interlacing (whose inflated size pngjs does not bound). */
  interlaced: boolean;
  /** PNG only: bytes of the filtered, inflated pixel rows, without interlacing. */
  rowBytes: number;
}

/** PNG channels per colour type (0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA). */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

const be16 = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];
const be32 = (b: Uint8Array, at: number): number => ((b[at] << 24) >>> 0) + (b[at + 1] << 16) + (b[at + 2] << 8) + b[at + 3];

function pngHeader(fn: string, bytes: Uint8Array): ImageHeader {
  // Signature (8), IHDR length (4) and type (4), width, height, depth, colour type, compression,
  // filter, interlace (13), CRC (4).
  if (bytes.length < 33)
    throw new ImageIoError(
      fn,
      `expected a PNG header (signature and IHDR chunk, 33 bytes), received a truncated PNG (${describeBytes(bytes)})`,
    );
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (be32(bytes, 8) !== 13 || type !== 'IHDR') {
    throw new ImageIoError(
      fn,
      `expected the PNG's first chunk to be IHDR of 13 bytes at byte 8, received a chunk ${JSON.stringify(type)} of ${be32(bytes, 8)} bytes`,
    );
  }
  const width = be32(bytes, 16);
  const height = be32(bytes, 20);
  const depth = bytes[24];
  const channels = PNG_CHANNELS[bytes[25]];
  if (channels === undefined || ![1, 2, 4, 8, 16].includes(depth)) {
    throw new ImageIoError(
      fn,
      `expected a PNG colour type 0, 2, 3, 4 or 6 with bit depth 1 to 16, received colour type ${bytes[25]}, bit depth ${depth}`,
    );
  }
  const rowBytes = (Math.ceil((width * channels * depth) / 8) + 1) * height;
  return { format: 'png', width, height, interlaced: bytes[28] !== 0, rowBytes };
}

/** JPEG start-of-frame markers (SOF0–SOF15 but DHT 0xc4, JPG 0xc8 and DAC 0xcc). */
const isStartOfFrame = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegHeader(bytes: Uint8Array): ImageHeader {
  const unknown: ImageHeader = { format: 'jpeg', width: null, height: null, interlaced: false, rowBytes: 0 };
  let at = 2;
  // Walk the marker segments up to the first frame header. Anything this walk does not
  // understand is left to jpeg-js (which enforces the same limit with maxResolutionInMP).
  while (at < bytes.length) {
    if (bytes[at] !== 0xff) return unknown;
    while (bytes[at] === 0xff) at++;
    const marker = bytes[at++];
    if (marker === undefined || marker === 0xd9 || marker === 0xda) return unknown; // end of file, or the scan before any frame
    if ((marker >= 0xd0 && marker <= 0xd8) || marker === 0x01) continue; // no length
    if (at + 2 > bytes.length) return unknown;
    if (isStartOfFrame(marker)) {
      if (at + 7 > bytes.length) return unknown;
      return { ...unknown, height: be16(bytes, at + 3), width: be16(bytes, at + 5) };
    }
    at += be16(bytes, at);
  }
  return unknown;
}

/**
 * Reads the image size from the header of PNG (IHDR) or JPEG (the frame header, SOF) bytes,
 * without decoding: what `decodeImage` checks against its pixel limit first.
 * @returns `null` for bytes that are neither PNG nor JPEG.
 * @throws ImageIoError naming `fn` for a truncated or malformed PNG header.
 */
export function readImageHeader(bytes: Uint8Array, fn = 'readImageHeader'): ImageHeader | null {
  const format = detectImageFormat(bytes);
  if (format === 'png') return pngHeader(fn, bytes);
  return format === 'jpeg' ? jpegHeader(bytes) : null;
}
