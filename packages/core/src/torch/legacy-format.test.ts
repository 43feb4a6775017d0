import { describe, expect, it } from 'vitest';
import { readTorchCheckpoint, ForbiddenGlobalError } from './index.js';
import { LEGACY_MAGIC, LEGACY_PROTOCOL, parseLegacyCheckpoint } from './legacy-format.js';
import { bytes, f32Bytes, global, int, OP, stateDictPickle, str, thrown, type CraftTensor, type Part } from '@tpfr/testing/torch-craft';

/**
 * The legacy format (torch.save(..., _use_new_zipfile_serialization=False)), one pickle at a
 * time: each part of the file can be replaced by a broken one.
 */
const pickle = (...body: Part[]): Uint8Array => bytes(OP.PROTO2, ...body, OP.STOP);
const MAGIC = pickle(int(LEGACY_MAGIC));
const PROTOCOL = pickle(int(LEGACY_PROTOCOL));
const sysInfo = (entries: readonly (readonly [string, Part])[]): Uint8Array =>
  pickle(OP.EMPTY_DICT, ...entries.flatMap(([k, v]): Part[] => [str(k), v, OP.SETITEM]));
/** What PyTorch writes: protocol_version, little_endian, type_sizes. */
const SYS_INFO = sysInfo([
  ['protocol_version', int(1001)],
  ['little_endian', OP.NEWTRUE],
  ['type_sizes', bytes(OP.EMPTY_DICT, str('short'), int(2), OP.SETITEM, str('int'), int(4), OP.SETITEM, str('long'), int(4), OP.SETITEM)],
]);
/** A pickled list of the items (pickled values). */
const list = (...items: Part[]): Uint8Array => pickle(OP.EMPTY_LIST, items.length ? [OP.MARK, ...bytes(...items), OP.APPENDS] : []);
const keyList = (...keys: string[]): Uint8Array => list(...keys.map(str));
/** A storage's record after the key list: int64 element count, then the bytes. */
const record = (count: number | bigint, data: Uint8Array): Uint8Array => {
  const out = new Uint8Array(8 + data.length);
  new DataView(out.buffer).setBigInt64(0, BigInt(count), true);
  out.set(data, 8);
  return out;
};

interface Parts {
  magic?: Uint8Array;
  protocol?: Uint8Array;
  sysInfo?: Uint8Array;
  state: Uint8Array;
  keys: Uint8Array;
  data?: Uint8Array[];
}
const file = (p: Parts): Uint8Array =>
  bytes(p.magic ?? MAGIC, p.protocol ?? PROTOCOL, p.sysInfo ?? SYS_INFO, p.state, p.keys, ...(p.data ?? []));
/** Where the storage records start in `file(p)`. */
const dataStart = (p: Parts): number => file({ ...p, data: [] }).length;

const W: CraftTensor[] = [{ name: 'w', key: 'k', numel: 2, shape: [2] }];
const STATE = stateDictPickle(W, true);
const GOOD: Parts = { state: STATE, keys: keyList('k'), data: [record(2, f32Bytes([1.5, -2]))] };

const message = (f: () => unknown): string => thrown(f).message;
const EVAL = pickle(global('builtins', 'eval'));

describe('legacy format: the five pickles', () => {
  it('the hand-made pieces make the same head as PyTorch (sniffed as legacy) and read back', () => {
    expect([...MAGIC.subarray(0, 14)]).toEqual([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]);
    const ck = readTorchCheckpoint(file(GOOD));
    expect(ck.format).toBe('legacy');
    expect([...ck.tensors.values()].map((t) => [t.name, t.dtype, t.shape, [...t.data]])).toEqual([['w', 'float32', [2], [1.5, -2]]]);
  });

  it('parseLegacyCheckpoint: the state dict, its pickle and its size, each storage region exactly', () => {
    const f = file(GOOD);
    const parsed = parseLegacyCheckpoint(f);
    expect(parsed.format).toBe('legacy');
    expect(parsed.where).toBe('the legacy state-dict pickle');
    expect(parsed.pickleBytes).toBe(STATE.length);
    expect(parsed.root).toBeInstanceOf(Map);
    expect([...(parsed.root as Map<string, unknown>).keys()]).toEqual(['w']);
    expect([...parsed.regions.keys()]).toEqual(['k']);
    expect([...parsed.regions.get('k')!]).toEqual([...f32Bytes([1.5, -2])]);
    expect(parsed.regions.get('k')!.byteOffset).toBe(dataStart(GOOD) + 8);
  });

  it('a first pickle that is not the magic number', () => {
    for (const [magic, received] of [
      [pickle(int(LEGACY_MAGIC + 1n)), `the number ${LEGACY_MAGIC + 1n}`],
      [pickle(int(1001)), 'the number 1001'],
      [pickle(str('PK')), "'PK'"],
    ] as const) {
      const e = thrown(() => parseLegacyCheckpoint(file({ ...GOOD, magic })));
      expect(e.reason).toBe('not-a-checkpoint');
      expect(e.message).toBe(
        `readTorchCheckpoint: expected the legacy PyTorch magic number 0x1950a86a20f9469cfc6c as the first pickle, received ${received}`,
      );
    }
  });

  it('a protocol version other than 1001', () => {
    for (const [protocol, received] of [
      [pickle(int(1000)), 'the number 1000'],
      [pickle(str('1001')), "'1001'"],
      [pickle(OP.NONE), 'None'],
    ] as const) {
      const e = thrown(() => readTorchCheckpoint(file({ ...GOOD, protocol })));
      expect(e.reason).toBe('unsupported');
      expect(e.message).toBe(`readTorchCheckpoint: expected legacy protocol version 1001, received ${received}`);
    }
  });

  it('a sys_info that is not a dict', () => {
    const e = thrown(() => readTorchCheckpoint(file({ ...GOOD, sysInfo: list(int(1)) })));
    expect(e.reason).toBe('corrupt');
    expect(e.message).toBe('readTorchCheckpoint: expected a sys_info dict as the third pickle, received a list of 1');
  });

  it('a big-endian file (sys_info little_endian False) is refused; little_endian True or absent is read', () => {
    const big = sysInfo([
      ['protocol_version', int(1001)],
      ['little_endian', OP.NEWFALSE],
    ]);
    const e = thrown(() => readTorchCheckpoint(file({ ...GOOD, sysInfo: big })));
    expect(e.reason).toBe('unsupported');
    expect(e.message).toBe(
      'readTorchCheckpoint: expected a checkpoint saved on a little-endian machine (sys_info little_endian True), received little_endian False',
    );
    for (const s of [sysInfo([['little_endian', OP.NEWTRUE]]), sysInfo([]), sysInfo([['', OP.NEWFALSE]])]) {
      expect([...readTorchCheckpoint(file({ ...GOOD, sysInfo: s })).tensors.get('w')!.data]).toEqual([1.5, -2]);
    }
  });

  it('the pickles other than the state dict allow no global at all, and each is named', () => {
    const allowed = 'only the globals a state_dict uses (none (plain data))';
    const magicError = thrown(() => parseLegacyCheckpoint(file({ ...GOOD, magic: EVAL })));
    expect(magicError).toBeInstanceOf(ForbiddenGlobalError);
    expect(magicError.message).toBe(
      `readTorchCheckpoint: expected ${allowed}, received global builtins.eval at byte 2 of the legacy magic-number pickle`,
    );
    for (const [part, where] of [
      ['protocol', 'protocol-version'],
      ['sysInfo', 'sys_info'],
      ['keys', 'storage-key list'],
    ] as const) {
      const e = thrown(() => readTorchCheckpoint(file({ ...GOOD, [part]: EVAL })));
      expect(e).toBeInstanceOf(ForbiddenGlobalError);
      expect((e as ForbiddenGlobalError).global).toBe('builtins.eval');
      expect(e.message).toBe(
        `readTorchCheckpoint: expected ${allowed}, received global builtins.eval at byte 2 of the legacy ${where} pickle`,
      );
    }
    const e = thrown(() => readTorchCheckpoint(file({ ...GOOD, state: EVAL })));
    expect(e.message).toMatch(
      /^readTorchCheckpoint: expected only the globals a state_dict uses \(collections\.OrderedDict, torch\._utils\._rebuild_tensor_v2, .*\), received global builtins\.eval at byte 2 of the legacy state-dict pickle$/,
    );
  });

  it('a file cut inside each pickle names that pickle', () => {
    const whole = file(GOOD);
    const ends: number[] = [];
    for (const p of [MAGIC, PROTOCOL, SYS_INFO, STATE, GOOD.keys]) ends.push((ends.at(-1) ?? 0) + p.length);
    const names = ['magic-number', 'protocol-version', 'sys_info', 'state-dict', 'storage-key list'];
    ends.forEach((end, i) => {
      const e = thrown(() => readTorchCheckpoint(whole.subarray(0, end - 1)));
      expect(e.reason).toBe('truncated');
      expect(e.message).toMatch(
        new RegExp(
          `^readTorchCheckpoint: expected 1 bytes of an opcode \\(the pickle has no STOP\\) at byte \\d+ of the legacy ${names[i]} pickle, received 0 \\(the file ends there\\)$`,
        ),
      );
    });
  });

  it('a state dict that is not a dict', () => {
    const e = thrown(() => readTorchCheckpoint(file({ state: list(), keys: keyList() })));
    expect(e.reason).toBe('not-a-checkpoint');
    expect(e.message).toBe(
      'readTorchCheckpoint: expected a dict of tensors (a state_dict) as the value of the legacy state-dict pickle, received a list of 0',
    );
  });

  it('the walk over shared dicts is bounded by the size of the state-dict pickle alone', () => {
    // D0 = {x: 1}; D(i+1) = {a: Di, b: Di} through the memo: 11 levels, thousands of entries.
    const parts: Part[] = [OP.EMPTY_DICT, str('x'), int(1), OP.SETITEM, OP.BINPUT, 0];
    for (let i = 0; i < 11; i++)
      parts.push(OP.EMPTY_DICT, str('a'), OP.BINGET, i, OP.SETITEM, str('b'), OP.BINGET, i, OP.SETITEM, OP.BINPUT, i + 1);
    const state = pickle(...parts);
    const e = thrown(() => readTorchCheckpoint(file({ state, keys: keyList() })));
    expect(e.reason).toBe('corrupt');
    expect(e.message).toBe(
      `readTorchCheckpoint: expected at most ${state.length} dict entries in the legacy state-dict pickle (one per pickle byte), received more (shared or cyclic dicts)`,
    );
  });
});

describe('legacy format: the storage key list and the storage records', () => {
  it('a fifth pickle that is not a list of strings', () => {
    for (const [keys, received] of [
      [pickle(OP.EMPTY_DICT), 'a dict of 0'],
      [pickle(str('k')), "'k'"],
      [list(str('k'), int(3)), 'a list of 2'],
      [list(int(0)), 'a list of 1'],
      [pickle(OP.MARK, str('k'), OP.TUPLE), 'a tuple of 1'],
    ] as const) {
      const e = thrown(() => readTorchCheckpoint(file({ ...GOOD, keys })));
      expect(e.reason).toBe('corrupt');
      expect(e.message).toBe(`readTorchCheckpoint: expected a list of storage keys as the fifth pickle, received ${received}`);
    }
  });

  it('a key the state dict never uses, a key listed twice', () => {
    const extra = thrown(() =>
      readTorchCheckpoint(file({ ...GOOD, keys: keyList('k', 'z'), data: [record(2, f32Bytes([1, 2])), record(1, f32Bytes([3]))] })),
    );
    expect(extra.reason).toBe('corrupt');
    expect(extra.message).toBe(
      "readTorchCheckpoint: expected storage key 'z' of the key list used by the state dict, received a key it never references",
    );
    const twice = thrown(() =>
      readTorchCheckpoint(file({ ...GOOD, keys: keyList('k', 'k'), data: [record(2, f32Bytes([1, 2])), record(2, f32Bytes([3, 4]))] })),
    );
    expect(twice.reason).toBe('corrupt');
    expect(twice.message).toBe("readTorchCheckpoint: expected each storage key once in the key list, received 'k' twice");
  });

  it('a storage of the state dict missing from the key list', () => {
    const two = stateDictPickle([...W, { name: 'v', key: 'j', numel: 1, shape: [] }], true);
    for (const [keys, data, n, missing] of [
      [keyList(), [], 0, 'k'],
      [keyList('k'), [record(2, f32Bytes([1, 2]))], 1, 'j'],
    ] as const) {
      const e = thrown(() => readTorchCheckpoint(file({ state: two, keys, data: [...data] })));
      expect(e.reason).toBe('corrupt');
      expect(e.message).toBe(
        `readTorchCheckpoint: expected storage '${missing}' of the state dict in the key list, received a list of ${n} keys without it`,
      );
    }
  });

  it('the records follow the key list order, not the state-dict order', () => {
    const state = stateDictPickle(
      [
        { name: 'first', key: 'a', numel: 1, shape: [] },
        { name: 'second', key: 'b', numel: 3, shape: [3] },
      ],
      true,
    );
    const ck = readTorchCheckpoint(
      file({ state, keys: keyList('b', 'a'), data: [record(3, f32Bytes([4, 5, 6])), record(1, f32Bytes([7]))] }),
    );
    expect([...ck.tensors.values()].map((t) => [t.name, [...t.data]])).toEqual([
      ['first', [7]],
      ['second', [4, 5, 6]],
    ]);
  });

  it('an element count that disagrees with the persistent id names the storage and the byte', () => {
    const p = { ...GOOD, data: [record(3, f32Bytes([1, 2, 3]))] };
    const e = thrown(() => readTorchCheckpoint(file(p)));
    expect(e.reason).toBe('corrupt');
    expect(e.message).toBe(
      `readTorchCheckpoint: expected 2 elements for storage 'k' at byte ${dataStart(p)} (as its persistent id says), received 3`,
    );
    // The byte of the second record, after the first one's 8 + 8 bytes.
    const state = stateDictPickle(
      [
        { name: 'a', key: 'a', numel: 2, shape: [2] },
        { name: 'b', key: 'b', numel: 1, shape: [] },
      ],
      true,
    );
    const q: Parts = { state, keys: keyList('a', 'b'), data: [record(2, f32Bytes([1, 2])), record(-1, f32Bytes([3]))] };
    expect(message(() => readTorchCheckpoint(file(q)))).toBe(
      `readTorchCheckpoint: expected 1 elements for storage 'b' at byte ${dataStart(q) + 16} (as its persistent id says), received -1`,
    );
  });

  it('a file cut in a record: the count, the bytes', () => {
    const noCount = thrown(() => readTorchCheckpoint(file({ ...GOOD, data: [bytes(2, 0, 0, 0)] })));
    expect(noCount.reason).toBe('truncated');
    expect(noCount.message).toBe(
      "readTorchCheckpoint: expected 8 bytes of the element count of storage 'k' at byte 0 of the legacy storage data, received 4 (the file ends there)",
    );
    const short = thrown(() => readTorchCheckpoint(file({ ...GOOD, data: [record(2, f32Bytes([1]))] })));
    expect(short.reason).toBe('truncated');
    expect(short.message).toBe(
      "readTorchCheckpoint: expected 8 bytes of storage 'k' (2 × float32) at byte 8 of the legacy storage data, received 4 (the file ends there)",
    );
  });

  describe('a storage larger than the whole file is refused from its persistent id', () => {
    // A long name keeps the file over 1024 bytes, so every numel here is a BININT of one size.
    const parts = (storage: string, numel: number): Parts => ({
      state: stateDictPickle([{ name: 'n'.repeat(1200), key: 'k', storage, numel, shape: [numel] }], true),
      keys: keyList('k'),
      data: [record(numel, bytes(1, 2, 3, 4))],
    });
    const sizeOf = (storage: string): number => file(parts(storage, 256)).length;
    const size = sizeOf('ByteStorage');

    it('by the early bound once numel × element size exceeds the file', () => {
      expect(file(parts('ByteStorage', size + 1)).length).toBe(size);
      const floats = Math.floor(sizeOf('FloatStorage') / 4) + 1;
      for (const [storage, numel, dtype] of [
        ['ByteStorage', size + 1, 'uint8'],
        ['FloatStorage', floats, 'float32'],
      ] as const) {
        const e = thrown(() => readTorchCheckpoint(file(parts(storage, numel))));
        expect(e.reason).toBe('truncated');
        const n = numel * (dtype === 'uint8' ? 1 : 4);
        expect(e.message).toBe(
          `readTorchCheckpoint: expected storage 'k' of ${numel} × ${dtype} (${n} bytes) inside the file, received a file of ${sizeOf(storage)} bytes`,
        );
      }
    });

    it('by the exact check when it is no larger than the file', () => {
      const p = parts('ByteStorage', size);
      const e = thrown(() => readTorchCheckpoint(file(p)));
      expect(e.reason).toBe('truncated');
      expect(e.message).toBe(
        `readTorchCheckpoint: expected ${size} bytes of storage 'k' (${size} × uint8) at byte 8 of the legacy storage data, received 4 (the file ends there)`,
      );
    });
  });
});
