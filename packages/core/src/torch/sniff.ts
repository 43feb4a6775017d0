/**
 * Tells the two checkpoint formats apart by their first bytes, and names what other files are
 * (a PNG, a gzip, a safetensors file...) so that the error says what was found.
 * @module
 */

/** What the first bytes say. */
export type Sniffed = { kind: 'zip' } | { kind: 'legacy' } | { kind: 'other'; description: string };

/** `PROTO 2`, `LONG1` of 10 bytes, the magic number 0x1950a86a20f9469cfc6c little-endian. */
const LEGACY_PREFIX = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

/** Whether `sig` (never empty) is at `b[at]`: past the end `b[i]` is undefined, so short inputs fail. */
const startsWith = (b: Uint8Array, sig: readonly number[], at = 0): boolean => sig.every((v, i) => b[at + i] === v);
const ascii = (s: string): number[] => [...s].map((ch) => ch.charCodeAt(0));

const KNOWN: [string, number[], number?][] = [
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['a JPEG image', [0xff, 0xd8, 0xff]],
  ['a gzip stream', [0x1f, 0x8b]],
  ['an HDF5 file (Keras .h5?)', [0x89, 0x48, 0x44, 0x46]],
  ['a tar archive (PyTorch < 0.4 checkpoints are tar files: not supported)', ascii('ustar'), 257],
  ['a PDF', ascii('%PDF')],
  ['a WebAssembly module', [0x00, 0x61, 0x73, 0x6d]],
  ['a NumPy .npy array', ascii('\x93NUMPY')],
];

/** Classifies `bytes` by their signature. */
export function sniff(bytes: Uint8Array): Sniffed {
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) return { kind: 'zip' };
  if (bytes.length === 0) return { kind: 'other', description: '0 bytes (an empty file)' };
  // A legacy file, or the start of one (cut short: the parser then reports the truncation).
  if (startsWith(bytes, LEGACY_PREFIX.slice(0, bytes.length))) return { kind: 'legacy' };
  for (const [what, sig, at] of KNOWN)
    if (startsWith(bytes, sig, at)) return { kind: 'other', description: `${what}, ${bytes.length} bytes` };
  if (bytes[8] === 0x7b && bytes[9] === 0x22)
    return { kind: 'other', description: `a safetensors file? (${bytes.length} bytes; JSON header)` };
  if (bytes[0] === 0x80)
    return { kind: 'other', description: `a pickle without the PyTorch magic number (${bytes.length} bytes, starting ${hex(bytes)})` };
  return { kind: 'other', description: `${bytes.length} bytes starting ${hex(bytes)}` };
}

function hex(b: Uint8Array): string {
  return [...b.subarray(0, 8)].map((v) => v.toString(16).padStart(2, '0')).join(' ');
}
