import { describe, expect, it } from 'vitest';
import { readZipEntries, storedEntryBytes, checkEntryName } from './zip-reader.js';
import { readTorchCheckpoint } from './index.js';
import { writeTorchCheckpoint } from '../testing/torch-writer.js';
import { f32Bytes, stateDictPickle, zipCheckpoint, zipFile, thrown } from './craft.test-util.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const pkl = stateDictPickle([{ name: 'w', key: '0', numel: 2, shape: [2] }], false);

describe('readZipEntries', () => {
  it('lists entries with zero-copy data views, also from a zip64 end record', () => {
    for (const zip64 of [false, true]) {
      const zip = zipFile([['a/x', text('hello')], ['a/y', text('')]], { zip64 });
      const entries = readZipEntries(zip);
      expect(entries.map((e) => e.name)).toEqual(['a/x', 'a/y']);
      const x = storedEntryBytes(zip, entries[0]!);
      expect(new TextDecoder().decode(x)).toBe('hello');
      expect(x.buffer).toBe(zip.buffer);
    }
  });

  it('reads the archives torch-style writers make (64-byte aligned data behind FB extra fields)', () => {
    const file = writeTorchCheckpoint([{ name: 'w', dtype: 'float32', shape: [3], data: new Float32Array([1, 2, 3]) }], { format: 'zip', archiveName: 'net_G' });
    const entries = readZipEntries(file);
    expect(entries.map((e) => e.name)).toEqual(['net_G/data.pkl', 'net_G/byteorder', 'net_G/data/0', 'net_G/version']);
    expect(entries.every((e) => e.dataOffset % 64 === 0)).toBe(true);
  });

  it.each(['../evil', '/etc/passwd', 'C:/Windows/x', 'archive/../../evil', 'archive\\..\\evil', '\\\\server\\share'])('rejects the entry name %s', (name) => {
    const zip = zipFile([['archive/data.pkl', pkl], ['archive/data/0', f32Bytes([1, 2])], ['archive/version', text('3\n')], [name, text('x')]]);
    const e = thrown(() => readTorchCheckpoint(zip));
    expect(e.reason).toBe('unsafe-path');
    expect(e.message).toBe(`readTorchCheckpoint: expected zip entry names relative to the archive folder, without ".." or absolute paths, received '${name}'`);
  });

  it('accepts names with dots that stay inside', () => {
    expect(() => checkEntryName('archive/.data/serialization_id')).not.toThrow();
    expect(() => checkEntryName('archive/data/a..b')).not.toThrow();
  });

  it('an empty zip, a zip without data.pkl, a zip cut short', () => {
    const empty = zipFile([]);
    expect(empty.length).toBe(22);
    const e = thrown(() => readTorchCheckpoint(empty));
    expect(e.reason).toBe('not-a-checkpoint');
    expect(e.message).toContain('expected a PyTorch zip checkpoint with an entry <archive>/data.pkl, received an empty zip archive');
    const other = thrown(() => readTorchCheckpoint(zipFile([['photos/cat.jpg', text('x')], ['readme.txt', text('y')]])));
    expect(other.message).toContain("received a zip whose entries are 'photos/cat.jpg', 'readme.txt'");
    const full = zipCheckpoint(pkl, { '0': f32Bytes([1, 2]) });
    expect(thrown(() => readTorchCheckpoint(full.subarray(0, full.length - 1))).message).toContain('a zip end-of-central-directory record');
  });

  it('compressed entries, duplicate names', () => {
    const deflated = thrown(() => readTorchCheckpoint(zipCheckpoint(pkl, { '0': f32Bytes([1, 2]) }, 'archive', { method: 8 })));
    expect(deflated.reason).toBe('unsupported');
    expect(deflated.message).toContain("received method 8 (deflate: the archive was re-zipped)");
    const dup = thrown(() => readTorchCheckpoint(zipFile([['archive/data.pkl', pkl], ['archive/data.pkl', pkl]])));
    expect(dup.message).toContain("received 'archive/data.pkl' twice");
  });

  it('a central directory or local header pointing past the end', () => {
    const zip = zipCheckpoint(pkl, { '0': f32Bytes([1, 2]) });
    const v = new DataView(zip.buffer);
    const bad = zip.slice();
    new DataView(bad.buffer).setUint32(zip.length - 6, zip.length, true); // central directory offset
    expect(thrown(() => readTorchCheckpoint(bad)).reason).toBe('truncated');
    const cd = v.getUint32(zip.length - 6, true);
    const bad2 = zip.slice();
    new DataView(bad2.buffer).setUint32(cd + 42, zip.length - 10, true); // first local header offset
    expect(thrown(() => readTorchCheckpoint(bad2)).reason).toBe('corrupt');
  });
});
