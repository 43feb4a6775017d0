import { describe, expect, it } from 'vitest';
import { sniff } from './sniff.js';

const MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
/** `head` padded with zeros to `n` bytes. */
const file = (head: readonly number[], n = 16): Uint8Array => {
  const b = new Uint8Array(Math.max(n, head.length));
  b.set(head);
  return b;
};

/** The description of what is not a checkpoint, or the kind found. */
const described = (b: Uint8Array): string => {
  const s = sniff(b);
  return s.kind === 'other' ? s.description : s.kind;
};

describe('sniff', () => {
  it('knows a zip by its local header or, for an empty zip, its end record', () => {
    expect(sniff(file([0x50, 0x4b, 0x03, 0x04]))).toEqual({ kind: 'zip' });
    expect(sniff(file([0x50, 0x4b, 0x05, 0x06], 22))).toEqual({ kind: 'zip' });
    expect(sniff(Uint8Array.of(0x50, 0x4b, 0x03, 0x04))).toEqual({ kind: 'zip' });
    // A spanned-archive marker, or a cut signature, is not a zip.
    expect(sniff(file([0x50, 0x4b, 0x07, 0x08]))).toEqual({ kind: 'other', description: '16 bytes starting 50 4b 07 08 00 00 00 00' });
    expect(sniff(Uint8Array.of(0x50, 0x4b, 0x03))).toEqual({ kind: 'other', description: '3 bytes starting 50 4b 03' });
  });

  it('knows a legacy file by its magic number, or by any start of it', () => {
    expect(sniff(file([...MAGIC, 0x2e], 100))).toEqual({ kind: 'legacy' });
    for (let n = 1; n <= MAGIC.length; n++) expect(sniff(Uint8Array.from(MAGIC.slice(0, n)))).toEqual({ kind: 'legacy' });
    // Another long, or another protocol: a pickle, not a checkpoint.
    const wrong = [...MAGIC];
    wrong[13] = 0x18;
    expect(sniff(file(wrong))).toEqual({
      kind: 'other',
      description: 'a pickle without the PyTorch magic number (16 bytes, starting 80 02 8a 0a 6c fc 9c 46)',
    });
    expect(sniff(Uint8Array.of(0x80, 0x04, 0x95))).toEqual({
      kind: 'other',
      description: 'a pickle without the PyTorch magic number (3 bytes, starting 80 04 95)',
    });
  });

  it('says an empty file is empty', () => {
    expect(sniff(new Uint8Array(0))).toEqual({ kind: 'other', description: '0 bytes (an empty file)' });
  });

  it.each([
    ['a PNG image', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
    ['a JPEG image', [0xff, 0xd8, 0xff, 0xe0]],
    ['a gzip stream', [0x1f, 0x8b, 0x08]],
    ['an HDF5 file (Keras .h5?)', [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a]],
    ['a PDF', ascii('%PDF-1.7')],
    ['a WebAssembly module', [0x00, 0x61, 0x73, 0x6d, 0x01]],
    ['a NumPy .npy array', [0x93, ...ascii('NUMPY'), 1, 0]],
  ])('names %s', (what, head) => {
    expect(sniff(file(head, 40))).toEqual({ kind: 'other', description: `${what}, 40 bytes` });
  });

  it('names a tar archive by "ustar" at byte 257, and only there', () => {
    const tar = file([], 512);
    tar.set(ascii('ustar\x0000'), 257);
    expect(sniff(tar)).toEqual({
      kind: 'other',
      description: 'a tar archive (PyTorch < 0.4 checkpoints are tar files: not supported), 512 bytes',
    });
    expect(described(tar.subarray(0, 262))).toMatch(/^a tar archive .*, 262 bytes$/);
    expect(sniff(tar.subarray(0, 261))).toEqual({ kind: 'other', description: '261 bytes starting 00 00 00 00 00 00 00 00' });
    const elsewhere = file(ascii('ustar'), 512);
    expect(described(elsewhere)).toBe('512 bytes starting 75 73 74 61 72 00 00 00');
  });

  it('guesses a safetensors file by the "{\\"" after its 8-byte header length', () => {
    const st = file([0x10, 0, 0, 0, 0, 0, 0, 0, ...ascii('{"w":{}}')], 24);
    expect(sniff(st)).toEqual({ kind: 'other', description: 'a safetensors file? (24 bytes; JSON header)' });
    expect(described(st.subarray(0, 10))).toBe('a safetensors file? (10 bytes; JSON header)');
    expect(described(st.subarray(0, 9))).toBe('9 bytes starting 10 00 00 00 00 00 00 00');
    expect(described(file([0x10, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7b]))).toBe('16 bytes starting 10 00 00 00 00 00 00 00');
    expect(described(file([0x10, 0, 0, 0, 0, 0, 0, 0, 0x22, 0x22]))).toBe('16 bytes starting 10 00 00 00 00 00 00 00');
  });

  it('otherwise gives the length and up to 8 first bytes in hex', () => {
    expect(sniff(Uint8Array.of(0x0a, 0xff, 0x7f))).toEqual({ kind: 'other', description: '3 bytes starting 0a ff 7f' });
    expect(sniff(Uint8Array.from(ascii('hello world')))).toEqual({
      kind: 'other',
      description: '11 bytes starting 68 65 6c 6c 6f 20 77 6f',
    });
  });
});
