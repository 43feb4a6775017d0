import { describe, expect, it } from 'vitest';
import { readZipEntries, storedEntryBytes, checkEntryName, type ZipEntry } from './zip-reader.js';
import { craftZip, extraField, le16, le32, le64, stored, utf8, zip64Extra, type CraftEntry } from '@tpfr/testing/zip-craft';
import { readTorchCheckpoint } from './index.js';
import { writeTorchCheckpoint } from '@tpfr/testing';
import { f32Bytes, stateDictPickle, zipCheckpoint, zipFile, thrown } from '@tpfr/testing/torch-craft';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const pkl = stateDictPickle([{ name: 'w', key: '0', numel: 2, shape: [2] }], false);

describe('readZipEntries', () => {
  it('lists entries with zero-copy data views, also from a zip64 end record', () => {
    for (const zip64 of [false, true]) {
      const zip = zipFile(
        [
          ['a/x', text('hello')],
          ['a/y', text('')],
        ],
        { zip64 },
      );
      const entries = readZipEntries(zip);
      expect(entries.map((e) => e.name)).toEqual(['a/x', 'a/y']);
      const x = storedEntryBytes(zip, entries[0]!);
      expect(new TextDecoder().decode(x)).toBe('hello');
      expect(x.buffer).toBe(zip.buffer);
    }
  });

  it('reads the archives torch-style writers make (64-byte aligned data behind FB extra fields)', () => {
    const file = writeTorchCheckpoint([{ name: 'w', dtype: 'float32', shape: [3], data: new Float32Array([1, 2, 3]) }], {
      format: 'zip',
      archiveName: 'net_G',
    });
    const entries = readZipEntries(file);
    expect(entries.map((e) => e.name)).toEqual(['net_G/data.pkl', 'net_G/byteorder', 'net_G/data/0', 'net_G/version']);
    expect(entries.every((e) => e.dataOffset % 64 === 0)).toBe(true);
  });

  it.each(['../evil', '/etc/passwd', 'C:/Windows/x', 'archive/../../evil', 'archive\\..\\evil', '\\\\server\\share'])(
    'rejects the entry name %s',
    (name) => {
      const zip = zipFile([
        ['archive/data.pkl', pkl],
        ['archive/data/0', f32Bytes([1, 2])],
        ['archive/version', text('3\n')],
        [name, text('x')],
      ]);
      const e = thrown(() => readTorchCheckpoint(zip));
      expect(e.reason).toBe('unsafe-path');
      expect(e.message).toBe(
        `readTorchCheckpoint: expected zip entry names relative to the archive folder, without ".." or absolute paths, received '${name}'`,
      );
    },
  );

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
    const other = thrown(() =>
      readTorchCheckpoint(
        zipFile([
          ['photos/cat.jpg', text('x')],
          ['readme.txt', text('y')],
        ]),
      ),
    );
    expect(other.message).toContain("received a zip whose entries are 'photos/cat.jpg', 'readme.txt'");
    const full = zipCheckpoint(pkl, { '0': f32Bytes([1, 2]) });
    expect(thrown(() => readTorchCheckpoint(full.subarray(0, full.length - 1))).message).toContain('a zip end-of-central-directory record');
  });

  it('compressed entries, duplicate names', () => {
    const deflated = thrown(() => readTorchCheckpoint(zipCheckpoint(pkl, { '0': f32Bytes([1, 2]) }, 'archive', { method: 8 })));
    expect(deflated.reason).toBe('unsupported');
    expect(deflated.message).toContain('received method 8 (deflate: the archive was re-zipped)');
    const dup = thrown(() =>
      readTorchCheckpoint(
        zipFile([
          ['archive/data.pkl', pkl],
          ['archive/data.pkl', pkl],
        ]),
      ),
    );
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

const FAR = 0xffffffff;
const readErr = (zip: Uint8Array): { reason: string; expected: string; received: string } => {
  const { reason, expected, received } = thrown(() => readZipEntries(zip));
  return { reason, expected, received };
};

describe('readZipEntries: entries, against the offsets of a hand-built archive', () => {
  it('reads name, method, sizes and data offset, from the local header’s own name and extra lengths', () => {
    const z = craftZip(
      [
        stored('a/x', 'hello'),
        stored('a/y', 'abc', { extra: extraField(0x5455, [1, 2, 3, 4, 5]), comment: utf8('a comment') }),
        stored('a/z', 'zz', { localName: 'a/z-local-name', localExtra: extraField(0x4246, [0, 0, 0]) }),
        stored('a/é.bin', '', { flags: 0x0800 }),
      ],
      { prefix: utf8('#!stub\n') },
    );
    expect(readZipEntries(z.bytes)).toEqual([
      { name: 'a/x', method: 0, compressedSize: 5, size: 5, dataOffset: z.data[0] },
      { name: 'a/y', method: 0, compressedSize: 3, size: 3, dataOffset: z.data[1] },
      { name: 'a/z', method: 0, compressedSize: 2, size: 2, dataOffset: z.data[2] },
      { name: 'a/é.bin', method: 0, compressedSize: 0, size: 0, dataOffset: z.data[3] },
    ]);
    expect(z.data).toEqual([7 + 30 + 3, z.locals[1]! + 33, z.locals[2]! + 30 + 14 + 7, z.locals[3]! + 30 + 8]);
    const entries = readZipEntries(z.bytes);
    expect(entries.map((e) => new TextDecoder().decode(storedEntryBytes(z.bytes, e)))).toEqual(['hello', 'abc', 'zz', '']);
  });

  it('takes the sizes from the central directory when a data descriptor follows the data (flag 8)', () => {
    const z = craftZip([stored('a/x', 'hello', { flags: 0x0008 }), stored('a/y', 'world', { flags: 0x0808 })]);
    // The local headers say 0 bytes; the descriptors (PK\x07\x08, crc, sizes) follow each entry's data.
    expect(new DataView(z.bytes.buffer).getUint32(z.locals[0]! + 22, true)).toBe(0);
    const entries = readZipEntries(z.bytes);
    expect(entries.map((e) => [e.name, e.size, e.dataOffset])).toEqual([
      ['a/x', 5, z.data[0]],
      ['a/y', 5, z.data[1]],
    ]);
    expect(z.locals[1]).toBe(z.data[0]! + 5 + 16);
    expect(new TextDecoder().decode(storedEntryBytes(z.bytes, entries[1]!))).toBe('world');
  });

  it('reports the method and both sizes of a deflated entry (readZipEntries does not inflate)', () => {
    const z = craftZip([{ name: 'a/x', data: Uint8Array.of(0xcb, 0x48, 0xcd, 0xc9, 0x07), method: 8, size: 12 }]);
    expect(readZipEntries(z.bytes)).toEqual([{ name: 'a/x', method: 8, compressedSize: 5, size: 12, dataOffset: 33 }]);
  });

  it('allows an entry whose data runs to the last byte of the file', () => {
    const first = craftZip([stored('a/x', 'hello')]);
    const rest = first.bytes.length - 33;
    const z = craftZip([stored('a/x', 'hello', { size: rest, compressedSize: rest })]);
    const [e] = readZipEntries(z.bytes);
    expect(e).toMatchObject({ size: rest, dataOffset: 33 });
    expect(storedEntryBytes(z.bytes, e!).length).toBe(rest);
    // One byte more runs past the end.
    const over = craftZip([stored('a/x', 'hello', { size: rest + 1, compressedSize: rest + 1 })]);
    expect(readErr(over.bytes)).toEqual({
      reason: 'truncated',
      expected: `${rest + 1} bytes of 'a/x' at byte 33`,
      received: `${rest} (the file ends there)`,
    });
  });

  it('names the entry whose data runs past the end, and how many bytes are left', () => {
    const z = craftZip([stored('a/x', 'hello'), stored('a/big', 'data', { size: 1000, compressedSize: 1000 })]);
    expect(readErr(z.bytes)).toEqual({
      reason: 'truncated',
      expected: `1000 bytes of 'a/big' at byte ${z.data[1]}`,
      received: `${z.bytes.length - z.data[1]!} (the file ends there)`,
    });
  });

  it('reads a local header that ends at the last byte, and says 0 bytes are left when its name runs past the end', () => {
    const header = (nameLen: number): number[] => [
      ...le32(0x04034b50),
      ...le16(20),
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...le32(0),
      ...le32(0),
      ...le32(0),
      ...le16(nameLen),
      ...le16(0),
    ];
    const probe = craftZip([stored('a/e', '')], { trailer: Uint8Array.from(header(0)) });
    const at = probe.bytes.length - 30;
    const z = craftZip([stored('a/e', '', { localOffset: at })], { trailer: Uint8Array.from(header(0)) });
    const [e] = readZipEntries(z.bytes);
    expect(e).toEqual({ name: 'a/e', method: 0, compressedSize: 0, size: 0, dataOffset: z.bytes.length });
    expect(storedEntryBytes(z.bytes, e!).length).toBe(0);
    const past = craftZip([stored('a/e', '', { localOffset: at })], { trailer: Uint8Array.from(header(50)) });
    expect(readErr(past.bytes)).toEqual({
      reason: 'truncated',
      expected: `0 bytes of 'a/e' at byte ${past.bytes.length + 50}`,
      received: '0 (the file ends there)',
    });
  });

  it('rejects a local header offset past the end, or pointing at something else', () => {
    const len = craftZip([stored('a/x', 'hello')]).bytes.length;
    for (const at of [len - 10, len - 29, len + 100]) {
      const z = craftZip([stored('a/x', 'hello', { localOffset: at })]);
      expect(readErr(z.bytes)).toEqual({
        reason: 'corrupt',
        expected: `a local file header for 'a/x' at byte ${at}`,
        received: 'the end of the file',
      });
    }
    // A local signature in the last 29 bytes is still too close to the end.
    const tail = Uint8Array.from([...le32(0x04034b50), ...new Array<number>(25).fill(0)]);
    const nearLen = craftZip([stored('a/x', 'hello')], { trailer: tail }).bytes.length;
    for (const at of [nearLen - 29, nearLen - 4]) {
      const near = craftZip([stored('a/x', 'hello', { localOffset: at })], { trailer: tail });
      expect(readErr(near.bytes)).toEqual({
        reason: 'corrupt',
        expected: `a local file header for 'a/x' at byte ${at}`,
        received: 'the end of the file',
      });
    }
    // Room for a header at the last 30 bytes, but another signature there.
    const last = craftZip([stored('a/x', 'hello', { localOffset: nearLen - 29 })], { trailer: Uint8Array.from([0, ...tail]) });
    expect(readErr(last.bytes)).toEqual({
      reason: 'corrupt',
      expected: `a local file header for 'a/x' at byte ${nearLen - 29}`,
      received: 'another signature',
    });
    const sig = craftZip([stored('a/x', 'hello'), stored('a/y', 'bye', { localSignature: 0x02014b50 })]);
    expect(readErr(sig.bytes)).toEqual({
      reason: 'corrupt',
      expected: `a local file header for 'a/y' at byte ${sig.locals[1]}`,
      received: 'another signature',
    });
  });
});

describe('readZipEntries: the end record', () => {
  it('finds it behind the longest comment (65,535 bytes), and behind trailing bytes', () => {
    const long = craftZip([stored('a/x', 'hello')], { comment: new Uint8Array(0xffff).fill(0x20) });
    expect(readZipEntries(long.bytes).map((e) => e.name)).toEqual(['a/x']);
    const trailing = craftZip([stored('a/x', 'hello')], { trailer: new Uint8Array(0xffff).fill(0x20) });
    expect(readZipEntries(trailing.bytes).map((e) => e.name)).toEqual(['a/x']);
  });

  it('gives up 65,557 bytes before the end: one byte further is not searched', () => {
    const z = craftZip([stored('a/x', 'hello')], { trailer: new Uint8Array(0x10000).fill(0x20) });
    expect(readErr(z.bytes)).toEqual({
      reason: 'truncated',
      expected: 'a zip end-of-central-directory record (PK\\x05\\x06) in the last 65,557 bytes',
      received: `none in ${z.bytes.length} bytes (truncated or not a zip)`,
    });
  });

  it('says how many bytes it searched when there is none', () => {
    for (const n of [0, 10, 21, 22, 100]) {
      expect(readErr(new Uint8Array(n).fill(0x41)).received).toBe(`none in ${n} bytes (truncated or not a zip)`);
    }
  });

  it('skips a signature inside the comment whose comment would run past the end', () => {
    // A fake end record (0 entries) in the comment, its comment length one byte too long.
    const fake = (tail: number, lenField: number): Uint8Array =>
      Uint8Array.from([...le32(0x06054b50), ...new Array<number>(16).fill(0), ...le16(lenField), ...new Array<number>(tail).fill(0x2e)]);
    for (const tail of [0, 5, 40]) {
      const z = craftZip([stored('a/x', 'hello')], { comment: fake(tail, tail + 1) });
      expect(readZipEntries(z.bytes).map((e) => e.name)).toEqual(['a/x']);
    }
    // Whereas a fake one whose comment fits is the last end record: it wins (0 entries).
    const fits = craftZip([stored('a/x', 'hello')], { comment: fake(5, 5) });
    expect(readZipEntries(fits.bytes)).toEqual([]);
  });
});

describe('readZipEntries: zip64 end records', () => {
  it.each([
    ['the entry count', { count: 0xffff }],
    ['the directory size', { cdSize: FAR }],
    ['the directory offset', { cdOffset: FAR }],
  ] as const)('reads the zip64 record when %s alone is 0xffff…', (_, sentinel) => {
    const real = craftZip([stored('a/x', 'hello'), stored('a/y', 'bye')]);
    const z = craftZip([stored('a/x', 'hello'), stored('a/y', 'bye')], {
      zip64: {},
      count: 2,
      cdSize: real.cdSize,
      cdOffset: real.cdOffset,
      ...sentinel,
    });
    expect(readZipEntries(z.bytes)).toEqual(readZipEntries(real.bytes));
  });

  it('takes count, size and offset from the zip64 record', () => {
    // The zip64 record lists only the second record (the first is skipped over).
    const base = craftZip([stored('a/x', 'hello'), stored('a/y', 'bye')], { zip64: {} });
    const z = craftZip([stored('a/x', 'hello'), stored('a/y', 'bye')], {
      zip64: { count: 1, cdOffset: base.central[1]!, cdSize: base.cdSize - (base.central[1]! - base.cdOffset) },
    });
    expect(readZipEntries(z.bytes).map((e) => e.name)).toEqual(['a/y']);
  });

  it('needs the locator just before the end record', () => {
    const expected = 'a zip64 end-of-central-directory locator before the end record';
    const noLocator = craftZip([stored('a/x', 'hello')], { count: 0xffff });
    expect(readErr(noLocator.bytes)).toEqual({ reason: 'corrupt', expected, received: 'none' });
    const tooEarly = craftZip([], { count: 0xffff }); // the end record at byte 0: no room for a locator
    expect(readErr(tooEarly.bytes)).toEqual({ reason: 'corrupt', expected, received: 'none' });
    const badSig = craftZip([stored('a/x', 'hello')], { zip64: { locatorSignature: 0x07064b51 } });
    expect(readErr(badSig.bytes)).toEqual({ reason: 'corrupt', expected, received: 'none' });
  });

  it('reads a locator at byte 0 and a zip64 record ending at the last byte (in the comment)', () => {
    const record = [
      ...le32(0x06064b50),
      ...le64(44),
      ...le16(45),
      ...le16(45),
      ...le32(0),
      ...le32(0),
      ...le64(0),
      ...le64(0),
      ...le64(0),
      ...le64(0),
    ];
    const locator = [...le32(0x07064b50), ...le32(0), ...le64(42), ...le32(1)];
    const end = [...le32(0x06054b50), 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, ...le32(FAR), ...le32(FAR), ...le16(56)];
    const file = Uint8Array.from([...locator, ...end, ...record]);
    expect(file.length).toBe(42 + 56);
    expect(readZipEntries(file)).toEqual([]);
    const other = file.slice();
    other[42] = 0x51; // 'PQ\x06\x06'
    expect(readErr(other)).toEqual({
      reason: 'corrupt',
      expected: 'a zip64 end-of-central-directory record at byte 42',
      received: 'another signature',
    });
    // One byte short, the record runs past the end.
    expect(readErr(file.subarray(0, 97))).toMatchObject({ reason: 'truncated' }); // the end record's comment no longer fits
  });

  it('rejects a zip64 record offset past the end, beyond 2^53, or at another signature', () => {
    const len = craftZip([stored('a/x', 'hello')], { zip64: {} }).bytes.length;
    for (const at of [len - 30, len - 55, len]) {
      const z = craftZip([stored('a/x', 'hello')], { zip64: { recordOffset: at } });
      expect(readErr(z.bytes)).toEqual({
        reason: 'corrupt',
        expected: `a zip64 end-of-central-directory record at byte ${at}`,
        received: 'the end of the file',
      });
    }
    const max = craftZip([stored('a/x', 'hello')], { zip64: { recordOffset: 2 ** 53 - 1 } });
    expect(readErr(max.bytes)).toEqual({
      reason: 'corrupt',
      expected: 'a zip64 end-of-central-directory record at byte 9007199254740991',
      received: 'the end of the file',
    });
    const huge = craftZip([stored('a/x', 'hello')], { zip64: { recordOffset: 2n ** 53n } });
    expect(readErr(huge.bytes)).toEqual({
      reason: 'corrupt',
      expected: 'the zip64 end record offset below 2^53',
      received: '9007199254740992',
    });
    const other = craftZip([stored('a/x', 'hello')], { zip64: { signature: 0x06054b50 } });
    expect(readErr(other.bytes)).toEqual({
      reason: 'corrupt',
      expected: `a zip64 end-of-central-directory record at byte ${other.zip64At}`,
      received: 'another signature',
    });
  });

  it.each([
    ['count', 'the zip64 entry count'],
    ['cdSize', 'the zip64 central directory size'],
    ['cdOffset', 'the zip64 central directory offset'],
  ] as const)('rejects a zip64 %s of 2^53 or more', (field, what) => {
    const z = craftZip([stored('a/x', 'hello')], { zip64: { [field]: 2n ** 64n - 1n } });
    expect(readErr(z.bytes)).toEqual({ reason: 'corrupt', expected: `${what} below 2^53`, received: '18446744073709551615' });
  });
});

describe('readZipEntries: the central directory', () => {
  it('allows a directory that runs to the last byte, and rejects one a byte longer', () => {
    const probe = craftZip([stored('a/x', 'hello')]);
    const toEnd = probe.bytes.length - probe.cdOffset;
    expect(readZipEntries(craftZip([stored('a/x', 'hello')], { cdSize: toEnd }).bytes).map((e) => e.name)).toEqual(['a/x']);
    const over = craftZip([stored('a/x', 'hello')], { cdSize: toEnd + 1 });
    expect(readErr(over.bytes)).toEqual({
      reason: 'truncated',
      expected: `a central directory of ${toEnd + 1} bytes at byte ${probe.cdOffset}`,
      received: `a file of ${probe.bytes.length} bytes`,
    });
    const empty = craftZip([], { cdSize: 22, cdOffset: 0 });
    expect(readZipEntries(empty.bytes)).toEqual([]);
  });

  it('rejects more records than 46 bytes each can fit', () => {
    const z = craftZip([stored('a/x', 'hello')], { count: 2 });
    expect(z.cdSize).toBe(49);
    expect(readErr(z.bytes)).toEqual({
      reason: 'corrupt',
      expected: '2 central directory records (46+ bytes each) in 49 bytes',
      received: '49 bytes',
    });
  });

  it('rejects a record that starts too close to the end of the directory, or with another signature', () => {
    const z = craftZip([stored('a/a-long-name-0123', 'hello'), stored('a/y', 'bye')], { cdSize: 92 });
    expect(readErr(z.bytes)).toEqual({
      reason: 'corrupt',
      expected: `central directory record 1 of 2 at byte ${z.central[1]}`,
      received: 'the end of the directory',
    });
    const sig = craftZip([stored('a/x', 'hello'), stored('a/y', 'bye', { signature: 0x04034b50 })]);
    expect(readErr(sig.bytes)).toEqual({
      reason: 'corrupt',
      expected: `central directory record 1 of 2 at byte ${sig.central[1]}`,
      received: 'another signature',
    });
    // A last record of exactly 46 bytes (no name) ends at the end of the directory: its signature is what is wrong.
    const bare = craftZip([stored('a/x', 'hello'), stored('', 'x', { signature: 0x02014b51 })]);
    expect(bare.cdOffset + bare.cdSize - bare.central[1]!).toBe(46);
    expect(readErr(bare.bytes)).toEqual({
      reason: 'corrupt',
      expected: `central directory record 1 of 2 at byte ${bare.central[1]}`,
      received: 'another signature',
    });
  });

  it('rejects a record whose name, extra field or comment runs past the directory', () => {
    for (const more of [{ nameLen: 200 }, { extra: extraField(0x5455, [1, 2]) }, { comment: utf8('c') }]) {
      const z = craftZip([stored('a/x', 'hello', more)], { cdSize: 49 });
      expect(readErr(z.bytes)).toEqual({
        reason: 'truncated',
        expected: 'central directory record 0 within the directory',
        received: 'a record running past it',
      });
    }
  });

  it('steps over each record’s extra field and comment to the next record', () => {
    const z = craftZip([
      stored('a/x', 'hello', { extra: extraField(0x5455, [1, 2, 3, 4, 5]) }),
      stored('a/y', 'bye', { comment: utf8('a comment of some length') }),
      stored('a/z', 'zz', { extra: extraField(0x000a, new Array<number>(12).fill(0)), comment: utf8('!') }),
      stored('a/w', 'w'),
    ]);
    expect(readZipEntries(z.bytes).map((e) => e.name)).toEqual(['a/x', 'a/y', 'a/z', 'a/w']);
  });

  it('rejects an empty name, a duplicate name and an encrypted entry', () => {
    expect(readErr(craftZip([stored('a/x', 'hello'), stored('', 'x')]).bytes)).toEqual({
      reason: 'unsafe-path',
      expected: 'zip entry names relative to the archive folder, without ".." or absolute paths',
      received: "''",
    });
    expect(readErr(craftZip([stored('a/x', 'hello'), stored('a/x', 'again')]).bytes)).toEqual({
      reason: 'corrupt',
      expected: 'unique zip entry names',
      received: "'a/x' twice",
    });
    expect(readErr(craftZip([stored('a/x', 'hello'), stored('a/y', 'secret', { flags: 0x0001 })]).bytes)).toEqual({
      reason: 'unsupported',
      expected: 'unencrypted zip entries',
      received: "'a/y' encrypted",
    });
    // Other flags (a data descriptor, UTF-8 names) are fine.
    expect(readZipEntries(craftZip([stored('a/x', 'hello', { flags: 0x0808 })]).bytes)).toHaveLength(1);
  });
});

describe('readZipEntries: zip64 extra fields', () => {
  const deflated = (more: Partial<CraftEntry>): CraftEntry => ({
    name: 'a/x',
    data: Uint8Array.of(1, 2, 3, 4, 5),
    method: 8,
    size: 12,
    ...more,
  });
  // A field of another kind (NTFS times) before, and one after: only id 1 is read.
  const around = (zip64: number[]): number[] => [
    ...extraField(0x000a, [...le64(777), ...le64(888)]),
    ...zip64,
    ...extraField(0x7075, [1, 2, 3]),
  ];

  it('replaces size, compressed size and local offset, in that order, when they are 0xffffffff', () => {
    const z = craftZip([stored('a/pad', 'padding'), deflated({ size: FAR, compressedSize: FAR, localOffset: FAR })]);
    const at = z.locals[1]!;
    const full = craftZip([
      stored('a/pad', 'padding'),
      deflated({ size: FAR, compressedSize: FAR, localOffset: FAR, extra: around(zip64Extra(12, 5, at)) }),
    ]);
    expect(readZipEntries(full.bytes)[1]).toEqual({ name: 'a/x', method: 8, compressedSize: 5, size: 12, dataOffset: full.data[1] });
  });

  it.each([
    ['size', { size: FAR }, [12]],
    ['compressed size', { compressedSize: FAR }, [5]],
    ['size and compressed size', { size: FAR, compressedSize: FAR }, [12, 5]],
    ['compressed size and offset', { compressedSize: FAR, localOffset: FAR }, [5, 7 + 30 + 5]],
  ] as const)('reads only the fields that need it: %s', (_, sentinels, values) => {
    const pad = stored('a/pad', 'padding');
    const z = craftZip([pad, deflated({ ...sentinels, extra: around(zip64Extra(...values)) })]);
    expect(z.locals[1]).toBe(7 + 30 + 5);
    expect(readZipEntries(z.bytes)[1]).toEqual({ name: 'a/x', method: 8, compressedSize: 5, size: 12, dataOffset: z.data[1] });
  });

  it('reads the local offset alone', () => {
    const z = craftZip([stored('a/pad', 'padding'), stored('a/x', 'hello', { localOffset: FAR, extra: zip64Extra(42) })]);
    expect(z.locals[1]).toBe(42);
    expect(readZipEntries(z.bytes)[1]).toEqual({ name: 'a/x', method: 0, compressedSize: 5, size: 5, dataOffset: z.data[1] });
  });

  it('rejects a zip64 field too short for the values it must hold', () => {
    const short = craftZip([deflated({ size: FAR, compressedSize: FAR, extra: zip64Extra(12) })]);
    expect(readErr(short.bytes)).toEqual({
      reason: 'corrupt',
      expected: "a zip64 compressed size in the extra field of 'a/x'",
      received: 'a short field',
    });
    const empty = craftZip([deflated({ size: FAR, extra: [...extraField(0x5455, [9]), ...extraField(0x0001, [])] })]);
    expect(readErr(empty.bytes)).toEqual({
      reason: 'corrupt',
      expected: "a zip64 size in the extra field of 'a/x'",
      received: 'a short field',
    });
    const seven = craftZip([stored('a/x', 'hello', { localOffset: FAR, extra: extraField(0x0001, [0, 0, 0, 0, 0, 0, 0]) })]);
    expect(readErr(seven.bytes)).toEqual({
      reason: 'corrupt',
      expected: "a zip64 local header offset in the extra field of 'a/x'",
      received: 'a short field',
    });
  });

  it('rejects a zip64 value of 2^53 or more', () => {
    const z = craftZip([deflated({ size: FAR, extra: zip64Extra(2n ** 53n) })]);
    expect(readErr(z.bytes)).toEqual({ reason: 'corrupt', expected: "the zip64 size of 'a/x' below 2^53", received: '9007199254740992' });
  });

  it('keeps 0xffffffff when no zip64 field holds the value, and does not read one from the comment', () => {
    const z = craftZip([stored('a/x', 'hello', { size: FAR, compressedSize: FAR, comment: Uint8Array.from(zip64Extra(5, 5)) })]);
    expect(readErr(z.bytes)).toEqual({
      reason: 'truncated',
      expected: "4294967295 bytes of 'a/x' at byte 33",
      received: `${z.bytes.length - 33} (the file ends there)`,
    });
    const other = craftZip([
      stored('a/x', 'hello', { size: FAR, compressedSize: FAR, extra: extraField(0x0002, [...le64(5), ...le64(5)]) }),
    ]);
    expect(readErr(other.bytes).expected).toBe("4294967295 bytes of 'a/x' at byte 33");
  });
});

describe('checkEntryName', () => {
  it.each(['archive/data.pkl', 'archive/a:b', 'a/..b', 'a/b..', 'a/...', 'a/.', 'archive\\data\\0'])('accepts %s', (name) => {
    expect(() => checkEntryName(name)).not.toThrow();
  });

  it.each(['', '/a', '\\a', 'C:', 'z:/a', 'a/b\0c', 'a/..', '..', 'a/../b', 'a\\..\\b', 'a/..\\b'])('rejects %j', (name) => {
    const e = thrown(() => checkEntryName(name));
    expect([e.reason, e.received]).toEqual(['unsafe-path', `'${name}'`]);
  });
});

describe('storedEntryBytes', () => {
  const file = Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const entry = (more: Partial<ZipEntry>): ZipEntry => ({ name: 'a/x', method: 0, compressedSize: 4, size: 4, dataOffset: 3, ...more });

  it('is a view of the entry’s bytes', () => {
    const v = storedEntryBytes(file, entry({}));
    expect([...v]).toEqual([3, 4, 5, 6]);
    expect(v.buffer).toBe(file.buffer);
  });

  it.each([
    [entry({ method: 8, size: 9 }), 'method 8 (deflate: the archive was re-zipped)'],
    [entry({ method: 12 }), 'method 12'],
    [entry({ size: 5 }), 'method 0'],
  ])('rejects a compressed entry: %j', (e, received) => {
    const err = thrown(() => storedEntryBytes(file, e));
    expect(err).toMatchObject({
      reason: 'unsupported',
      expected: "a stored (uncompressed, method 0) zip entry as torch.save writes for 'a/x'",
      received,
    });
  });
});
