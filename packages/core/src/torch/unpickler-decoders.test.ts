import { describe, expect, it } from 'vitest';

// The module-level text decoders of the unpickler. This file imports the module only inside the
// test (no static import of it or of anything that loads it), so a module that fails to load
// fails this test rather than the collection of the file.
describe('unpickle: module-level decoders', () => {
  it('decode UTF-8 strictly and Python 2 strings as latin1', async () => {
    const { unpickle } = await import('./unpickler.js');
    const opts = { where: 'test.pkl', globals: new Map(), allowedText: 'none' };
    const run = (...b: number[]): unknown => unpickle(Uint8Array.from(b), 0, opts).value;
    // SHORT_BINSTRING: one byte a character (latin1: 0x80 is U+0080, as torch.load(encoding='latin1') reads it).
    expect(run(0x80, 2, 0x55, 3, 0x61, 0xe9, 0x80, 0x2e)).toBe('a\u00e9\u0080');
    // GLOBAL names are latin1 too.
    expect(() => run(0x80, 2, 0x63, 0x6d, 0xe9, 0x0a, 0x78, 0x0a, 0x2e)).toThrow(/received global m\u00e9\.x at byte 2 of test\.pkl/);
    // SHORT_BINUNICODE: UTF-8, and invalid UTF-8 is an error, not U+FFFD.
    expect(run(0x80, 2, 0x8c, 3, 0x61, 0xc3, 0xa9, 0x2e)).toBe('a\u00e9');
    expect(() => run(0x80, 2, 0x8c, 1, 0xff, 0x2e)).toThrow(
      /^readTorchCheckpoint: expected a UTF-8 string at byte 2 of test\.pkl, received invalid UTF-8$/,
    );
  });
});
