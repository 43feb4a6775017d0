import { expect, it } from 'vitest';
import { PICKLE_OP } from './pickle-opcodes.js';

// Python's pickle module (Lib/pickle.py), opcode by opcode: the bytes the table must hold.
const PYTHON: Record<keyof typeof PICKLE_OP, string> = {
  PROTO: '\x80',
  FRAME: '\x95',
  STOP: '.',
  MARK: '(',
  POP: '0',
  POP_MARK: '1',
  DUP: '2',
  BINPUT: 'q',
  LONG_BINPUT: 'r',
  MEMOIZE: '\x94',
  BINGET: 'h',
  LONG_BINGET: 'j',
  NONE: 'N',
  NEWTRUE: '\x88',
  NEWFALSE: '\x89',
  BININT: 'J',
  BININT1: 'K',
  BININT2: 'M',
  LONG1: '\x8a',
  LONG4: '\x8b',
  BINFLOAT: 'G',
  BINUNICODE: 'X',
  SHORT_BINUNICODE: '\x8c',
  BINUNICODE8: '\x8d',
  BINSTRING: 'T',
  SHORT_BINSTRING: 'U',
  BINBYTES: 'B',
  SHORT_BINBYTES: 'C',
  BINBYTES8: '\x8e',
  EMPTY_TUPLE: ')',
  TUPLE: 't',
  TUPLE1: '\x85',
  TUPLE2: '\x86',
  TUPLE3: '\x87',
  EMPTY_LIST: ']',
  LIST: 'l',
  APPEND: 'a',
  APPENDS: 'e',
  EMPTY_DICT: '}',
  DICT: 'd',
  SETITEM: 's',
  SETITEMS: 'u',
  GLOBAL: 'c',
  STACK_GLOBAL: '\x93',
  REDUCE: 'R',
  NEWOBJ: '\x81',
  BUILD: 'b',
  BINPERSID: 'Q',
};

it("names each opcode's byte as Python's pickle module does, each byte once", () => {
  expect(Object.fromEntries(Object.entries(PICKLE_OP).map(([name, byte]) => [name, String.fromCharCode(byte)]))).toEqual(PYTHON);
  expect(new Set(Object.values(PICKLE_OP)).size).toBe(Object.keys(PICKLE_OP).length);
});
