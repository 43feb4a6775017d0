import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { unpickle, isTuple, isList, describe as describeValue, PickleGlobal, type UnpickleOptions } from './unpickler.js';
import { CheckpointError, ForbiddenGlobalError, UnknownOpcodeError } from './errors.js';
import { STATE_DICT_GLOBALS, STATE_DICT_GLOBALS_TEXT } from './state-dict.js';
import { bytes, global, int, OP, str } from '@tpfr/testing/torch-craft';

const opts: UnpickleOptions = { where: 'test.pkl', globals: STATE_DICT_GLOBALS, allowedText: STATE_DICT_GLOBALS_TEXT };
const load = (...parts: Parameters<typeof bytes>): unknown => unpickle(bytes(...parts), 0, opts).value;
const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
};

describe('unpickle: the data subset', () => {
  it('reads scalars, strings, containers and the memo', () => {
    expect(load(OP.PROTO2, OP.NONE, OP.STOP)).toBe(null);
    expect(load(OP.PROTO2, int(7), OP.STOP)).toBe(7);
    expect(load(OP.PROTO2, int(-5), OP.STOP)).toBe(-5);
    expect(load(OP.PROTO2, int(2 ** 40), OP.STOP)).toBe(2 ** 40);
    expect(load(OP.PROTO2, int(-(2n ** 70n)), OP.STOP)).toBe(-(2n ** 70n));
    expect(load(OP.PROTO2, 0x8a, 2, 0xff, 0x00, OP.STOP)).toBe(255); // LONG1 positive with a 0 sign byte
    expect(load(OP.PROTO2, 0x8a, 1, 0xff, OP.STOP)).toBe(-1);
    expect(load(OP.PROTO2, 0x8a, 0, OP.STOP)).toBe(0);
    expect(load(OP.PROTO2, 0x47, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18, OP.STOP)).toBe(Math.PI);
    expect(load(OP.PROTO2, str('héllo'), OP.STOP)).toBe('héllo');
    expect(load(0x80, 4, 0x8c, 2, 0x68, 0x69, OP.STOP)).toBe('hi'); // SHORT_BINUNICODE
    expect(load(0x80, 3, 0x43, 2, 1, 2, OP.STOP)).toEqual(new Uint8Array([1, 2]));
    const t = load(OP.PROTO2, OP.MARK, int(1), int(2), OP.TUPLE, OP.STOP);
    expect(isTuple(t) && t).toEqual([1, 2]);
    const l = load(OP.PROTO2, OP.EMPTY_LIST, OP.BINPUT, 0, OP.MARK, int(1), OP.BINGET, 0, OP.APPENDS, OP.STOP) as unknown[];
    expect(isList(l)).toBe(true);
    expect(l[0]).toBe(1);
    expect(l[1]).toBe(l); // a cycle through the memo is fine: nothing walks it
    const d = load(OP.PROTO2, OP.EMPTY_DICT, OP.MARK, str('b'), int(1), str('a'), int(2), OP.SETITEMS, OP.STOP) as Map<string, number>;
    expect([...d]).toEqual([
      ['b', 1],
      ['a', 2],
    ]);
  });

  it('reads protocol 4 framing, MEMOIZE and STACK_GLOBAL of an allowed global', () => {
    const v = load(
      0x80,
      4,
      0x95,
      10,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x8c,
      11,
      ...new TextEncoder().encode('collections'),
      0x94,
      0x8c,
      11,
      ...new TextEncoder().encode('OrderedDict'),
      0x94,
      OP.STACK_GLOBAL,
      0x94,
      OP.EMPTY_TUPLE,
      OP.REDUCE,
      OP.STOP,
    );
    expect(v).toBeInstanceOf(Map);
  });

  it('ignores the attributes BUILD sets on an OrderedDict (state_dict._metadata)', () => {
    const v = load(
      OP.PROTO2,
      global('collections', 'OrderedDict'),
      OP.EMPTY_TUPLE,
      OP.REDUCE,
      OP.EMPTY_DICT,
      str('_metadata'),
      OP.EMPTY_DICT,
      OP.SETITEM,
      0x62,
      OP.STOP,
    );
    expect(v).toBeInstanceOf(Map);
    expect((v as Map<unknown, unknown>).size).toBe(0);
  });
});

describe('unpickle: rejections', () => {
  it.each([
    ['os', 'system'],
    ['builtins', 'eval'],
    ['__builtin__', 'set'],
    ['torch', 'load'],
    ['torch', 'ComplexFloatStorage'],
    ['torch._utils', '_rebuild_qtensor'],
  ])('rejects GLOBAL %s %s, naming it', (module, name) => {
    const e = thrown(() => load(OP.PROTO2, global(module, name), str('ls'), OP.TUPLE1, OP.REDUCE, OP.STOP));
    expect(e).toBeInstanceOf(ForbiddenGlobalError);
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as ForbiddenGlobalError).global).toBe(`${module}.${name}`);
    expect((e as ForbiddenGlobalError).offset).toBe(2);
    expect((e as Error).message).toContain(`readTorchCheckpoint: expected only the globals a state_dict uses`);
    expect((e as Error).message).toContain(`received global ${module}.${name} at byte 2 of test.pkl`);
  });

  it('rejects STACK_GLOBAL of a forbidden global', () => {
    const e = thrown(() => load(0x80, 4, 0x8c, 2, 0x6f, 0x73, 0x8c, 6, ...new TextEncoder().encode('system'), OP.STACK_GLOBAL, OP.STOP));
    expect(e).toBeInstanceOf(ForbiddenGlobalError);
    expect((e as ForbiddenGlobalError).global).toBe('os.system');
    expect((e as ForbiddenGlobalError).offset).toBe(14);
  });

  it('rejects unknown opcodes, naming the byte and its offset', () => {
    for (const [op, label] of [
      [0x8f, '0x8f'],
      [0xff, '0xff'],
      [0x69, "0x69 'i'"],
      [0x67, "0x67 'g'"],
    ] as const) {
      const e = thrown(() => load(OP.PROTO2, OP.NONE, op, OP.STOP));
      expect(e).toBeInstanceOf(UnknownOpcodeError);
      expect((e as UnknownOpcodeError).opcode).toBe(op);
      expect((e as UnknownOpcodeError).offset).toBe(3);
      expect((e as Error).message).toContain(`received opcode ${label} at byte 3 of test.pkl`);
    }
  });

  it('rejects protocols above 5, REDUCE of a non-callable, a missing memo entry, an empty stack, a missing mark', () => {
    const cases: [Parameters<typeof bytes>, string][] = [
      [[0x80, 6, OP.STOP], 'protocol 6'],
      [[OP.PROTO2, global('torch', 'FloatStorage'), OP.EMPTY_TUPLE, OP.REDUCE, OP.STOP], 'the global torch.FloatStorage'],
      [[OP.PROTO2, OP.BINGET, 3, OP.STOP], 'no such entry'],
      [[OP.PROTO2, OP.STOP], 'an empty stack'],
      [[OP.PROTO2, OP.TUPLE, OP.STOP], 'expected a MARK'],
      [[OP.PROTO2, int(1), OP.BINPERSID, OP.STOP], 'BINPERSID'],
      [[OP.PROTO2, OP.EMPTY_DICT, OP.EMPTY_LIST, int(1), OP.SETITEM, OP.STOP], 'a dict key'],
    ];
    for (const [parts, text] of cases) {
      const e = thrown(() => load(...parts));
      expect(e).toBeInstanceOf(CheckpointError);
      expect((e as Error).message).toContain(text);
    }
  });

  it('rejects lengths past the end before decoding them (no huge allocation)', () => {
    for (const parts of [
      [...OP.PROTO2, 0x58, 0xff, 0xff, 0xff, 0x7f, 0x41],
      [...OP.PROTO2, 0x8d, 0, 0, 0, 0, 0, 1, 0, 0], // BINUNICODE8 of 2^40
      [...OP.PROTO2, 0x8b, 0xff, 0xff, 0, 0], // LONG4 of 65535 bytes
      [...OP.PROTO2, 0x95, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // FRAME of 2^64-1
      [...OP.PROTO2, 0x63, 0x6f, 0x73], // GLOBAL without its newline
    ] as number[][]) {
      const e = thrown(() => load(parts));
      expect(e).toBeInstanceOf(CheckpointError);
      expect(['truncated', 'corrupt'], (e as Error).message).toContain((e as CheckpointError).reason);
    }
  });

  it('ends with a typed error on any bytes (seeded property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        try {
          unpickle(bytes(OP.PROTO2, b), 0, opts);
        } catch (e) {
          if (!(e instanceof CheckpointError)) throw e;
        }
      }),
      { seed: 1, numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Opcode by opcode: hand-made byte streams for every path, errors asserted whole.

const u32le = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const u64le = (n: number): number[] => [...u32le(n % 2 ** 32), ...u32le(Math.floor(n / 2 ** 32))];
const ascii = (s: string): number[] => [...new TextEncoder().encode(s)];
const OPX = {
  POP: 0x30,
  POP_MARK: 0x31,
  DUP: 0x32,
  LONG_BINPUT: 0x72,
  LONG_BINGET: 0x6a,
  MEMOIZE: 0x94,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  LONG1: 0x8a,
  LONG4: 0x8b,
  BINUNICODE8: 0x8d,
  SHORT_BINUNICODE: 0x8c,
  BINSTRING: 0x54,
  SHORT_BINSTRING: 0x55,
  BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43,
  BINBYTES8: 0x8e,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  LIST: 0x6c,
  APPEND: 0x61,
  DICT: 0x64,
  NEWOBJ: 0x81,
  BUILD: 0x62,
  FRAME: 0x95,
  PROTO: 0x80,
} as const;
type Parts = Parameters<typeof bytes>;

/** The CheckpointError of unpickling `parts` (with `o` over the default options), checked whole. */
function expectError(parts: Parts, reason: string, expected: string, received: string, o: Partial<UnpickleOptions> = {}): void {
  const e = thrown(() => unpickle(bytes(...parts), 0, { ...opts, ...o }));
  expect(e).toBeInstanceOf(CheckpointError);
  const ce = e as CheckpointError;
  expect({ reason: ce.reason, expected: ce.expected, received: ce.received }).toEqual({ reason, expected, received });
  expect(ce.message).toBe(`readTorchCheckpoint: expected ${expected}, received ${received}`);
}
const corrupt = (parts: Parts, expected: string, received: string, o: Partial<UnpickleOptions> = {}): void =>
  expectError(parts, 'corrupt', expected, received, o);
const truncated = (parts: Parts, expected: string, left: number): void =>
  expectError(parts, 'truncated', expected, `${left} (the file ends there)`);

describe('unpickle: protocol, frames and the end of the pickle', () => {
  it.each([2, 3, 4, 5])('accepts protocol %i', (v) => {
    expect(load(OPX.PROTO, v, int(9), OP.STOP)).toBe(9);
  });

  it('accepts a pickle without PROTO (the opcode is optional)', () => {
    expect(load(OP.NONE, OP.STOP)).toBe(null);
  });

  it.each([0, 1, 6, 255])('rejects protocol %i, naming it', (v) => {
    expectError([OPX.PROTO, v, OP.NONE, OP.STOP], 'unsupported', 'pickle protocol 2 to 5 at byte 0 of test.pkl', `protocol ${v}`);
  });

  it('names a missing protocol number, and a missing STOP', () => {
    truncated([OPX.PROTO], '1 bytes of the protocol number at byte 1 of test.pkl', 0);
    truncated([OP.PROTO2, OP.NONE], '1 bytes of an opcode (the pickle has no STOP) at byte 3 of test.pkl', 0);
  });

  it('returns the top of the stack and the offset past STOP, with offsets counted from `start`', () => {
    const b = bytes(0xff, 0xff, 0xff, OP.PROTO2, int(1), int(2), OP.STOP, OP.PROTO2, OP.NEWTRUE, OP.STOP, 0x99);
    const first = unpickle(b, 3, opts);
    expect(first).toEqual({ value: 2, end: 10 });
    expect(unpickle(b, first.end, opts)).toEqual({ value: true, end: 14 });
    const e = thrown(() => unpickle(bytes(0xff, 0xff, OP.PROTO2, OP.BINGET, 1), 2, opts)) as CheckpointError;
    expect(e.expected).toBe('memo entry 1 stored before at byte 2 of test.pkl');
  });

  it('reads a FRAME that fits exactly and rejects one longer than the bytes left', () => {
    expect(load(OPX.PROTO, 4, OPX.FRAME, u64le(2), OP.NONE, OP.STOP)).toBe(null);
    truncated([OPX.PROTO, 4, OPX.FRAME, u64le(3), OP.NONE, OP.STOP], '3 bytes of the frame at byte 11 of test.pkl', 2);
    truncated([OPX.PROTO, 4, OPX.FRAME, 1, 2], '8 bytes of the frame length at byte 3 of test.pkl', 2);
  });
});

describe('unpickle: stack opcodes', () => {
  it('POP drops the top, POP_MARK drops back to the mark, DUP copies the top', () => {
    expect(load(OP.PROTO2, int(1), int(2), OPX.POP, OP.STOP)).toBe(1);
    expect(load(OP.PROTO2, int(1), OP.MARK, int(2), int(3), OPX.POP_MARK, OP.STOP)).toBe(1);
    expect(load(OP.PROTO2, int(7), OPX.DUP, OPX.TUPLE2, OP.STOP)).toEqual([7, 7]);
    const l = load(OP.PROTO2, OP.EMPTY_LIST, OPX.DUP, OPX.TUPLE2, OP.STOP) as unknown[][];
    expect(l[0]).toBe(l[1]); // the same object, not a copy
  });

  it.each([
    ['POP', [OPX.POP, OP.STOP]],
    ['DUP', [OPX.DUP, OP.STOP]],
    ['STOP', [OP.STOP]],
    ['BINPUT', [OP.BINPUT, 0, OP.STOP]],
    ['TUPLE1', [OP.TUPLE1, OP.STOP]],
    ['APPEND', [OPX.APPEND, OP.STOP]],
    ['BINPERSID', [OP.BINPERSID, OP.STOP]],
  ])('%s on an empty stack names the empty stack and the offset', (_, ops) => {
    corrupt([OP.PROTO2, ...ops], 'a value on the pickle stack at byte 2 of test.pkl', 'an empty stack', { persistentLoad: () => 0 });
  });

  it('sees only the values after the last MARK', () => {
    corrupt([OP.PROTO2, int(1), OP.MARK, OPX.POP], 'a value on the pickle stack at byte 5 of test.pkl', 'an empty stack');
  });

  it.each([
    ['POP_MARK', OPX.POP_MARK],
    ['TUPLE', OP.TUPLE],
    ['LIST', OPX.LIST],
    ['DICT', OPX.DICT],
  ])('%s without a MARK names the missing MARK', (_, op) => {
    corrupt([OP.PROTO2, int(1), op, OP.STOP], 'a MARK before this opcode at byte 4 of test.pkl', 'none');
  });
});

describe('unpickle: the memo', () => {
  it('BINPUT/BINGET, LONG_BINPUT/LONG_BINGET (4-byte indices) and MEMOIZE (next index)', () => {
    expect(load(OP.PROTO2, str('a'), OPX.LONG_BINPUT, u32le(0x01020304), OPX.POP, OPX.LONG_BINGET, u32le(0x01020304), OP.STOP)).toBe('a');
    expect(load(OP.PROTO2, str('a'), OP.BINPUT, 9, int(1), OP.BINPUT, 9, OP.BINGET, 9, OP.STOP)).toBe(1); // overwritten
    expect(load(OPX.PROTO, 4, str('a'), OPX.MEMOIZE, str('b'), OPX.MEMOIZE, OP.BINGET, 0, OP.BINGET, 1, OPX.TUPLE2, OP.STOP)).toEqual([
      'a',
      'b',
    ]);
    // MEMOIZE counts entries, so after BINPUT 0 the next one is 1.
    expect(load(OPX.PROTO, 4, str('a'), OP.BINPUT, 0, str('b'), OPX.MEMOIZE, OP.BINGET, 1, OP.STOP)).toBe('b');
    expect(load(OP.PROTO2, int(3), OP.BINPUT, 0, OP.STOP)).toBe(3); // BINPUT leaves the value on the stack
  });

  it('names a missing entry and how many are stored', () => {
    corrupt([OP.PROTO2, OP.BINGET, 3], 'memo entry 3 stored before at byte 2 of test.pkl', 'no such entry (0 stored)');
    corrupt(
      [OP.PROTO2, OP.NONE, OP.BINPUT, 0, OPX.LONG_BINGET, u32le(70000)],
      'memo entry 70000 stored before at byte 5 of test.pkl',
      'no such entry (1 stored)',
    );
  });
});

describe('unpickle: numbers', () => {
  it.each([
    ['NEWTRUE', [OP.NEWTRUE], true],
    ['NEWFALSE', [OP.NEWFALSE], false],
    ['NONE', [OP.NONE], null],
    ['BININT -2', [OPX.BININT, 0xfe, 0xff, 0xff, 0xff], -2],
    ['BININT 2^31-1', [OPX.BININT, 0xff, 0xff, 0xff, 0x7f], 2 ** 31 - 1],
    ['BININT1 255', [OPX.BININT1, 0xff], 255],
    ['BININT2 65535', [OPX.BININT2, 0xff, 0xff], 65535],
    ['BININT2 258', [OPX.BININT2, 0x02, 0x01], 258],
    ['LONG1 127', [OPX.LONG1, 1, 0x7f], 127],
    ['LONG1 -128', [OPX.LONG1, 1, 0x80], -128],
    ['LONG1 -32768', [OPX.LONG1, 2, 0x00, 0x80], -32768],
    ['LONG1 2^53-1', int(2 ** 53 - 1), Number.MAX_SAFE_INTEGER],
    ['LONG1 -(2^53-1)', int(-(2 ** 53 - 1)), Number.MIN_SAFE_INTEGER],
    ['LONG1 2^53', int(2n ** 53n), 2n ** 53n],
    ['LONG1 -(2^53)', int(-(2n ** 53n)), -(2n ** 53n)],
    ['LONG4 of 0 bytes', [OPX.LONG4, 0, 0, 0, 0], 0],
    ['LONG4 -32768', [OPX.LONG4, 2, 0, 0, 0, 0x00, 0x80], -32768],
    ['LONG4 of 64 bytes', [OPX.LONG4, 64, 0, 0, 0, ...new Array<number>(63).fill(0), 0x01], 2n ** 504n],
    ['LONG4 of 64 bytes, negative', [OPX.LONG4, 64, 0, 0, 0, ...new Array<number>(64).fill(0xff)], -1],
    ['BINFLOAT -0.5', [0x47, 0xbf, 0xe0, 0, 0, 0, 0, 0, 0], -0.5],
  ] as const)('%s', (_, op, value) => {
    const v = load(OP.PROTO2, op, OP.STOP);
    expect(typeof v).toBe(typeof value); // numbers stay numbers while safe, bigints beyond
    expect(v).toBe(value);
  });

  it('rejects LONG4 lengths outside 0..64 even when the bytes are there', () => {
    corrupt(
      [OP.PROTO2, OPX.LONG4, 65, 0, 0, 0, new Array<number>(65).fill(1), OP.STOP],
      'a LONG4 integer of 0 to 64 bytes at byte 2 of test.pkl',
      '65 bytes',
    );
    corrupt(
      [OP.PROTO2, OPX.LONG4, 0xff, 0xff, 0xff, 0xff, OP.NONE, OP.STOP],
      'a LONG4 integer of 0 to 64 bytes at byte 2 of test.pkl',
      '-1 bytes',
    );
  });

  it('names truncated integers', () => {
    truncated([OP.PROTO2, OPX.LONG1], '1 bytes of the LONG1 length at byte 3 of test.pkl', 0);
    truncated([OP.PROTO2, OPX.LONG1, 3, 1], '3 bytes of a LONG1 integer at byte 4 of test.pkl', 1);
    truncated([OP.PROTO2, OPX.LONG4, 1], '4 bytes of the LONG4 length at byte 3 of test.pkl', 1);
    truncated([OP.PROTO2, OPX.LONG4, 3, 0, 0, 0, 1], '3 bytes of a LONG4 integer at byte 7 of test.pkl', 1);
    truncated([OP.PROTO2, OPX.BININT, 1, 2], '4 bytes of an int32 at byte 3 of test.pkl', 2);
    truncated([OP.PROTO2, OPX.BININT2, 1], '2 bytes of a uint16 at byte 3 of test.pkl', 1);
    truncated([OP.PROTO2, OPX.BININT1], '1 bytes of a byte at byte 3 of test.pkl', 0);
    truncated([OP.PROTO2, 0x47, 1, 2, 3], '8 bytes of a float64 at byte 3 of test.pkl', 3);
  });
});

describe('unpickle: strings and bytes', () => {
  it.each([
    ['BINUNICODE', [0x58, u32le(3), ascii('a\u00e9')], 'a\u00e9'],
    ['BINUNICODE empty', [0x58, u32le(0)], ''],
    ['SHORT_BINUNICODE', [OPX.SHORT_BINUNICODE, 2, ascii('hi')], 'hi'],
    ['BINUNICODE8', [OPX.BINUNICODE8, u64le(2), ascii('hi')], 'hi'],
    // Python 2 str: one byte a character (latin1: 0x80 is U+0080, as torch.load(encoding='latin1') reads it).
    ['BINSTRING', [OPX.BINSTRING, u32le(3), 0x61, 0xe9, 0x80], 'a\u00e9\u0080'],
    ['BINSTRING empty', [OPX.BINSTRING, u32le(0)], ''],
    ['SHORT_BINSTRING', [OPX.SHORT_BINSTRING, 2, 0x61, 0xe9], 'a\u00e9'],
  ] as const)('%s', (_, op, value) => {
    expect(load(OP.PROTO2, ...op, OP.STOP)).toBe(value);
  });

  it.each([
    ['BINUNICODE', [0x58, u32le(2), 0xc3, 0x28]],
    ['SHORT_BINUNICODE', [OPX.SHORT_BINUNICODE, 2, 0xc3, 0x28]],
    ['BINUNICODE8', [OPX.BINUNICODE8, u64le(1), 0xff]],
  ] as [string, Parts][])('%s rejects invalid UTF-8', (_, op) => {
    corrupt([OP.PROTO2, ...op, OP.STOP], 'a UTF-8 string at byte 2 of test.pkl', 'invalid UTF-8');
  });

  it('rejects a negative BINSTRING length', () => {
    corrupt([OP.PROTO2, OPX.BINSTRING, 0xff, 0xff, 0xff, 0xff, OP.STOP], 'a non-negative string length at byte 2 of test.pkl', '-1');
  });

  it.each([
    ['BINUNICODE', 0x58, 4, 'a string length', 'a string'],
    ['SHORT_BINUNICODE', OPX.SHORT_BINUNICODE, 1, 'a string length', 'a string'],
    ['BINUNICODE8', OPX.BINUNICODE8, 8, 'a string length', 'a string'],
    ['BINSTRING', OPX.BINSTRING, 4, 'a string length', 'a string'],
    ['SHORT_BINSTRING', OPX.SHORT_BINSTRING, 1, 'a string length', 'a string'],
    ['BINBYTES', OPX.BINBYTES, 4, 'a bytes length', 'bytes'],
    ['SHORT_BINBYTES', OPX.SHORT_BINBYTES, 1, 'a bytes length', 'bytes'],
    ['BINBYTES8', OPX.BINBYTES8, 8, 'a bytes length', 'bytes'],
  ] as const)('%s names a truncated length and a truncated body', (_, op, width, lengthWhat, bodyWhat) => {
    truncated([OP.PROTO2, op], `${width} bytes of ${lengthWhat} at byte 3 of test.pkl`, 0);
    const len = width === 1 ? [3] : width === 4 ? u32le(3) : u64le(3);
    truncated([OP.PROTO2, op, len, 0x41], `3 bytes of ${bodyWhat} at byte ${3 + width} of test.pkl`, 1);
  });

  it.each([
    ['BINBYTES', [OPX.BINBYTES, u32le(2)]],
    ['SHORT_BINBYTES', [OPX.SHORT_BINBYTES, 2]],
    ['BINBYTES8', [OPX.BINBYTES8, u64le(2)]],
  ])('%s returns a copy of its bytes, not a view of the pickle', (_, head) => {
    const input = bytes(OP.PROTO2, ...head, 9, 8, OP.STOP);
    const v = unpickle(input, 0, opts).value as Uint8Array;
    expect(v).toBeInstanceOf(Uint8Array);
    expect([...v]).toEqual([9, 8]);
    expect(v.buffer).not.toBe(input.buffer);
    input.fill(0);
    expect([...v]).toEqual([9, 8]);
  });
});

describe('unpickle: tuples, lists and dicts', () => {
  it('builds frozen tuples in order', () => {
    for (const [ops, value] of [
      [[OP.EMPTY_TUPLE], []],
      [[int(5), OP.TUPLE1], [5]],
      [
        [int(1), int(2), OPX.TUPLE2],
        [1, 2],
      ],
      [
        [int(1), int(2), int(3), OPX.TUPLE3],
        [1, 2, 3],
      ],
      [
        [OP.MARK, int(1), int(2), int(3), int(4), OP.TUPLE],
        [1, 2, 3, 4],
      ],
      [[OP.MARK, OP.TUPLE], []],
    ] as const) {
      const t = load(OP.PROTO2, int(0), ...ops, OPX.TUPLE2, OP.STOP) as unknown[];
      expect(t[0]).toBe(0); // the value below is left alone
      expect(isTuple(t[1])).toBe(true);
      expect(isList(t[1])).toBe(false);
      expect(t[1]).toEqual(value);
    }
  });

  it('builds lists with EMPTY_LIST, LIST, APPEND and APPENDS', () => {
    const lists = [
      load(OP.PROTO2, OP.EMPTY_LIST, OP.STOP),
      load(OP.PROTO2, OP.MARK, int(1), int(2), OPX.LIST, OP.STOP),
      load(OP.PROTO2, OP.EMPTY_LIST, int(1), OPX.APPEND, int(2), OPX.APPEND, OP.STOP),
      load(OP.PROTO2, OP.EMPTY_LIST, OP.MARK, int(1), int(2), OP.APPENDS, OP.MARK, OP.APPENDS, OP.STOP),
    ];
    expect(lists).toEqual([[], [1, 2], [1, 2], [1, 2]]);
    for (const l of lists) expect(isList(l)).toBe(true);
  });

  it('builds dicts with EMPTY_DICT, DICT, SETITEM and SETITEMS, in insertion order', () => {
    const entries = (v: unknown): unknown[] => [...(v as Map<unknown, unknown>)];
    expect(entries(load(OP.PROTO2, OP.MARK, str('k'), int(1), str('j'), int(2), OPX.DICT, OP.STOP))).toEqual([
      ['k', 1],
      ['j', 2],
    ]);
    expect(entries(load(OP.PROTO2, OP.MARK, OPX.DICT, OP.STOP))).toEqual([]);
    expect(entries(load(OP.PROTO2, OP.EMPTY_DICT, str('a'), int(1), OP.SETITEM, str('b'), int(2), OP.SETITEM, OP.STOP))).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(entries(load(OP.PROTO2, OP.EMPTY_DICT, OP.MARK, OP.SETITEMS, OP.STOP))).toEqual([]);
  });

  it('accepts None, strings, numbers, big integers and booleans as keys, by every dict opcode', () => {
    const keys = [[OP.NONE], str('s'), int(3), int(2n ** 70n), [OP.NEWTRUE], [OP.NEWFALSE], [0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]];
    const expected = [
      [null, 0],
      ['s', 1],
      [3, 2],
      [2n ** 70n, 3],
      [true, 4],
      [false, 5],
      [1.5, 6],
    ];
    const pairs = keys.flatMap((k, i) => [k, int(i)]);
    expect([...(load(OP.PROTO2, OP.MARK, ...pairs, OPX.DICT, OP.STOP) as Map<unknown, unknown>)]).toEqual(expected);
    expect([...(load(OP.PROTO2, OP.EMPTY_DICT, OP.MARK, ...pairs, OP.SETITEMS, OP.STOP) as Map<unknown, unknown>)]).toEqual(expected);
    const one = keys.flatMap((k, i) => [k, int(i), OP.SETITEM]);
    expect([...(load(OP.PROTO2, OP.EMPTY_DICT, ...one, OP.STOP) as Map<unknown, unknown>)]).toEqual(expected);
  });

  it.each([
    ['a list', [OP.EMPTY_LIST], 'a list of 0'],
    ['a tuple', [OP.EMPTY_TUPLE], 'a tuple of 0'],
    ['a dict', [OP.EMPTY_DICT], 'a dict of 0'],
    ['bytes', [OPX.SHORT_BINBYTES, 1, 0], 'bytes of length 1'],
  ])('rejects %s as a key, by every dict opcode', (_, k, text) => {
    const n = bytes(k).length;
    const what = 'a dict key that is a string or number';
    corrupt([OP.PROTO2, OP.EMPTY_DICT, k, int(1), OP.SETITEM, OP.STOP], `${what} at byte ${5 + n} of test.pkl`, text);
    corrupt([OP.PROTO2, OP.EMPTY_DICT, OP.MARK, k, int(1), OP.SETITEMS, OP.STOP], `${what} at byte ${6 + n} of test.pkl`, text);
    corrupt([OP.PROTO2, OP.MARK, k, int(1), OPX.DICT, OP.STOP], `${what} at byte ${5 + n} of test.pkl`, text);
  });

  it('rejects an odd number of items after MARK for DICT and SETITEMS', () => {
    corrupt([OP.PROTO2, OP.MARK, int(1), OPX.DICT, OP.STOP], 'key/value pairs after MARK at byte 5 of test.pkl', '1 items');
    corrupt(
      [OP.PROTO2, OP.EMPTY_DICT, OP.MARK, int(1), int(2), int(3), OP.SETITEMS, OP.STOP],
      'key/value pairs after MARK at byte 10 of test.pkl',
      '3 items',
    );
  });

  it('rejects appending to anything but a list, and setting items on anything but a dict', () => {
    corrupt([OP.PROTO2, OP.EMPTY_TUPLE, int(5), OPX.APPEND, OP.STOP], 'a list to append to at byte 5 of test.pkl', 'a tuple of 0');
    corrupt([OP.PROTO2, OP.EMPTY_DICT, OP.MARK, int(1), OP.APPENDS, OP.STOP], 'a list to append to at byte 6 of test.pkl', 'a dict of 0');
    corrupt([OP.PROTO2, OP.MARK, int(1), OP.APPENDS, OP.STOP], 'a value on the pickle stack at byte 5 of test.pkl', 'an empty stack');
    corrupt(
      [OP.PROTO2, OP.EMPTY_TUPLE, int(1), int(2), OP.SETITEM, OP.STOP],
      'a dict to set items in at byte 7 of test.pkl',
      'a tuple of 0',
    );
    corrupt([OP.PROTO2, OP.EMPTY_LIST, OP.MARK, OP.SETITEMS, OP.STOP], 'a dict to set items in at byte 4 of test.pkl', 'a list of 0');
  });
});

describe('unpickle: globals and calls', () => {
  const calls: { args: readonly unknown[]; where: string }[] = [];
  const custom = new Map([
    [
      'm.f',
      {
        call: (args: readonly unknown[], where: string) => {
          calls.push({ args, where });
          return `f(${args.join(',')})`;
        },
      },
    ],
    ['m.value', { kind: 'a value' }],
    [`${'m'.repeat(256)}.g`, { kind: 'long' }],
    ['caf\u00e9.x', { kind: 'latin1' }],
  ]);
  const copts: Partial<UnpickleOptions> = { globals: custom, allowedText: 'm.f, m.value' };

  it('REDUCE and NEWOBJ call the global with the argument tuple and where they are', () => {
    calls.length = 0;
    const run = (op: number): unknown =>
      unpickle(bytes(OP.PROTO2, global('m', 'f'), int(1), int(2), OPX.TUPLE2, op, OP.STOP), 0, { ...opts, ...copts }).value;
    expect(run(OP.REDUCE)).toBe('f(1,2)');
    expect(run(OPX.NEWOBJ)).toBe('f(1,2)');
    expect(calls).toEqual([
      { args: [1, 2], where: 'test.pkl (byte 12)' },
      { args: [1, 2], where: 'test.pkl (byte 12)' },
    ]);
  });

  it('GLOBAL and STACK_GLOBAL push the allowed global itself', () => {
    for (const parts of [
      [global('m', 'value')],
      [OPX.PROTO, 4, OPX.SHORT_BINUNICODE, 1, ascii('m'), OPX.SHORT_BINUNICODE, 5, ascii('value'), OP.STACK_GLOBAL],
    ] as Parts[]) {
      const g = unpickle(bytes(...parts, OP.STOP), 0, { ...opts, ...copts }).value as PickleGlobal;
      expect(g).toBeInstanceOf(PickleGlobal);
      expect(g.qualifiedName).toBe('m.value');
      expect(g.impl).toBe(custom.get('m.value'));
    }
  });

  it('reads GLOBAL names as latin1, up to 256 bytes each', () => {
    const latin = unpickle(bytes(OP.PROTO2, 0x63, 0x63, 0x61, 0x66, 0xe9, 0x0a, 0x78, 0x0a, OP.STOP), 0, { ...opts, ...copts })
      .value as PickleGlobal;
    expect(latin.qualifiedName).toBe('caf\u00e9.x');
    const long = unpickle(bytes(OP.PROTO2, global('m'.repeat(256), 'g'), OP.STOP), 0, { ...opts, ...copts }).value as PickleGlobal;
    expect(long.impl.kind).toBe('long');
    corrupt(
      [OP.PROTO2, global('m'.repeat(257), 'g'), OP.STOP],
      'a GLOBAL module name ending in a newline within 256 bytes at byte 3 of test.pkl',
      'no newline',
      copts,
    );
    corrupt(
      [OP.PROTO2, global('m', 'g'.repeat(257)), OP.STOP],
      'a GLOBAL name ending in a newline within 256 bytes at byte 5 of test.pkl',
      'no newline',
      copts,
    );
  });

  it('names a truncated GLOBAL module or name', () => {
    truncated([OP.PROTO2, 0x63, ascii('os')], '3 bytes of a GLOBAL module name at byte 3 of test.pkl', 2);
    truncated([OP.PROTO2, 0x63, ascii('os\nsy')], '3 bytes of a GLOBAL name at byte 6 of test.pkl', 2);
  });

  it('rejects STACK_GLOBAL of anything but two strings', () => {
    const what = 'module and name strings for STACK_GLOBAL at byte 6 of test.pkl';
    corrupt(
      [OPX.PROTO, 4, int(1), OPX.SHORT_BINUNICODE, 1, ascii('x'), OP.STACK_GLOBAL],
      'module and name strings for STACK_GLOBAL at byte 7 of test.pkl',
      "the number 1, 'x'",
    );
    corrupt([OPX.PROTO, 4, OPX.SHORT_BINUNICODE, 1, ascii('m'), OP.NONE, OP.STACK_GLOBAL], what, "'m', None");
    corrupt(
      [OPX.PROTO, 4, OP.NONE, OP.NEWTRUE, OP.STACK_GLOBAL],
      'module and name strings for STACK_GLOBAL at byte 4 of test.pkl',
      'None, True',
    );
  });

  it('rejects REDUCE of a value, of a global that is not callable, and of arguments that are not a tuple', () => {
    corrupt(
      [OP.PROTO2, int(1), OP.EMPTY_TUPLE, OP.REDUCE, OP.STOP],
      'an allowed callable for REDUCE at byte 5 of test.pkl',
      'the number 1',
    );
    corrupt(
      [OP.PROTO2, global('m', 'value'), OP.EMPTY_TUPLE, OPX.NEWOBJ, OP.STOP],
      'an allowed callable for REDUCE at byte 12 of test.pkl',
      'the global m.value',
      copts,
    );
    corrupt(
      [OP.PROTO2, global('m', 'f'), OP.EMPTY_LIST, OP.REDUCE, OP.STOP],
      'an argument tuple for m.f at byte 8 of test.pkl',
      'a list of 0',
      copts,
    );
    corrupt(
      [OP.PROTO2, global('m', 'f'), int(1), OPX.NEWOBJ, OP.STOP],
      'an argument tuple for m.f at byte 9 of test.pkl',
      'the number 1',
      copts,
    );
    corrupt([OP.PROTO2, OP.EMPTY_TUPLE, OP.REDUCE, OP.STOP], 'a value on the pickle stack at byte 3 of test.pkl', 'an empty stack');
  });

  it('names a forbidden global with the allow-list text given', () => {
    expectError(
      [OP.PROTO2, global('os', 'system'), OP.STOP],
      'forbidden-global',
      'only the globals a state_dict uses (m.f, m.value)',
      'global os.system at byte 2 of test.pkl',
      copts,
    );
  });
});

describe('unpickle: BUILD (state_dict attributes)', () => {
  const stateOf = (...s: Parts): unknown => load(OP.PROTO2, OP.EMPTY_DICT, str('k'), int(1), OP.SETITEM, ...s, OPX.BUILD, OP.STOP);
  it.each([
    ['None', [OP.NONE]],
    ['a dict', [OP.EMPTY_DICT]],
    ['(None, dict)', [OP.NONE, OP.EMPTY_DICT, OPX.TUPLE2]],
    ['(dict, None)', [OP.EMPTY_DICT, OP.NONE, OPX.TUPLE2]],
    ['(dict, dict)', [OP.EMPTY_DICT, OP.EMPTY_DICT, OPX.TUPLE2]],
    ['(None, None)', [OP.NONE, OP.NONE, OPX.TUPLE2]],
  ])('accepts %s and leaves the dict as it was', (_, s) => {
    expect([...(stateOf(...s) as Map<unknown, unknown>)]).toEqual([['k', 1]]);
  });

  it.each([
    ['a number', [int(1)], 'the number 1'],
    ['a 1-tuple', [OP.EMPTY_DICT, OP.TUPLE1], 'a tuple of 1'],
    ['a 3-tuple', [OP.NONE, OP.NONE, OP.NONE, OPX.TUPLE3], 'a tuple of 3'],
    ['a list of two dicts', [OP.MARK, OP.EMPTY_DICT, OP.EMPTY_DICT, OPX.LIST], 'a list of 2'],
    ['(1, None)', [int(1), OP.NONE, OPX.TUPLE2], 'a tuple of 2'],
    ['(None, 1)', [OP.NONE, int(1), OPX.TUPLE2], 'a tuple of 2'],
  ])('rejects %s as the attributes', (_, s, text) => {
    const at = 2 + 1 + bytes(str('k')).length + 2 + 1 + bytes(...s).length;
    corrupt(
      [OP.PROTO2, OP.EMPTY_DICT, str('k'), int(1), OP.SETITEM, ...s, OPX.BUILD, OP.STOP],
      `a dict of attributes for BUILD at byte ${at} of test.pkl`,
      text,
    );
  });

  it('rejects BUILD on anything but a dict', () => {
    corrupt(
      [OP.PROTO2, OP.EMPTY_LIST, OP.NONE, OPX.BUILD, OP.STOP],
      'BUILD on a dict (state_dict attributes) at byte 4 of test.pkl',
      'a list of 0',
    );
  });
});

describe('unpickle: persistent ids', () => {
  it('hands the id and where it is to persistentLoad and pushes what it returns', () => {
    const seen: unknown[] = [];
    const persistentLoad = (pid: unknown, where: string): unknown => {
      seen.push(pid, where);
      return { storage: pid };
    };
    expect(unpickle(bytes(OP.PROTO2, int(1), str('key'), OPX.TUPLE2, OP.BINPERSID, OP.STOP), 0, { ...opts, persistentLoad }).value).toEqual(
      { storage: [1, 'key'] },
    );
    expect(seen).toEqual([[1, 'key'], 'test.pkl (byte 13)']);
  });

  it('rejects BINPERSID when no persistentLoad is given', () => {
    corrupt([OP.PROTO2, int(1), OP.BINPERSID, OP.STOP], 'no persistent ids in this pickle at byte 4 of test.pkl', 'BINPERSID');
  });
});

describe('describe, isTuple, isList', () => {
  it.each([
    [null, 'None'],
    [undefined, 'nothing'],
    ['abc', "'abc'"],
    ['', "''"],
    ['x'.repeat(40), `'${'x'.repeat(40)}'`],
    [`${'y'.repeat(39)}zw`, `a string '${'y'.repeat(39)}z…'`],
    [3, 'the number 3'],
    [-0.5, 'the number -0.5'],
    [2n ** 70n, 'the number 1180591620717411303424'],
    [true, 'True'],
    [false, 'False'],
    [new Uint8Array(3), 'bytes of length 3'],
    [Object.freeze([1, 2]), 'a tuple of 2'],
    [[1, 2, 3], 'a list of 3'],
    [new Map([[1, 2]]), 'a dict of 1'],
    [new PickleGlobal('torch.FloatStorage', {}), 'the global torch.FloatStorage'],
    [new Date(0), 'Date'],
    [Object.create(null), 'object'],
  ])('describe(%o) is %s', (v, text) => {
    expect(describeValue(v)).toBe(text);
  });

  it('tells tuples (frozen arrays) from lists, and neither from other values', () => {
    const cases: [unknown, boolean, boolean][] = [
      [Object.freeze([]), true, false],
      [[], false, true],
      ['ab', false, false], // primitives count as frozen
      [Object.freeze({ length: 0 }), false, false],
      [{ length: 0 }, false, false],
      [new Uint8Array(2), false, false],
    ];
    for (const [v, tuple, list] of cases) expect([isTuple(v), isList(v)]).toEqual([tuple, list]);
  });
});
