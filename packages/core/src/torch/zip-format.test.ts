import { describe, expect, it } from 'vitest';
import { parseZipCheckpoint } from './zip-format.js';
import { f32Bytes, stateDictPickle, thrown, zipCheckpoint, zipFile } from '@tpfr/testing/torch-craft';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const pkl = stateDictPickle([{ name: 'w', key: '0', numel: 2, shape: [2] }], false);
const parseErr = (zip: Uint8Array): { reason: string; expected: string; received: string } => {
  const { reason, expected, received } = thrown(() => parseZipCheckpoint(zip));
  return { reason, expected, received };
};
const NOT_A_CHECKPOINT = 'a PyTorch zip checkpoint with an entry <archive>/data.pkl';

describe('parseZipCheckpoint', () => {
  it('returns the pickle and each storage’s region, cut to the bytes the storage needs', () => {
    const zip = zipFile([
      ['net_G/data.pkl', pkl],
      ['net_G/byteorder', text('little')],
      ['net_G/data/0', f32Bytes([1, 2, 3])],
      ['net_G/version', text('3\n')],
    ]);
    const parsed = parseZipCheckpoint(zip);
    expect(parsed).toMatchObject({ format: 'zip', where: 'net_G/data.pkl', pickleBytes: pkl.length });
    expect([...parsed.regions.keys()]).toEqual(['0']);
    const region = parsed.regions.get('0')!;
    expect([...new Float32Array(region.slice().buffer)]).toEqual([1, 2]);
    expect(region.buffer).toBe(zip.buffer);
  });

  it('takes the archive folder from the first entry, as PyTorch does', () => {
    // Top-level entries have no folder.
    const flat = zipFile([
      ['data.pkl', pkl],
      ['data/0', f32Bytes([1, 2])],
      ['version', text('3\n')],
    ]);
    expect(parseErr(flat)).toEqual({
      reason: 'not-a-checkpoint',
      expected: NOT_A_CHECKPOINT,
      received: "a zip whose entries are 'data.pkl', 'data/0', 'version'",
    });
    // Another folder's data.pkl does not count.
    const other = zipFile([
      ['docs/readme', text('hi')],
      ['archive/data.pkl', pkl],
      ['archive/data/0', f32Bytes([1, 2])],
    ]);
    expect(parseErr(other).received).toBe("a zip whose entries are 'docs/readme', 'archive/data.pkl', 'archive/data/0'");
    // A deeper first entry: the folder is its first segment.
    const deep = zipFile([
      ['archive/.data/serialization_id', text('123')],
      ['archive/data.pkl', pkl],
      ['archive/data/0', f32Bytes([1, 2])],
    ]);
    expect(parseZipCheckpoint(deep).where).toBe('archive/data.pkl');
  });

  it('lists at most five entries of a zip without data.pkl, then their count', () => {
    const files = (n: number): [string, Uint8Array][] => Array.from({ length: n }, (_, i) => [`f/${i}`, text('')]);
    expect(parseErr(zipFile([])).received).toBe('an empty zip archive');
    expect(parseErr(zipFile(files(1))).received).toBe("a zip whose entries are 'f/0'");
    expect(parseErr(zipFile(files(5))).received).toBe("a zip whose entries are 'f/0', 'f/1', 'f/2', 'f/3', 'f/4'");
    expect(parseErr(zipFile(files(6))).received).toBe("a zip whose entries are 'f/0', 'f/1', 'f/2', 'f/3', 'f/4', … (6)");
    expect(parseErr(zipFile(files(9)))).toEqual({
      reason: 'not-a-checkpoint',
      expected: NOT_A_CHECKPOINT,
      received: "a zip whose entries are 'f/0', 'f/1', 'f/2', 'f/3', 'f/4', … (9)",
    });
  });

  it('accepts byteorder "little" with or without a newline, and rejects any other', () => {
    const withOrder = (order: string): Uint8Array =>
      zipFile([
        ['archive/data.pkl', pkl],
        ['archive/byteorder', text(order)],
        ['archive/data/0', f32Bytes([1, 2])],
      ]);
    for (const order of ['little', 'little\n', ' little \n']) expect(parseZipCheckpoint(withOrder(order)).regions.size).toBe(1);
    const expected = "little-endian storages (archive/byteorder 'little')";
    expect(parseErr(withOrder('big\n'))).toEqual({ reason: 'unsupported', expected, received: "'big'" });
    expect(parseErr(withOrder('littlelittlelittlelittle'))).toEqual({
      reason: 'unsupported',
      expected,
      received: "'littlelittlelittleli'",
    });
    expect(parseErr(withOrder('')).received).toBe("''");
  });

  it('names the missing or short storage entry', () => {
    const missing = zipFile([
      ['archive/data.pkl', pkl],
      ['archive/data/1', f32Bytes([1, 2])],
    ]);
    expect(parseErr(missing)).toEqual({
      reason: 'corrupt',
      expected: "an entry 'archive/data/0' for storage '0' (2 × float32)",
      received: 'no such entry',
    });
    const short = zipCheckpoint(pkl, { '0': f32Bytes([1]) });
    expect(parseErr(short)).toEqual({ reason: 'truncated', expected: "8 bytes in 'archive/data/0' (2 × float32)", received: '4 bytes' });
  });

  it('rejects a deflated data.pkl', () => {
    const e = parseErr(zipCheckpoint(pkl, { '0': f32Bytes([1, 2]) }, 'archive', { method: 8 }));
    expect(e).toEqual({
      reason: 'unsupported',
      expected: "a stored (uncompressed, method 0) zip entry as torch.save writes for 'archive/data.pkl'",
      received: 'method 8 (deflate: the archive was re-zipped)',
    });
  });
});
