/**
 * A restricted unpickler: it executes only the pickle opcodes a `state_dict` needs (protocols
 * 2 to 5) and calls only the globals its caller allows, so a pickle can only ever be data.
 *
 * Why not the `pickleparser` package (0.2.1): it resolves any global to a placeholder object
 * rather than rejecting it, throws plain `Error`s without offsets, reads `LONG1` as unsigned and
 * fails on the 10-byte legacy magic number, and has no way to bound what a hostile file makes it
 * allocate. This file is small enough to review in one sitting.
 *
 * Bounds: every opcode consumes at least one byte, so the loop ends; every length (strings,
 * bytes, big integers, frames) is checked against the bytes left before anything is decoded or
 * allocated; the stack, the mark stack and the memo therefore stay O(pickle size).
 * @module
 */
import { ByteCursor } from './byte-cursor.js';
import { CheckpointError, ForbiddenGlobalError, UnknownOpcodeError } from './errors.js';
import { PICKLE_OP } from './pickle-opcodes.js';

/** What the unpickler does with an allowed global. */
export interface GlobalImpl {
  /** What the global is, for the code that finds it in the unpickled data. */
  readonly kind?: string;
  /** Called by REDUCE / NEWOBJ with the argument tuple; absent for globals that are only values. */
  readonly call?: (args: readonly unknown[], where: string) => unknown;
}

/** An allowed global, as it sits on the pickle stack. */
export class PickleGlobal {
  /**
   * @param qualifiedName `module.name`, e.g. `torch._utils._rebuild_tensor_v2`.
   * @param impl what REDUCE does with it.
   */
  constructor(
    readonly qualifiedName: string,
    readonly impl: GlobalImpl,
  ) {}
}

/** A pickled dict or `OrderedDict`, in insertion order. */
export type PickleDict = Map<PickleKey, unknown>;
/** The dict keys this reader accepts (hashable scalars). */
export type PickleKey = string | number | bigint | boolean | null;

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /** What the pickle is, for messages (`data.pkl`, `the legacy state-dict pickle`). */
  readonly where: string;
  /** Allowed globals by `module.name`. */
  readonly globals: ReadonlyMap<string, GlobalImpl>;
  /** The allowed globals in words, for the message of a rejected one. */
  readonly allowedText: string;
  /** Resolves a persistent id (BINPERSID); absent: persistent ids are rejected. */
  readonly persistentLoad?: (pid: unknown, where: string) => unknown;
}

/** Whether `v` is a pickled tuple (tuples are frozen arrays, lists are not). */
export function isTuple(v: unknown): v is readonly unknown[] {
  return Array.isArray(v) && Object.isFrozen(v);
}

/** Whether `v` is a pickled list. */
export function isList(v: unknown): v is unknown[] {
  return Array.isArray(v) && !Object.isFrozen(v);
}

const tuple = (items: unknown[]): readonly unknown[] => Object.freeze(items);

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

function signedLittleEndian(b: Uint8Array): number | bigint {
  let v = 0n; // zero bytes are 0
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if ((b[b.length - 1] ?? 0) & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * Unpickles the pickle that starts at `start` and returns its value and the offset just past
 * its STOP opcode.
 * @throws {CheckpointError} on truncation, malformed structure, a rejected global
 * ({@link ForbiddenGlobalError}) or opcode ({@link UnknownOpcodeError}).
 */
export function unpickle(bytes: Uint8Array, start: number, opts: UnpickleOptions): { value: unknown; end: number } {
  const { where } = opts;
  const c = new ByteCursor(bytes, where, start);
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();
  let at = 0;

  const corrupt = (expected: string, received: string): CheckpointError =>
    new CheckpointError('corrupt', `${expected} at byte ${at} of ${where}`, received);
  // Reads `stack` when called, after its argument (which may pop a mark and swap `stack`).
  const push = (v: unknown): void => {
    stack.push(v);
  };
  const pop = (): unknown => {
    if (stack.length === 0) throw corrupt('a value on the pickle stack', 'an empty stack');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw corrupt('a value on the pickle stack', 'an empty stack');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = marks.pop();
    if (prev === undefined) throw corrupt('a MARK before this opcode', 'none');
    stack = prev;
    return items;
  };
  const text = (b: Uint8Array): string => {
    try {
      return utf8.decode(b);
    } catch {
      throw corrupt('a UTF-8 string', 'invalid UTF-8');
    }
  };
  const key = (k: unknown): PickleKey => {
    if (k === null || typeof k === 'string' || typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return k;
    throw corrupt('a dict key that is a string or number', describe(k));
  };
  const dictAt = (d: unknown): PickleDict => {
    if (!(d instanceof Map)) throw corrupt('a dict to set items in', describe(d));
    return d as PickleDict;
  };
  const listAt = (l: unknown): unknown[] => {
    if (!isList(l)) throw corrupt('a list to append to', describe(l));
    return l;
  };
  const global = (module: string, name: string): PickleGlobal => {
    const qualified = `${module}.${name}`;
    const impl = opts.globals.get(qualified);
    if (impl === undefined) throw new ForbiddenGlobalError(qualified, at, where, opts.allowedText);
    return new PickleGlobal(qualified, impl);
  };
  const call = (fn: unknown, args: unknown): unknown => {
    if (!(fn instanceof PickleGlobal) || fn.impl.call === undefined) throw corrupt('an allowed callable for REDUCE', describe(fn));
    if (!isTuple(args)) throw corrupt(`an argument tuple for ${fn.qualifiedName}`, describe(args));
    return fn.impl.call(args, `${where} (byte ${at})`);
  };
  const setMemo = (i: number): void => {
    memo.set(i, top());
  };
  const getMemo = (i: number): void => {
    if (!memo.has(i)) throw corrupt(`memo entry ${i} stored before`, `no such entry (${memo.size} stored)`);
    push(memo.get(i));
  };

  for (;;) {
    at = c.offset;
    const op = c.u8('an opcode (the pickle has no STOP)');
    switch (op) {
      case PICKLE_OP.PROTO: {
        const v = c.u8('the protocol number');
        if (v < 2 || v > 5) throw new CheckpointError('unsupported', `pickle protocol 2 to 5 at byte ${at} of ${where}`, `protocol ${v}`);
        break;
      }
      case PICKLE_OP.FRAME: {
        const n = c.u64('the frame length');
        c.need(n, 'the frame');
        break;
      }
      case PICKLE_OP.STOP:
        return { value: pop(), end: c.pos };
      case PICKLE_OP.MARK:
        marks.push(stack);
        stack = [];
        break;
      case PICKLE_OP.POP:
        pop();
        break;
      case PICKLE_OP.POP_MARK:
        popMark();
        break;
      case PICKLE_OP.DUP:
        push(top());
        break;
      // Memo.
      case PICKLE_OP.BINPUT:
        setMemo(c.u8());
        break;
      case PICKLE_OP.LONG_BINPUT:
        setMemo(c.u32());
        break;
      case PICKLE_OP.MEMOIZE:
        setMemo(memo.size);
        break;
      case PICKLE_OP.BINGET:
        getMemo(c.u8());
        break;
      case PICKLE_OP.LONG_BINGET:
        getMemo(c.u32());
        break;
      // Scalars.
      case PICKLE_OP.NONE:
        push(null);
        break;
      case PICKLE_OP.NEWTRUE:
        push(true);
        break;
      case PICKLE_OP.NEWFALSE:
        push(false);
        break;
      case PICKLE_OP.BININT:
        push(c.i32());
        break;
      case PICKLE_OP.BININT1:
        push(c.u8());
        break;
      case PICKLE_OP.BININT2:
        push(c.u16());
        break;
      case PICKLE_OP.LONG1: {
        const n = c.u8('the LONG1 length');
        push(signedLittleEndian(c.take(n, 'a LONG1 integer')));
        break;
      }
      case PICKLE_OP.LONG4: {
        const n = c.i32('the LONG4 length');
        if (n < 0 || n > 64) throw corrupt('a LONG4 integer of 0 to 64 bytes', `${n} bytes`);
        push(signedLittleEndian(c.take(n, 'a LONG4 integer')));
        break;
      }
      case PICKLE_OP.BINFLOAT:
        push(c.f64be());
        break;
      // Strings and bytes.
      case PICKLE_OP.BINUNICODE:
        push(text(c.take(c.u32('a string length'), 'a string')));
        break;
      case PICKLE_OP.SHORT_BINUNICODE:
        push(text(c.take(c.u8('a string length'), 'a string')));
        break;
      case PICKLE_OP.BINUNICODE8:
        push(text(c.take(c.u64('a string length'), 'a string')));
        break;
      case PICKLE_OP.BINSTRING: {
        // Python 2 str
        const n = c.i32('a string length');
        if (n < 0) throw corrupt('a non-negative string length', String(n));
        push(latin1.decode(c.take(n, 'a string')));
        break;
      }
      case PICKLE_OP.SHORT_BINSTRING:
        push(latin1.decode(c.take(c.u8('a string length'), 'a string')));
        break;
      case PICKLE_OP.BINBYTES:
        push(c.take(c.u32('a bytes length'), 'bytes').slice());
        break;
      case PICKLE_OP.SHORT_BINBYTES:
        push(c.take(c.u8('a bytes length'), 'bytes').slice());
        break;
      case PICKLE_OP.BINBYTES8:
        push(c.take(c.u64('a bytes length'), 'bytes').slice());
        break;
      // Containers.
      case PICKLE_OP.EMPTY_TUPLE:
        push(tuple([]));
        break;
      case PICKLE_OP.TUPLE:
        push(tuple(popMark()));
        break;
      case PICKLE_OP.TUPLE1:
        push(tuple([pop()]));
        break;
      case PICKLE_OP.TUPLE2: {
        const b = pop();
        push(tuple([pop(), b]));
        break;
      }
      case PICKLE_OP.TUPLE3: {
        const c3 = pop();
        const b = pop();
        push(tuple([pop(), b, c3]));
        break;
      }
      case PICKLE_OP.EMPTY_LIST:
        push([]);
        break;
      case PICKLE_OP.LIST:
        push(popMark());
        break;
      case PICKLE_OP.APPEND: {
        const v = pop();
        listAt(top()).push(v);
        break;
      }
      case PICKLE_OP.APPENDS: {
        const items = popMark();
        const list = listAt(top());
        for (const v of items) list.push(v);
        break;
      }
      case PICKLE_OP.EMPTY_DICT:
        push(new Map());
        break;
      case PICKLE_OP.DICT: {
        const items = popMark();
        if (items.length % 2 !== 0) throw corrupt('key/value pairs after MARK', `${items.length} items`);
        const d: PickleDict = new Map();
        for (let i = 0; i < items.length; i += 2) d.set(key(items[i]), items[i + 1]);
        push(d);
        break;
      }
      case PICKLE_OP.SETITEM: {
        const v = pop();
        const k = key(pop());
        dictAt(top()).set(k, v);
        break;
      }
      case PICKLE_OP.SETITEMS: {
        const items = popMark();
        if (items.length % 2 !== 0) throw corrupt('key/value pairs after MARK', `${items.length} items`);
        const d = dictAt(top());
        for (let i = 0; i < items.length; i += 2) d.set(key(items[i]), items[i + 1]);
        break;
      }
      // Globals and calls.
      case PICKLE_OP.GLOBAL: {
        const module = latin1.decode(c.line('a GLOBAL module name', 256));
        const name = latin1.decode(c.line('a GLOBAL name', 256));
        push(global(module, name));
        break;
      }
      case PICKLE_OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw corrupt('module and name strings for STACK_GLOBAL', `${describe(module)}, ${describe(name)}`);
        push(global(module, name));
        break;
      }
      case PICKLE_OP.REDUCE:
      case PICKLE_OP.NEWOBJ: {
        // the same as REDUCE here: the allowed globals are functions
        const args = pop();
        push(call(pop(), args));
        break;
      }
      case PICKLE_OP.BUILD: {
        // only the attributes an OrderedDict carries (state_dict._metadata)
        const state = pop();
        const obj = top();
        if (!(obj instanceof Map)) throw corrupt('BUILD on a dict (state_dict attributes)', describe(obj));
        const ok =
          state === null ||
          state instanceof Map ||
          (isTuple(state) && state.length === 2 && state.every((s) => s === null || s instanceof Map));
        if (!ok) throw corrupt('a dict of attributes for BUILD', describe(state));
        break;
      }
      case PICKLE_OP.BINPERSID: {
        const pid = pop();
        if (opts.persistentLoad === undefined) throw corrupt('no persistent ids in this pickle', 'BINPERSID');
        push(opts.persistentLoad(pid, `${where} (byte ${at})`));
        break;
      }
      default:
        throw new UnknownOpcodeError(op, at, where);
    }
  }
}

/** A short description of a pickled value's type, for messages. */
export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return v.length > 40 ? `a string '${v.slice(0, 40)}…'` : `'${v}'`;
  if (typeof v === 'number' || typeof v === 'bigint') return `the number ${v}`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v instanceof Uint8Array) return `bytes of length ${v.length}`;
  if (isTuple(v)) return `a tuple of ${v.length}`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v instanceof Map) return `a dict of ${v.size}`;
  if (v instanceof PickleGlobal) return `the global ${v.qualifiedName}`;
  return (v as object).constructor?.name ?? typeof v;
}
