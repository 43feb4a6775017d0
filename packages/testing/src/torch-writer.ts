/**
 * `writeTorchCheckpoint`: writes a state_dict in either of the formats of `torch.save`, for tests
 * and benchmarks of `readTorchCheckpoint` (`@tpfr/core/torch`) (and of anything that loads checkpoints).
 * PyTorch reads the result with `torch.load` (checked with torch 1.13, `weights_only=True` too).
 * @module
 */
import { ValueError } from '@tpfr/core';
import { PICKLE_OP as OP } from '@tpfr/core/internal';
import { TORCH_DTYPES, isTorchData, torchArrayName } from '@tpfr/core/torch';
import type { TorchDataTypes, TorchDType, TorchTensor } from '@tpfr/core/torch';
import { crc32 } from './crc32.js';

/** A storage: the flat elements that one or more tensors view. */
export type TorchStorage = { [D in TorchDType]: { readonly dtype: D; readonly data: TorchDataTypes[D] } }[TorchDType];

/**
 * A tensor that views a storage: element `[i, j, ...]` is `storage.data[offset + i·stride[0] +
 * j·stride[1] + ...]`. Tensors whose `storage.data` is the same array share one storage in the
 * file, as tied weights or views do in PyTorch.
 */
export interface TorchTensorView {
  readonly name: string;
  readonly storage: TorchStorage;
  /** Storage offset in elements (default 0). */
  readonly offset?: number;
  readonly shape: readonly number[];
  /** Strides in elements (default: C-order contiguous). */
  readonly stride?: readonly number[];
}

/** What {@link writeTorchCheckpoint} takes: whole tensors (`data` in C order) or views. */
export type WritableTorchTensor = TorchTensor | TorchTensorView;

/** Options of {@link writeTorchCheckpoint}. */
export interface WriteTorchCheckpointOptions {
  /** `'zip'` as PyTorch ≥ 1.6 writes, `'legacy'` as `_use_new_zipfile_serialization=False`. */
  readonly format: 'legacy' | 'zip';
  /** The zip's top folder (default `archive`). */
  readonly archiveName?: string;
}

const FN = 'writeTorchCheckpoint';
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface Storage {
  key: string;
  dtype: TorchDType;
  data: TorchDataTypes[TorchDType];
}
interface Entry {
  name: string;
  storage: Storage;
  offset: number;
  shape: number[];
  stride: number[];
}

const contiguousStride = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
};

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function normalize(tensors: Iterable<WritableTorchTensor> | ReadonlyMap<string, WritableTorchTensor>): {
  entries: Entry[];
  storages: Storage[];
} {
  const list = tensors instanceof Map ? [...tensors.values()] : [...(tensors as Iterable<WritableTorchTensor>)];
  const byData = new Map<unknown, Storage>();
  const storages: Storage[] = [];
  const names = new Set<string>();
  const entries = list.map((t): Entry => {
    const name = t.name;
    if (typeof name !== 'string' || names.has(name)) throw new ValueError(FN, 'unique string tensor names', JSON.stringify(name));
    names.add(name);
    const { dtype, data } = 'storage' in t ? t.storage : t;
    if (!(dtype in TORCH_DTYPES))
      throw new ValueError(FN, `a dtype of ${Object.keys(TORCH_DTYPES).join(', ')} for '${name}'`, String(dtype));
    if (!isTorchData(dtype, data))
      throw new ValueError(FN, `a ${torchArrayName(dtype)} for '${name}' (${dtype})`, (data as object)?.constructor?.name ?? typeof data);
    const shape = [...t.shape];
    if (!shape.every(isIndex)) throw new ValueError(FN, `a shape of non-negative integers for '${name}'`, `[${shape.join(',')}]`);
    const numel = shape.reduce((a, b) => a * b, 1);
    const offset = 'storage' in t ? (t.offset ?? 0) : 0;
    const stride = 'storage' in t && t.stride !== undefined ? [...t.stride] : contiguousStride(shape);
    if (!isIndex(offset) || stride.length !== shape.length || !stride.every(isIndex)) {
      throw new ValueError(
        FN,
        `a non-negative offset and ${shape.length} non-negative strides for '${name}'`,
        `offset ${offset}, stride [${stride.join(',')}]`,
      );
    }
    if ('storage' in t) {
      const last = offset + shape.reduce((a, d, i) => a + (d - 1) * stride[i]!, 0);
      if (numel > 0 && last >= data.length)
        throw new ValueError(FN, `view '${name}' inside its storage of ${data.length} elements`, `a last element at ${last}`);
    } else if (data.length !== numel) {
      throw new ValueError(FN, `${numel} elements for '${name}' of shape [${shape.join(',')}]`, `${data.length}`);
    }
    let storage = byData.get(data);
    if (storage === undefined) {
      storage = { key: String(storages.length), dtype, data };
      byData.set(data, storage);
      storages.push(storage);
    } else if (storage.dtype !== dtype) {
      throw new ValueError(FN, `one dtype per shared storage ('${name}')`, `${dtype} and ${storage.dtype}`);
    }
    return { name, storage, offset, shape, stride };
  });
  return { entries, storages };
}

/** A growable byte buffer with the pickle opcodes a state_dict needs (protocol 2). */
class PickleBuilder {
  private buf = new Uint8Array(1024);
  private len = 0;
  private readonly memo = new Map<string, number>();
  private static readonly utf8 = new TextEncoder();

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  op(...b: number[]): this {
    this.room(b.length);
    for (const v of b) this.buf[this.len++] = v;
    return this;
  }
  private u16(v: number): void {
    this.op(v & 0xff, (v >>> 8) & 0xff);
  }
  private u32(v: number): void {
    this.op(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  raw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  /** BINUNICODE. */
  str(s: string): this {
    const b = PickleBuilder.utf8.encode(s);
    this.op(OP.BINUNICODE);
    this.u32(b.length);
    this.raw(b);
    return this;
  }
  /** Anything, once; then BINGET of the memoised value. */
  private memoised(id: string, emit: () => void): this {
    const at = this.memo.get(id);
    if (at !== undefined) {
      if (at < 256) this.op(OP.BINGET, at);
      else {
        this.op(OP.LONG_BINGET);
        this.u32(at);
      }
      return this;
    }
    emit();
    const i = this.memo.size;
    this.memo.set(id, i);
    if (i < 256) this.op(OP.BINPUT, i);
    else {
      this.op(OP.LONG_BINPUT);
      this.u32(i);
    }
    return this;
  }
  global(module: string, name: string): this {
    return this.memoised(`g:${module}.${name}`, () => {
      this.op(OP.GLOBAL);
      this.raw(PickleBuilder.utf8.encode(`${module}\n${name}\n`));
    });
  }
  memoStr(s: string): this {
    return this.memoised(`s:${s}`, () => this.str(s));
  }
  int(n: number | bigint): this {
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 256) return this.op(OP.BININT1, n);
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 65536) {
      this.op(OP.BININT2);
      this.u16(n);
      return this;
    }
    if (typeof n === 'number' && Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) {
      this.op(OP.BININT);
      this.u32(n >>> 0);
      return this;
    }
    // LONG1: minimal little-endian two's complement.
    let v = BigInt(n);
    const bytes: number[] = [];
    for (;;) {
      const b = Number(v & 0xffn);
      bytes.push(b);
      v >>= 8n;
      if ((v === 0n && (b & 0x80) === 0) || (v === -1n && (b & 0x80) !== 0)) break;
    }
    return this.op(OP.LONG1, bytes.length, ...bytes);
  }
  intTuple(v: readonly number[]): this {
    if (v.length === 0) return this.op(OP.EMPTY_TUPLE);
    if (v.length > 3) this.op(OP.MARK);
    for (const d of v) this.int(d);
    return this.op(v.length === 1 ? OP.TUPLE1 : v.length === 2 ? OP.TUPLE2 : v.length === 3 ? OP.TUPLE3 : OP.TUPLE);
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

function statePickle(entries: Entry[], legacy: boolean): Uint8Array {
  const p = new PickleBuilder();
  p.op(OP.PROTO, 2).global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE, OP.REDUCE); // OrderedDict()
  for (let i = 0; i < entries.length; i++) {
    if (i % 1000 === 0) p.op(OP.MARK); // a batch, as pickle does
    const e = entries[i]!;
    p.str(e.name).global('torch._utils', '_rebuild_tensor_v2').op(OP.MARK);
    // persistent id ('storage', torch.<T>Storage, key, 'cpu', numel[, None])
    p.op(OP.MARK)
      .memoStr('storage')
      .global('torch', TORCH_DTYPES[e.storage.dtype].storage)
      .str(e.storage.key)
      .memoStr('cpu')
      .int(e.storage.data.length);
    if (legacy) p.op(OP.NONE);
    p.op(OP.TUPLE, OP.BINPERSID);
    p.int(e.offset).intTuple(e.shape).intTuple(e.stride).op(OP.NEWFALSE); // requires_grad
    p.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE, OP.REDUCE); // backward_hooks OrderedDict()
    p.op(OP.TUPLE, OP.REDUCE); // the arguments, then the call
    if (i % 1000 === 999 || i === entries.length - 1) p.op(OP.SETITEMS);
  }
  return p.op(OP.STOP).bytes();
}

function storageBytes(s: Storage): Uint8Array {
  return new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength);
}

function copyLittleEndian(out: Uint8Array, at: number, s: Storage): void {
  const src = storageBytes(s);
  out.set(src, at);
  const size = TORCH_DTYPES[s.dtype].bytes;
  if (!LITTLE && size > 1) {
    for (let i = at; i < at + src.length; i += size) out.subarray(i, i + size).reverse();
  }
}

function writeLegacy(entries: Entry[], storages: Storage[]): Uint8Array {
  const head = new PickleBuilder();
  // magic number 0x1950a86a20f9469cfc6c, protocol version 1001, sys_info
  head.op(OP.PROTO, 2).int(0x1950a86a20f9469cfc6cn).op(OP.STOP);
  head.op(OP.PROTO, 2).int(1001).op(OP.STOP);
  head.op(OP.PROTO, 2, OP.EMPTY_DICT, OP.MARK).str('protocol_version').int(1001).str('little_endian').op(OP.NEWTRUE);
  head
    .str('type_sizes')
    .op(OP.EMPTY_DICT, OP.MARK)
    .str('short')
    .int(2)
    .str('int')
    .int(4)
    .str('long')
    .int(4)
    .op(OP.SETITEMS, OP.SETITEMS, OP.STOP);
  const state = statePickle(entries, true);
  const keys = new PickleBuilder().op(OP.PROTO, 2, OP.EMPTY_LIST);
  if (storages.length > 0) {
    keys.op(OP.MARK);
    for (const s of storages) keys.str(s.key);
    keys.op(OP.APPENDS);
  }
  keys.op(OP.STOP);
  const parts = [head.bytes(), state, keys.bytes()];
  let size = parts.reduce((a, b) => a + b.length, 0);
  for (const s of storages) size += 8 + s.data.byteLength;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const b of parts) {
    out.set(b, at);
    at += b.length;
  }
  for (const s of storages) {
    view.setBigInt64(at, BigInt(s.data.length), true);
    copyLittleEndian(out, at + 8, s);
    at += 8 + s.data.byteLength;
  }
  return out;
}

function writeZip(entries: Entry[], storages: Storage[], archive: string): Uint8Array {
  const enc = new TextEncoder();
  const files: { name: Uint8Array; size: number; write: (out: Uint8Array, at: number) => void }[] = [];
  const small = (name: string, data: Uint8Array): void => {
    files.push({ name: enc.encode(`${archive}/${name}`), size: data.length, write: (out, at) => out.set(data, at) });
  };
  small('data.pkl', statePickle(entries, false));
  small('byteorder', enc.encode('little'));
  for (const s of storages) {
    files.push({ name: enc.encode(`${archive}/data/${s.key}`), size: s.data.byteLength, write: (out, at) => copyLittleEndian(out, at, s) });
  }
  small('version', enc.encode('3\n'));

  // Layout: local header + 'FB' padding so that data starts on a 64-byte boundary (as torch).
  const layout: { local: number; extra: number; data: number }[] = [];
  let at = 0;
  for (const f of files) {
    const bare = at + 30 + f.name.length + 4;
    const extra = 4 + ((64 - (bare % 64)) % 64);
    layout.push({ local: at, extra, data: at + 30 + f.name.length + extra });
    at += 30 + f.name.length + extra + f.size;
  }
  const cdOffset = at;
  const cdSize = files.reduce((a, f) => a + 46 + f.name.length, 0);
  const total = cdOffset + cdSize + 22;
  if (total >= 0xffffffff || files.length >= 0xffff) {
    throw new ValueError(FN, 'a zip checkpoint under 4 GiB and 65535 entries (no zip64 here)', `${total} bytes, ${files.length} entries`);
  }
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  const crcs: number[] = [];
  files.forEach((f, i) => {
    const { local, extra, data } = layout[i]!;
    f.write(out, data);
    const crc = crc32(out.subarray(data, data + f.size));
    crcs.push(crc);
    v.setUint32(local, 0x04034b50, true);
    v.setUint16(local + 4, 20, true); // version needed
    v.setUint16(local + 6, 0, true); // flags
    v.setUint16(local + 8, 0, true); // stored
    v.setUint16(local + 10, 0, true); // time
    v.setUint16(local + 12, 0x21, true); // date 1980-01-01
    v.setUint32(local + 14, crc, true);
    v.setUint32(local + 18, f.size, true);
    v.setUint32(local + 22, f.size, true);
    v.setUint16(local + 26, f.name.length, true);
    v.setUint16(local + 28, extra, true);
    out.set(f.name, local + 30);
    const e = local + 30 + f.name.length;
    v.setUint16(e, 0x4246, true); // 'FB'
    v.setUint16(e + 2, extra - 4, true);
    out.fill(0x5a, e + 4, e + extra); // 'Z'
  });
  let p = cdOffset;
  files.forEach((f, i) => {
    v.setUint32(p, 0x02014b50, true);
    v.setUint16(p + 4, 20, true); // made by
    v.setUint16(p + 6, 20, true); // needed
    v.setUint16(p + 8, 0, true);
    v.setUint16(p + 10, 0, true);
    v.setUint16(p + 12, 0, true);
    v.setUint16(p + 14, 0x21, true);
    v.setUint32(p + 16, crcs[i]!, true);
    v.setUint32(p + 20, f.size, true);
    v.setUint32(p + 24, f.size, true);
    v.setUint16(p + 28, f.name.length, true);
    // extra, comment, disk, internal and external attributes: 0
    v.setUint32(p + 42, layout[i]!.local, true);
    out.set(f.name, p + 46);
    p += 46 + f.name.length;
  });
  v.setUint32(p, 0x06054b50, true);
  v.setUint16(p + 8, files.length, true);
  v.setUint16(p + 10, files.length, true);
  v.setUint32(p + 12, cdSize, true);
  v.setUint32(p + 16, cdOffset, true);
  return out;
}

/**
 * Writes tensors as `torch.save(state_dict)` would, in `opts.format`: `'zip'` (PyTorch ≥ 1.6:
 * a stored zip `<archive>/data.pkl`, `data/<key>`, `byteorder`, `version`, data aligned to 64
 * bytes) or `'legacy'` (PyTorch < 1.6: the five pickles then each storage's int64 count and
 * bytes). The pickle is protocol 2 and uses only `collections.OrderedDict`,
 * `torch._utils._rebuild_tensor_v2` and the `torch.<Type>Storage` classes, so `torch.load(...,
 * weights_only=True)` accepts it. Tensors are written in the order given; tensors whose data (or
 * `storage.data`) is the same array share one storage. One allocation of the output, one copy
 * of each storage: a 100 MB checkpoint takes well under a second.
 * @param tensors whole tensors (`{name, dtype, shape, data}` with `data` in C order and of the
 * dtype's array type, as `readTorchCheckpoint` (`@tpfr/core/torch`) returns them) or {@link TorchTensorView}s.
 * @throws {ValueError} for duplicate names, a data array of the wrong type or length, a view
 * outside its storage, or (zip) an output of 4 GiB or more.
 */
export function writeTorchCheckpoint(
  tensors: Iterable<WritableTorchTensor> | ReadonlyMap<string, WritableTorchTensor>,
  opts: WriteTorchCheckpointOptions,
): Uint8Array {
  const { entries, storages } = normalize(tensors);
  if (opts.format === 'legacy') return writeLegacy(entries, storages);
  if (opts.format === 'zip') {
    const archive = opts.archiveName ?? 'archive';
    if (!/^[A-Za-z0-9_.-]+$/.test(archive) || archive === '..' || archive === '.')
      throw new ValueError(FN, 'an archive name of letters, digits, _ . -', JSON.stringify(archive));
    return writeZip(entries, storages, archive);
  }
  throw new ValueError(FN, "format 'legacy' or 'zip'", String((opts as { format?: unknown }).format));
}
