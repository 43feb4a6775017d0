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
