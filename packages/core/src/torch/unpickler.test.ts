import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { unpickle, isTuple, isList, type UnpickleOptions } from './unpickler.js';
import { CheckpointError, ForbiddenGlobalError, UnknownOpcodeError } from './errors.js';
import { STATE_DICT_GLOBALS, STATE_DICT_GLOBALS_TEXT } from './state-dict.js';
import { bytes, global, int, OP, str } from './craft.test-util.js';

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
    expect([...d]).toEqual([['b', 1], ['a', 2]]);
  });

  it('reads protocol 4 framing, MEMOIZE and STACK_GLOBAL of an allowed global', () => {
    const v = load(0x80, 4, 0x95, 10, 0, 0, 0, 0, 0, 0, 0, 0x8c, 11, ...new TextEncoder().encode('collections'), 0x94, 0x8c, 11, ...new TextEncoder().encode('OrderedDict'), 0x94, OP.STACK_GLOBAL, 0x94, OP.EMPTY_TUPLE, OP.REDUCE, OP.STOP);
    expect(v).toBeInstanceOf(Map);
  });

  it('ignores the attributes BUILD sets on an OrderedDict (state_dict._metadata)', () => {
    const v = load(OP.PROTO2, global('collections', 'OrderedDict'), OP.EMPTY_TUPLE, OP.REDUCE, OP.EMPTY_DICT, str('_metadata'), OP.EMPTY_DICT, OP.SETITEM, 0x62, OP.STOP);
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
    for (const [op, label] of [[0x8f, '0x8f'], [0xff, '0xff'], [0x69, "0x69 'i'"], [0x67, "0x67 'g'"]] as const) {
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
