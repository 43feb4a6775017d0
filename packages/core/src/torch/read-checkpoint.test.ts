import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readTorchCheckpoint, CheckpointError, ForbiddenGlobalError, UnknownOpcodeError, TORCH_DTYPES } from './index.js';
import type { TorchDType, TorchTensor, TorchDataTypes } from './index.js';
import { writeTorchCheckpoint, type TorchStorage, type TorchTensorView, type WritableTorchTensor } from '@tpfr/testing';
import { ValueError } from '../errors.js';
import {
  bytes,
  f32Bytes,
  global,
  int,
  intTuple,
  legacyFile,
  OP,
  stateDictPickle,
  str,
  zipCheckpoint,
  zipFile,
  thrown,
} from '@tpfr/testing/torch-craft';

const FORMATS = ['legacy', 'zip'] as const;
const DTYPES = Object.keys(TORCH_DTYPES) as TorchDType[];

const rawBytes = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const sameBytes = (a: ArrayBufferView, b: ArrayBufferView): boolean => {
  const x = rawBytes(a);
  const y = rawBytes(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

/** A typed array of `dtype` with `n` elements from a seeded LCG (bools 0/1, floats any bits). */
function makeData<D extends TorchDType>(dtype: D, n: number, seed: number): TorchDataTypes[D] {
  const buffer = new ArrayBuffer(n * TORCH_DTYPES[dtype].bytes);
  const u8 = new Uint8Array(buffer);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < u8.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    u8[i] = dtype === 'bool' ? s >>> 31 : s >>> 24;
  }
  return TORCH_DTYPES[dtype].view(buffer) as TorchDataTypes[D];
}

const tensor = <D extends TorchDType>(name: string, dtype: D, shape: number[], seed = 1): TorchTensor =>
  ({
    name,
    dtype,
    shape,
    data: makeData(
      dtype,
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
  }) as TorchTensor;

/** A state dict of every dtype, the shapes a generator has, a 0-d int64 and an empty tensor. */
const EVERY_DTYPE: TorchTensor[] = [
  tensor('conv.weight', 'float32', [4, 3, 3, 3], 1),
  tensor('conv.bias', 'float32', [4], 2),
  tensor('bn.running_mean', 'float64', [4], 3),
  tensor('bn.num_batches_tracked', 'int64', [], 4),
  tensor('half.weight', 'float16', [2, 5], 5),
  tensor('bf.weight', 'bfloat16', [3, 1], 6),
  tensor('index', 'int64', [7], 7),
  tensor('i32', 'int32', [2, 2], 8),
  tensor('i16', 'int16', [3], 9),
  tensor('i8', 'int8', [5], 10),
  tensor('mask', 'uint8', [2, 3], 11),
  tensor('flags', 'bool', [4], 12),
  tensor('empty', 'float32', [0, 3], 13),
];

function expectSame(read: Map<string, TorchTensor>, written: readonly TorchTensor[]): void {
  expect([...read.keys()]).toEqual(written.map((t) => t.name));
  for (const w of written) {
    const r = read.get(w.name)!;
    expect(r.name).toBe(w.name);
    expect(r.dtype).toBe(w.dtype);
    expect(r.shape).toEqual(w.shape);
    expect(r.data.constructor).toBe(w.data.constructor);
    expect(sameBytes(r.data, w.data)).toBe(true);
  }
}

describe('readTorchCheckpoint: round trips through writeTorchCheckpoint', () => {
  it.each(FORMATS)('%s: every dtype, in order, bit-exact', (format) => {
    const file = writeTorchCheckpoint(EVERY_DTYPE, { format });
    const ck = readTorchCheckpoint(file);
    expect(ck.format).toBe(format);
    expect(ck.ignored).toEqual([]);
    expectSame(ck.tensors, EVERY_DTYPE);
    const nbt = ck.tensors.get('bn.num_batches_tracked')!;
    expect(nbt.shape).toEqual([]);
    expect(nbt.data).toBeInstanceOf(BigInt64Array);
    expect(nbt.data.length).toBe(1);
  });

  it.each(FORMATS)('%s: accepts a Node Buffer and a Uint8Array at an offset of a larger buffer', (format) => {
    const file = writeTorchCheckpoint(EVERY_DTYPE, { format });
    expectSame(readTorchCheckpoint(Buffer.from(file)).tensors, EVERY_DTYPE);
    const padded = new Uint8Array(file.length + 7);
    padded.set(file, 3);
    expectSame(readTorchCheckpoint(padded.subarray(3, 3 + file.length)).tensors, EVERY_DTYPE);
  });

  it('random state dicts of any dtype and shape (seeded property)', () => {
    const tensorArb = fc.record({
      dtype: fc.constantFrom(...DTYPES),
      shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(fc.array(tensorArb, { maxLength: 8 }), fc.constantFrom(...FORMATS), (specs, format) => {
        const tensors = specs.map((s, i) => tensor(`m.${i}.${s.dtype}`, s.dtype, s.shape, s.seed));
        expectSame(readTorchCheckpoint(writeTorchCheckpoint(tensors, { format })).tensors, tensors);
      }),
      { seed: 1, numRuns: 150 },
    );
  });
});

describe('readTorchCheckpoint: storages shared by several tensors', () => {
  const storage: TorchStorage = { dtype: 'float32', data: Float32Array.from({ length: 24 }, (_, i) => i) };
  const views: TorchTensorView[] = [
    { name: 'whole', storage, shape: [24] },
    { name: 'rows', storage, offset: 4, shape: [2, 3] },
    { name: 'transposed', storage, shape: [6, 4], stride: [1, 6] },
    { name: 'odd_columns', storage, offset: 1, shape: [4, 3], stride: [6, 2] },
    { name: 'scalar', storage, offset: 23, shape: [] },
    { name: 'broadcast', storage, offset: 5, shape: [3, 2], stride: [0, 1] },
  ];
  const expected: Record<string, number[]> = {
    whole: [...storage.data],
    rows: [4, 5, 6, 7, 8, 9],
    transposed: [0, 6, 12, 18, 1, 7, 13, 19, 2, 8, 14, 20, 3, 9, 15, 21, 4, 10, 16, 22, 5, 11, 17, 23],
    odd_columns: [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23],
    scalar: [23],
    broadcast: [5, 6, 5, 6, 5, 6],
  };

  it.each(FORMATS)('%s: offsets, strides (copied out in C order), 0-d; one storage in the file', (format) => {
    const file = writeTorchCheckpoint(views, { format });
    // One storage of 96 bytes, not six: the same views on copies take at least 5 × 96 bytes more.
    const copies = views.map((v) => ({ ...v, storage: { dtype: 'float32', data: storage.data.slice() } as TorchStorage }));
    expect(writeTorchCheckpoint(copies, { format }).length - file.length).toBeGreaterThanOrEqual(5 * 96);
    const ck = readTorchCheckpoint(file);
    for (const v of views) {
      const t = ck.tensors.get(v.name)!;
      expect(t.shape).toEqual(v.shape);
      expect([...t.data]).toEqual(expected[v.name]);
    }
    // Every tensor owns its data: nothing aliases the file or another tensor.
    const whole = ck.tensors.get('whole')!.data as Float32Array;
    whole[5] = -1;
    expect(ck.tensors.get('rows')!.data[1]).toBe(5);
    expect(ck.tensors.get('whole')!.data.buffer).not.toBe(file.buffer);
  });

  it.each(FORMATS)('%s: tied weights (the same array twice) are one storage', (format) => {
    const w = tensor('enc.weight', 'float32', [3, 4]);
    const tied: TorchTensor = { ...w, name: 'dec.weight' } as TorchTensor;
    const ck = readTorchCheckpoint(writeTorchCheckpoint([w, tied], { format }));
    expectSame(ck.tensors, [w, tied]);
  });

  it('random views of one storage match direct indexing (seeded property)', () => {
    const viewArb = fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }),
      stride: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 3, maxLength: 3 }),
      offset: fc.nat({ max: 40 }),
    });
    fc.assert(
      fc.property(fc.array(viewArb, { minLength: 1, maxLength: 5 }), fc.constantFrom(...FORMATS), (specs, format) => {
        const data = Float64Array.from({ length: 64 }, (_, i) => i * 1.5);
        const st: TorchStorage = { dtype: 'float64', data };
        const vs = specs.map((s, i) => ({
          name: `v${i}`,
          storage: st,
          offset: s.offset,
          shape: s.shape,
          stride: s.stride.slice(0, s.shape.length),
        }));
        const fits = vs.filter((v) => v.offset + v.shape.reduce((a, d, i) => a + (d - 1) * v.stride[i]!, 0) < data.length);
        const ck = readTorchCheckpoint(writeTorchCheckpoint(fits, { format }));
        for (const v of fits) {
          const want: number[] = [];
          const rec = (d: number, at: number): void => {
            if (d === v.shape.length) want.push(data[at]!);
            else for (let i = 0; i < v.shape[d]!; i++) rec(d + 1, at + i * v.stride[d]!);
          };
          rec(0, v.offset);
          expect([...ck.tensors.get(v.name)!.data]).toEqual(want);
        }
      }),
      { seed: 1, numRuns: 150 },
    );
  });
});

describe('readTorchCheckpoint: what PyTorch 2.x adds', () => {
  it('a Parameter (_rebuild_parameter), the 7th metadata argument of _rebuild_tensor_v2, an UntypedStorage, the extra zip records', () => {
    const od = bytes(global('collections', 'OrderedDict'), OP.EMPTY_TUPLE, OP.REDUCE);
    const pid = (type: [string, string], key: string, numel: number) =>
      bytes(OP.MARK, str('storage'), global(...type), str(key), str('cpu'), int(numel), OP.TUPLE, OP.BINPERSID);
    const pkl = bytes(
      OP.PROTO2,
      od,
      OP.MARK,
      str('p'),
      global('torch._utils', '_rebuild_parameter'),
      OP.MARK,
      global('torch._utils', '_rebuild_tensor_v2'),
      OP.MARK,
      pid(['torch', 'HalfStorage'], '0', 2),
      int(0),
      intTuple([2]),
      intTuple([1]),
      OP.NEWTRUE,
      od,
      OP.EMPTY_DICT,
      OP.TUPLE,
      OP.REDUCE,
      OP.NEWTRUE,
      od,
      OP.TUPLE,
      OP.REDUCE,
      str('u'),
      global('torch._utils', '_rebuild_tensor_v2'),
      OP.MARK,
      pid(['torch.storage', 'UntypedStorage'], '1', 3),
      int(0),
      intTuple([3]),
      intTuple([1]),
      OP.NEWFALSE,
      od,
      OP.TUPLE,
      OP.REDUCE,
      OP.SETITEMS,
      OP.STOP,
    );
    const t = (s: string) => new TextEncoder().encode(s);
    const zip = zipFile([
      ['archive/data.pkl', pkl],
      ['archive/.format_version', t('1')],
      ['archive/.storage_alignment', t('64')],
      ['archive/byteorder', t('little')],
      ['archive/data/0', new Uint8Array(new Uint16Array([0x3c00, 0xc000]).buffer)],
      ['archive/data/1', bytes(7, 8, 9)],
      ['archive/version', t('3\n')],
      ['archive/.data/serialization_id', t('1234567890')],
    ]);
    const ck = readTorchCheckpoint(zip);
    expect([...ck.tensors.values()].map((x) => [x.name, x.dtype, x.shape, [...x.data]])).toEqual([
      ['p', 'float16', [2], [0x3c00, 0xc000]],
      ['u', 'uint8', [3], [7, 8, 9]],
    ]);
  });
});

describe('readTorchCheckpoint: files that are not checkpoints', () => {
  it('a zero-byte file', () => {
    const e = thrown(() => readTorchCheckpoint(new Uint8Array(0)));
    expect(e.reason).toBe('not-a-checkpoint');
    expect(e.message).toMatch(/^readTorchCheckpoint: expected a PyTorch checkpoint .*, received 0 bytes \(an empty file\)$/);
  });

  it('a PNG, a JPEG, random bytes', () => {
    const png = bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, ...new TextEncoder().encode('IHDR'));
    expect(thrown(() => readTorchCheckpoint(png)).message).toContain('received a PNG image, 16 bytes');
    expect(thrown(() => readTorchCheckpoint(bytes(0xff, 0xd8, 0xff, 0xe0))).message).toContain('a JPEG image');
    const e = thrown(() => readTorchCheckpoint(bytes(1, 2, 3, 4, 5, 6, 7, 8, 9)));
    expect(e.reason).toBe('not-a-checkpoint');
    expect(e.message).toContain('received 9 bytes starting 01 02 03 04 05 06 07 08');
  });

  it('a pickle that is not a torch legacy file', () => {
    const e = thrown(() => readTorchCheckpoint(bytes(OP.PROTO2, OP.EMPTY_DICT, OP.STOP)));
    expect(e.message).toContain('a pickle without the PyTorch magic number');
  });

  it('rejects a non-Uint8Array', () => {
    expect(thrown(() => readTorchCheckpoint('model.pth' as unknown as Uint8Array)).message).toContain('received string');
  });
});

describe('readTorchCheckpoint: truncated and corrupt files', () => {
  const small: TorchTensor[] = [tensor('a', 'float32', [2, 3]), tensor('n', 'int64', []), tensor('h', 'float16', [3])];

  it.each(FORMATS)('%s: every cut point throws a CheckpointError', (format) => {
    const file = writeTorchCheckpoint(small, { format });
    const reasons = new Set<string>();
    for (let cut = 0; cut < file.length; cut++) reasons.add(thrown(() => readTorchCheckpoint(file.subarray(0, cut))).reason);
    expect([...reasons].every((r) => ['truncated', 'not-a-checkpoint', 'corrupt'].includes(r))).toBe(true);
    expect(reasons.has('truncated')).toBe(true);
  });

  it('cut at any point of random checkpoints: decode or typed error (seeded property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...DTYPES), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...FORMATS),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (dtypes, format, where) => {
          const file = writeTorchCheckpoint(
            dtypes.map((d, i) => tensor(`t${i}`, d, [i + 1, 2], i)),
            { format },
          );
          const cut = Math.floor(where * file.length);
          try {
            readTorchCheckpoint(file.subarray(0, cut));
          } catch (e) {
            if (!(e instanceof CheckpointError)) throw e;
          }
        },
      ),
      { seed: 1, numRuns: 300 },
    );
  });

  it('corrupted bytes anywhere: decode or typed error, never a crash (seeded property)', () => {
    const files = FORMATS.map((format) => writeTorchCheckpoint(small, { format }));
    fc.assert(
      fc.property(
        fc.nat({ max: 1 }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (which, edits) => {
          const file = files[which]!.slice();
          for (const [where, value] of edits) file[Math.min(file.length - 1, Math.floor(where * file.length))] = value;
          try {
            readTorchCheckpoint(file);
          } catch (e) {
            if (!(e instanceof CheckpointError)) throw e;
          }
        },
      ),
      { seed: 1, numRuns: 1000 },
    );
  });

  it('zip: a storage claiming 2^40 elements throws before allocating', () => {
    const pkl = stateDictPickle([{ name: 'w', key: '0', numel: 2 ** 40, shape: [2 ** 40] }], false);
    const e = thrown(() => readTorchCheckpoint(zipCheckpoint(pkl, { '0': f32Bytes([1, 2, 3, 4]) })));
    expect(e.reason).toBe('truncated');
    expect(e.message).toContain(`expected ${2 ** 42} bytes in 'archive/data/0' (${2 ** 40} × float32), received 16 bytes`);
  });

  it('legacy: a storage claiming 2^40 elements throws before allocating', () => {
    const state = stateDictPickle([{ name: 'w', key: '0', numel: 2 ** 40, shape: [2 ** 40] }], true);
    const e = thrown(() => readTorchCheckpoint(legacyFile(state, ['0'], [{ count: 2 ** 40, bytes: f32Bytes([1, 2]) }])));
    expect(e.reason).toBe('truncated');
    expect(e.message).toContain(`storage '0' of ${2 ** 40} × float32`);
  });

  it('a 2^40-element view of a 1-element storage (stride 0) is refused by maxBytes', () => {
    const pkl = stateDictPickle([{ name: 'w', key: '0', numel: 1, shape: [2 ** 40], stride: [0] }], false);
    const e = thrown(() => readTorchCheckpoint(zipCheckpoint(pkl, { '0': f32Bytes([1]) })));
    expect(e.reason).toBe('too-large');
    expect(e.message).toContain('(opts.maxBytes)');
  });

  it('maxBytes bounds the total of tensor data', () => {
    const file = writeTorchCheckpoint([tensor('a', 'float32', [100]), tensor('b', 'float32', [100])], { format: 'zip' });
    expect(readTorchCheckpoint(file, { maxBytes: 800 }).tensors.size).toBe(2);
    const e = thrown(() => readTorchCheckpoint(file, { maxBytes: 799 }));
    expect(e.message).toBe(
      "readTorchCheckpoint: expected at most 799 bytes of tensor data (opts.maxBytes), received 800 bytes by tensor 'b'",
    );
  });

  it('a tensor outside its storage', () => {
    const pkl = stateDictPickle([{ name: 'w', key: '0', numel: 4, offset: 2, shape: [3] }], false);
    const e = thrown(() => readTorchCheckpoint(zipCheckpoint(pkl, { '0': f32Bytes([1, 2, 3, 4]) })));
    expect(e.reason).toBe('corrupt');
    expect(e.message).toContain(
      "tensor 'w' (size [3], stride [1], offset 2) inside its storage '0' of 4 elements, received a last element at index 4",
    );
  });

  it('legacy: an element count that disagrees with the persistent id, a key list without a used key', () => {
    const state = stateDictPickle([{ name: 'w', key: 'k', numel: 2, shape: [2] }], true);
    expect(thrown(() => readTorchCheckpoint(legacyFile(state, ['k'], [{ count: 3, bytes: f32Bytes([1, 2, 3]) }]))).message).toContain(
      "expected 2 elements for storage 'k'",
    );
    expect(thrown(() => readTorchCheckpoint(legacyFile(state, [], []))).message).toContain("storage 'k' of the state dict in the key list");
    expect(readTorchCheckpoint(legacyFile(state, ['k'], [{ count: 2, bytes: f32Bytes([1, 2]) }])).tensors.get('w')!.data).toEqual(
      new Float32Array([1, 2]),
    );
  });

  it('zip: a missing storage entry, an unsafe storage key, a big-endian byteorder', () => {
    const pkl = stateDictPickle([{ name: 'w', key: '0', numel: 1, shape: [] }], false);
    expect(thrown(() => readTorchCheckpoint(zipCheckpoint(pkl, {}))).message).toContain(
      "expected an entry 'archive/data/0' for storage '0'",
    );
    const evilKey = stateDictPickle([{ name: 'w', key: '../../x', numel: 1, shape: [] }], false);
    expect(thrown(() => readTorchCheckpoint(zipCheckpoint(evilKey, {}))).message).toContain('a storage key made of letters, digits');
    const big = writeTorchCheckpoint([tensor('a', 'float32', [1])], { format: 'zip' });
    const at = Buffer.from(big).indexOf('little');
    big.set(new TextEncoder().encode('bigxxx'), at);
    expect(thrown(() => readTorchCheckpoint(big)).reason).toBe('unsupported');
  });
});

describe('readTorchCheckpoint: pickles are only data', () => {
  const evil = bytes(OP.PROTO2, global('os', 'system'), str('echo pwned'), OP.TUPLE1, OP.REDUCE, OP.STOP);

  it('zip: GLOBAL os.system in data.pkl', () => {
    const e = thrown(() => readTorchCheckpoint(zipCheckpoint(evil, {})));
    expect(e).toBeInstanceOf(ForbiddenGlobalError);
    expect((e as ForbiddenGlobalError).global).toBe('os.system');
    expect(e.message).toContain('received global os.system at byte 2 of archive/data.pkl');
  });

  it('legacy: GLOBAL os.system in the state dict, STACK_GLOBAL builtins.eval', () => {
    expect((thrown(() => readTorchCheckpoint(legacyFile(evil, [], []))) as ForbiddenGlobalError).global).toBe('os.system');
    const stackGlobal = bytes(
      0x80,
      4,
      0x8c,
      8,
      ...new TextEncoder().encode('builtins'),
      0x8c,
      4,
      ...new TextEncoder().encode('eval'),
      OP.STACK_GLOBAL,
      OP.STOP,
    );
    const e = thrown(() => readTorchCheckpoint(zipCheckpoint(stackGlobal, {})));
    expect((e as ForbiddenGlobalError).global).toBe('builtins.eval');
  });

  it('an unknown opcode', () => {
    const e = thrown(() => readTorchCheckpoint(zipCheckpoint(bytes(OP.PROTO2, 0x8f, OP.STOP), {})));
    expect(e).toBeInstanceOf(UnknownOpcodeError);
    expect(e.message).toContain('received opcode 0x8f at byte 2 of archive/data.pkl');
  });

  it('keys that are not tensors are ignored and listed; nested dicts are flattened', () => {
    const pkl = bytes(
      OP.PROTO2,
      OP.EMPTY_DICT,
      OP.MARK,
      str('epoch'),
      int(3),
      str('model'),
      stateDictPickle([{ name: 'w', key: '0', numel: 1, shape: [] }], false).subarray(2, -1),
      OP.SETITEMS,
      OP.STOP,
    );
    const ck = readTorchCheckpoint(zipCheckpoint(pkl, { '0': f32Bytes([7]) }));
    expect(ck.ignored).toEqual(['epoch']);
    expect([...ck.tensors.keys()]).toEqual(['model.w']);
    expect(thrown(() => readTorchCheckpoint(zipCheckpoint(bytes(OP.PROTO2, OP.EMPTY_LIST, OP.STOP), {}))).message).toContain(
      'a dict of tensors (a state_dict)',
    );
  });
});

describe('writeTorchCheckpoint: input checks', () => {
  it('throws ValueError for a wrong array type or length, duplicate names, a view outside its storage, a bad format', () => {
    const cases: [WritableTorchTensor[], string][] = [
      [[{ name: 'a', dtype: 'float32', shape: [2], data: new Float64Array(2) } as unknown as TorchTensor], 'expected a Float32Array'],
      [[{ name: 'a', dtype: 'int64', shape: [3], data: new BigInt64Array(2) }], 'expected 3 elements'],
      [[tensor('a', 'uint8', [1]), tensor('a', 'uint8', [1])], 'unique string tensor names'],
      [[{ name: 'v', storage: { dtype: 'int8', data: new Int8Array(4) }, offset: 2, shape: [3] }], 'inside its storage of 4 elements'],
    ];
    for (const [input, text] of cases) {
      expect(() => writeTorchCheckpoint(input, { format: 'zip' })).toThrow(ValueError);
      expect(() => writeTorchCheckpoint(input, { format: 'zip' })).toThrow(text);
    }
    expect(() => writeTorchCheckpoint([], { format: 'tar' as 'zip' })).toThrow("format 'legacy' or 'zip'");
  });

  it('writes a Map (as readTorchCheckpoint returns) and an empty state dict', () => {
    for (const format of FORMATS) {
      const ck = readTorchCheckpoint(writeTorchCheckpoint(EVERY_DTYPE, { format }));
      expectSame(readTorchCheckpoint(writeTorchCheckpoint(ck.tensors, { format })).tensors, EVERY_DTYPE);
      expect(readTorchCheckpoint(writeTorchCheckpoint([], { format })).tensors.size).toBe(0);
    }
  });
});

describe('readTorchCheckpoint: its input and options', () => {
  it('names what it got instead of a Uint8Array', () => {
    const cases: [unknown, string][] = [
      [null, 'null'],
      [undefined, 'undefined'],
      [42, 'number'],
      ['model.pth', 'string'],
      [{}, 'Object'],
      [[0x50, 0x4b, 3, 4], 'Array'],
      [new ArrayBuffer(4), 'ArrayBuffer'],
      [new Uint16Array(2), 'Uint16Array'],
      [Object.create(null), 'an object'],
    ];
    for (const [input, received] of cases) {
      const e = thrown(() => readTorchCheckpoint(input as Uint8Array));
      expect(e.reason).toBe('not-a-checkpoint');
      expect(e.message).toBe(`readTorchCheckpoint: expected the file as a Uint8Array, received ${received}`);
    }
  });

  it('refuses a negative or NaN maxBytes; 0 reads files of empty tensors only', () => {
    const file = writeTorchCheckpoint([tensor('a', 'float32', [2])], { format: 'zip' });
    for (const maxBytes of [-1, NaN]) {
      const e = thrown(() => readTorchCheckpoint(file, { maxBytes }));
      expect(e.reason).toBe('corrupt');
      expect(e.message).toBe(`readTorchCheckpoint: expected opts.maxBytes ≥ 0, received ${maxBytes}`);
    }
    const empty = writeTorchCheckpoint([tensor('e', 'float32', [0, 3]), tensor('z', 'int64', [4, 0])], { format: 'legacy' });
    expect([...readTorchCheckpoint(empty, { maxBytes: 0 }).tensors.values()].map((t) => t.shape)).toEqual([
      [0, 3],
      [4, 0],
    ]);
    expect(thrown(() => readTorchCheckpoint(file, { maxBytes: 0 })).message).toBe(
      "readTorchCheckpoint: expected at most 0 bytes of tensor data (opts.maxBytes), received 8 bytes by tensor 'a'",
    );
    expect(readTorchCheckpoint(file, { maxBytes: Infinity }).tensors.get('a')!.data).toEqual(tensor('a', 'float32', [2]).data);
  });

  it('maxBytes defaults to 4 × the file size + 1 MiB (a stride-0 view of one element at the bound)', () => {
    const storage: TorchStorage = { dtype: 'float32', data: new Float32Array([2.5]) };
    // The file's size depends on the view's length only through the pickled int, which has one size here.
    const broadcast = (n: number) => writeTorchCheckpoint([{ name: 'b', storage, shape: [n], stride: [0] }], { format: 'zip' });
    const size = broadcast(2 ** 18).length;
    const n = 2 ** 18 + size; // n × 4 bytes = 4 × size + 2^20
    expect(broadcast(n).length).toBe(size);
    const t = readTorchCheckpoint(broadcast(n)).tensors.get('b')!;
    expect([t.data.length, t.data[0], t.data[n - 1]]).toEqual([n, 2.5, 2.5]);
    const e = thrown(() => readTorchCheckpoint(broadcast(n + 1)));
    expect(e.reason).toBe('too-large');
    expect(e.message).toBe(
      `readTorchCheckpoint: expected at most ${4 * size + 2 ** 20} bytes of tensor data (opts.maxBytes), received ${4 * (n + 1)} bytes by tensor 'b'`,
    );
  });
});
