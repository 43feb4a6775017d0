/**
 * The pickle opcodes of protocols 2 to 5 that a `state_dict` uses, by the names Python's
 * `pickle` module gives them: the one table that the reader (`unpickle`) and the test helpers'
 * writer share (`@tpfr/core/internal`). Each value is the opcode's byte.
 */
export const PICKLE_OP = {
  // Framing and control.
  PROTO: 0x80,
  FRAME: 0x95,
  STOP: 0x2e, // '.'
  MARK: 0x28, // '('
  POP: 0x30, // '0'
  POP_MARK: 0x31, // '1'
  DUP: 0x32, // '2'
  // Memo.
  BINPUT: 0x71, // 'q'
  LONG_BINPUT: 0x72, // 'r'
  MEMOIZE: 0x94,
  BINGET: 0x68, // 'h'
  LONG_BINGET: 0x6a, // 'j'
  // Scalars.
  NONE: 0x4e, // 'N'
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  BININT: 0x4a, // 'J'
  BININT1: 0x4b, // 'K'
  BININT2: 0x4d, // 'M'
  LONG1: 0x8a,
  LONG4: 0x8b,
  BINFLOAT: 0x47, // 'G'
  // Strings and bytes.
  BINUNICODE: 0x58, // 'X'
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINSTRING: 0x54, // 'T'
  SHORT_BINSTRING: 0x55, // 'U'
  BINBYTES: 0x42, // 'B'
  SHORT_BINBYTES: 0x43, // 'C'
  BINBYTES8: 0x8e,
  // Containers.
  EMPTY_TUPLE: 0x29, // ')'
  TUPLE: 0x74, // 't'
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  EMPTY_LIST: 0x5d, // ']'
  LIST: 0x6c, // 'l'
  APPEND: 0x61, // 'a'
  APPENDS: 0x65, // 'e'
  EMPTY_DICT: 0x7d, // '}'
  DICT: 0x64, // 'd'
  SETITEM: 0x73, // 's'
  SETITEMS: 0x75, // 'u'
  // Globals, calls and persistent ids.
  GLOBAL: 0x63, // 'c'
  STACK_GLOBAL: 0x93,
  REDUCE: 0x52, // 'R'
  NEWOBJ: 0x81,
  BUILD: 0x62, // 'b'
  BINPERSID: 0x51, // 'Q'
} as const;

/** The name of a pickle opcode (a key of {@link PICKLE_OP}). */
export type PickleOpName = keyof typeof PICKLE_OP;
