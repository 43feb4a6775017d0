/**
 * A reader of a zip's central directory (with zip64), enough for `torch.save`'s archives.
 *
 * Why not `fflate`: PyTorch only writes stored (uncompressed) entries, so no inflater is needed;
 * reading the central directory ourselves is ~150 lines, returns zero-copy views of each entry,
 * checks every size and offset against the bytes present before anything is read, and keeps
 * `@tpfr/core/torch` free of dependencies.
 * @module
 */
import { CheckpointError } from './errors.js';

/** One file of the archive. */
export interface ZipEntry {
  /** Path inside the archive, `/`-separated. */
  readonly name: string;
  /** Compression method: 0 stored, 8 deflate, ... */
  readonly method: number;
  /** Size in the archive. */
  readonly compressedSize: number;
  /** Size once extracted. */
  readonly size: number;
  /** Offset of the entry's data (after its local header). */
  readonly dataOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_COMMENT = 0xffff;

const names = new TextDecoder(); // UTF-8

const truncated = (expected: string, received: string): CheckpointError => new CheckpointError('truncated', expected, received);
const corrupt = (expected: string, received: string): CheckpointError => new CheckpointError('corrupt', expected, received);

/** Throws unless `name` stays inside the archive: no `..` segment, no absolute or drive path. */
export function checkEntryName(name: string): void {
  const unsafe =
    name.length === 0 ||
    name.startsWith('/') ||
    name.startsWith('\\') ||
    /^[A-Za-z]:/.test(name) ||
    name.includes('\0') ||
    name.split(/[/\\]/).some((s) => s === '..');
  if (unsafe) {
    throw new CheckpointError('unsafe-path', 'zip entry names relative to the archive folder, without ".." or absolute paths', `'${name}'`);
  }
}

/**
 * Lists the entries of a zip archive, checking every header and range.
 * @throws {CheckpointError} `not-a-checkpoint` when there is no end-of-central-directory record,
 * `truncated` / `corrupt` for bad records, `unsafe-path` for names that leave the archive.
 */
export function readZipEntries(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  const u16 = (o: number): number => view.getUint16(o, true);
  const u32 = (o: number): number => view.getUint32(o, true);
  const u64 = (o: number, what: string): number => {
    const v = view.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`${what} below 2^53`, String(v));
    return Number(v);
  };

  // End of central directory: the last signature within the final 22 + 65535 bytes.
  let eocd = -1;
  for (let o = len - 22; o >= Math.max(0, len - 22 - MAX_COMMENT); o--) {
    if (u32(o) === EOCD && o + 22 + u16(o + 20) <= len) {
      eocd = o;
      break;
    }
  }
  if (eocd < 0) {
    throw new CheckpointError(
      'truncated',
      'a zip end-of-central-directory record (PK\\x05\\x06) in the last 65,557 bytes',
      `none in ${len} bytes (truncated or not a zip)`,
    );
  }
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || u32(loc) !== ZIP64_LOCATOR) throw corrupt('a zip64 end-of-central-directory locator before the end record', 'none');
    const z = u64(loc + 8, 'the zip64 end record offset');
    if (z + 56 > len || u32(z) !== ZIP64_EOCD)
      throw corrupt(`a zip64 end-of-central-directory record at byte ${z}`, z + 56 > len ? 'the end of the file' : 'another signature');
    count = u64(z + 32, 'the zip64 entry count');
    cdSize = u64(z + 40, 'the zip64 central directory size');
    cdOffset = u64(z + 48, 'the zip64 central directory offset');
  }
  if (cdOffset + cdSize > len) {
    throw truncated(`a central directory of ${cdSize} bytes at byte ${cdOffset}`, `a file of ${len} bytes`);
  }
  if (count * 46 > cdSize) throw corrupt(`${count} central directory records (46+ bytes each) in ${cdSize} bytes`, `${cdSize} bytes`);

  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  let p = cdOffset;
  const cdEnd = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdEnd || u32(p) !== CENTRAL)
      throw corrupt(
        `central directory record ${i} of ${count} at byte ${p}`,
        p + 46 > cdEnd ? 'the end of the directory' : 'another signature',
      );
    const flags = u16(p + 8);
    const method = u16(p + 10);
    let compressedSize = u32(p + 20);
    let size = u32(p + 24);
    const nameLen = u16(p + 28);
    const extraLen = u16(p + 30);
    const commentLen = u16(p + 32);
    let local = u32(p + 42);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > cdEnd) throw truncated(`central directory record ${i} within the directory`, `a record running past it`);
    const name = names.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    checkEntryName(name);
    if (seen.has(name)) throw corrupt('unique zip entry names', `'${name}' twice`);
    seen.add(name);
    if (flags & 1) throw new CheckpointError('unsupported', `unencrypted zip entries`, `'${name}' encrypted`);
    // Zip64 extra field: 64-bit values replace the 32-bit ones that are 0xffffffff, in order.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = u16(e);
      const n = u16(e + 2);
      if (id === 0x0001) {
        let f = e + 4;
        const end = f + n;
        const take = (what: string): number => {
          if (f + 8 > end) throw corrupt(`a zip64 ${what} in the extra field of '${name}'`, 'a short field');
          const v = u64(f, `the zip64 ${what} of '${name}'`);
          f += 8;
          return v;
        };
        if (size === 0xffffffff) size = take('size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (local === 0xffffffff) local = take('local header offset');
      }
      e += 4 + n;
    }
    if (local + 30 > len || u32(local) !== LOCAL)
      throw corrupt(`a local file header for '${name}' at byte ${local}`, local + 30 > len ? 'the end of the file' : 'another signature');
    const dataOffset = local + 30 + u16(local + 26) + u16(local + 28);
    if (dataOffset + compressedSize > len) {
      throw truncated(
        `${compressedSize} bytes of '${name}' at byte ${dataOffset}`,
        `${Math.max(0, len - dataOffset)} (the file ends there)`,
      );
    }
    entries.push({ name, method, compressedSize, size, dataOffset });
    p = next;
  }
  return entries;
}

/**
 * The bytes of a stored entry (a view, no copy).
 * @throws {CheckpointError} `unsupported` for compressed entries.
 */
export function storedEntryBytes(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  if (entry.method !== 0 || entry.size !== entry.compressedSize) {
    throw new CheckpointError(
      'unsupported',
      `a stored (uncompressed, method 0) zip entry as torch.save writes for '${entry.name}'`,
      `method ${entry.method}${entry.method === 8 ? ' (deflate: the archive was re-zipped)' : ''}`,
    );
  }
  return bytes.subarray(entry.dataOffset, entry.dataOffset + entry.size);
}
