/**
 * Hand-made pickles, legacy files and zips, valid or deliberately broken, for the tests of
 * `readTorchCheckpoint` (`@tpfr/testing/torch-craft`).
 * @module
 */
import { PICKLE_OP } from '@tpfr/core/internal';
import { CheckpointError } from '@tpfr/core/torch';
import { crc32 } from './crc32.js';

/** Bytes, a byte array or one byte. */
export type Part = number | readonly number[] | Uint8Array;

/** Concatenates parts into bytes. */
export function bytes(...parts: Part[]): Uint8Array {
  const flat: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') flat.push(p);
    else for (const b of p) flat.push(b);
  }
  return Uint8Array.from(flat);
}

const enc = new TextEncoder();
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/**
 * The pickle opcodes by name: the reader's own table (`PICKLE_OP`), and `PROTO2`, the header
 * `PROTO 2` that starts a protocol-2 pickle.
 */
export const OP = { ...PICKLE_OP, PROTO2: [PICKLE_OP.PROTO, 2] } as const;

/** BINUNICODE. */
export const str = (s: string): Uint8Array => {
  const b = enc.encode(s);
  return bytes(OP.BINUNICODE, u32(b.length), b);
};

/** BININT1 / BININT / LONG1. */
export function int(n: number | bigint): number[] {
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 256) return [OP.BININT1, n];
  if (typeof n === 'number' && Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) return [OP.BININT, ...u32(n >>> 0)];
  let v = BigInt(n);
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0xffn);
    out.push(b);
    v >>= 8n;
    if ((v === 0n && !(b & 0x80)) || (v === -1n && b & 0x80)) break;
  }
  return [OP.LONG1, out.length, ...out];
}

/** GLOBAL 'module name'. */
export const global = (module: string, name: string): Uint8Array => bytes(OP.GLOBAL, enc.encode(`${module}\n${name}\n`));

/** A tuple of ints. */
export const intTuple = (v: readonly (number | bigint)[]): Uint8Array => bytes(OP.MARK, ...v.map(int), OP.TUPLE);

/** One tensor of a hand-made state dict. */
export interface CraftTensor {
  name: string;
  /** Storage class, `FloatStorage` by default. */
  storage?: string;
  key: string;
  numel: number | bigint;
  offset?: number;
  shape: readonly number[];
  stride?: readonly number[];
}

/** The state-dict pickle of `torch.save`, by hand (no memo). */
export function stateDictPickle(tensors: readonly CraftTensor[], legacy: boolean): Uint8Array {
  const parts: Part[] = [OP.PROTO2, global('collections', 'OrderedDict'), OP.EMPTY_TUPLE, OP.REDUCE];
  if (tensors.length > 0) parts.push(OP.MARK);
  for (const t of tensors) {
    const stride = t.stride ?? t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    parts.push(str(t.name), global('torch._utils', '_rebuild_tensor_v2'), OP.MARK);
    parts.push(OP.MARK, str('storage'), global('torch', t.storage ?? 'FloatStorage'), str(t.key), str('cpu'), int(t.numel));
    if (legacy) parts.push(OP.NONE);
    parts.push(OP.TUPLE, OP.BINPERSID, int(t.offset ?? 0), intTuple(t.shape), intTuple(stride), OP.NEWFALSE);
    parts.push(global('collections', 'OrderedDict'), OP.EMPTY_TUPLE, OP.REDUCE, OP.TUPLE, OP.REDUCE);
  }
  if (tensors.length > 0) parts.push(OP.SETITEMS);
  parts.push(OP.STOP);
  return bytes(...parts);
}

/** The first three pickles of a legacy file: magic number, protocol version 1001, sys_info. */
export const LEGACY_HEAD = bytes(
  OP.PROTO2,
  OP.LONG1,
  10,
  0x6c,
  0xfc,
  0x9c,
  0x46,
  0xf9,
  0x20,
  0x6a,
  0xa8,
  0x50,
  0x19,
  OP.STOP,
  OP.PROTO2,
  OP.BININT2,
  0xe9,
  0x03,
  OP.STOP,
  OP.PROTO2,
  OP.EMPTY_DICT,
  str('protocol_version'),
  OP.BININT2,
  0xe9,
  0x03,
  OP.SETITEM,
  str('little_endian'),
  OP.NEWTRUE,
  OP.SETITEM,
  OP.STOP,
);

/** A legacy file: head, `state`, the key list, then each storage's int64 count and bytes. */
export function legacyFile(
  state: Uint8Array,
  keys: readonly string[],
  storages: readonly { count: number | bigint; bytes: Uint8Array }[],
): Uint8Array {
  const list = bytes(OP.PROTO2, OP.EMPTY_LIST, keys.length ? [OP.MARK, ...keys.flatMap((k) => [...str(k)]), OP.APPENDS] : [], OP.STOP);
  const data = storages.map(({ count, bytes: b }) => {
    const out = new Uint8Array(8 + b.length);
    new DataView(out.buffer).setBigInt64(0, BigInt(count), true);
    out.set(b, 8);
    return out;
  });
  return bytes(LEGACY_HEAD, state, list, ...data);
}

/** Options of {@link zipFile}. */
export interface ZipOptions {
  /** Compression method written in the headers (the data is stored regardless). */
  method?: number;
  /** Write zip64 end records with 0xffff/0xffffffff in the classic one. */
  zip64?: boolean;
}

/** A zip of stored files (valid CRCs), names taken as given. */
export function zipFile(files: readonly (readonly [string, Uint8Array])[], opts: ZipOptions = {}): Uint8Array {
  const method = opts.method ?? 0;
  const locals: Part[] = [];
  const central: Part[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const n = enc.encode(name);
    const crc = crc32(data);
    const common = [
      20,
      0,
      0,
      0,
      method & 0xff,
      method >> 8,
      0,
      0,
      0x21,
      0,
      ...u32(crc),
      ...u32(data.length),
      ...u32(data.length),
      n.length & 0xff,
      n.length >> 8,
    ];
    const local = bytes(u32(0x04034b50), common, 0, 0, n, data);
    central.push(u32(0x02014b50), 20, 0, common, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, u32(offset), n);
    locals.push(local);
    offset += local.length;
  }
  const cd = bytes(...central);
  const count = files.length;
  if (!opts.zip64) {
    return bytes(
      ...locals,
      cd,
      u32(0x06054b50),
      0,
      0,
      0,
      0,
      count & 0xff,
      count >> 8,
      count & 0xff,
      count >> 8,
      u32(cd.length),
      u32(offset),
      0,
      0,
    );
  }
  const u64 = (v: number): number[] => [...u32(v), 0, 0, 0, 0];
  const z64At = offset + cd.length;
  const z64 = bytes(u32(0x06064b50), u64(44), 45, 0, 45, 0, u32(0), u32(0), u64(count), u64(count), u64(cd.length), u64(offset));
  const locator = bytes(u32(0x07064b50), u32(0), u64(z64At), u32(1));
  return bytes(...locals, cd, z64, locator, u32(0x06054b50), 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, u32(0xffffffff), u32(0xffffffff), 0, 0);
}

/** A zip checkpoint: `<archive>/data.pkl`, `<archive>/data/<key>` for each storage, `version`. */
export function zipCheckpoint(
  pkl: Uint8Array,
  storages: Readonly<Record<string, Uint8Array>>,
  archive = 'archive',
  opts: ZipOptions = {},
): Uint8Array {
  return zipFile(
    [
      [`${archive}/data.pkl`, pkl],
      ...Object.entries(storages).map(([k, b]) => [`${archive}/data/${k}`, b] as const),
      [`${archive}/version`, enc.encode('3\n')],
    ],
    opts,
  );
}

/** Little-endian float32 bytes. */
export const f32Bytes = (v: readonly number[]): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);

/** The CheckpointError that `f` throws (fails the test when it throws nothing or something else). */
export const thrown = (f: () => unknown): CheckpointError => {
  try {
    f();
  } catch (e) {
    if (e instanceof CheckpointError) return e;
    throw e;
  }
  throw new Error('expected a CheckpointError');
};
