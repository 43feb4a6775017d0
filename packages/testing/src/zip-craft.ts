/**
 * Zip archives built field by field, so that each header of the zip reader's tests can be made
 * valid or broken on purpose (data descriptors, zip64 extra fields and end records, comments,
 * trailing bytes, local headers that disagree with the central directory...).
 * @module
 */
import { crc32 } from './crc32.js';

const enc = new TextEncoder();

/** Little-endian uint16 bytes. */
export const le16 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff];
/** Little-endian uint32 bytes. */
export const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
/** Little-endian uint64 bytes. */
export const le64 = (n: number | bigint): number[] => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  return [...out];
};

/** UTF-8 bytes of a string. */
export const utf8 = (s: string): Uint8Array => enc.encode(s);

/** An extra field: id, length, payload. */
export const extraField = (id: number, payload: readonly number[]): number[] => [...le16(id), ...le16(payload.length), ...payload];

/** A zip64 extended-information extra field holding `values` (uint64 each), in the order given. */
export const zip64Extra = (...values: (number | bigint)[]): number[] => extraField(0x0001, values.flatMap(le64));

/** One entry of {@link craftZip}. Every field of the central record can be overridden. */
export interface CraftEntry {
  name: string;
  data: Uint8Array;
  /** Compression method in both headers (the data is written as given). */
  method?: number;
  /** General purpose flags in both headers (bit 3 also moves sizes to a data descriptor). */
  flags?: number;
  /** Central record's compressed size field (default: the data's length). */
  compressedSize?: number;
  /** Central record's uncompressed size field (default: the data's length). */
  size?: number;
  /** Central record's local header offset field (default: where the local header is). */
  localOffset?: number;
  /** Central record's name length field (default: the name's byte length). */
  nameLen?: number;
  /** Central record's extra field. */
  extra?: readonly number[];
  /** Central record's file comment. */
  comment?: Uint8Array;
  /** Local header's name (default: the same name). */
  localName?: string;
  /** Local header's extra field. */
  localExtra?: readonly number[];
  /** Replaces the central record's signature. */
  signature?: number;
  /** Replaces the local header's signature. */
  localSignature?: number;
}

/** Options of {@link craftZip}. */
export interface CraftOptions {
  /** Bytes before the first local header (a self-extractor stub, say). */
  prefix?: Uint8Array;
  /** The end record's comment. */
  comment?: Uint8Array;
  /** Overrides the end record's comment length field. */
  commentLen?: number;
  /** Bytes after the end record and its comment. */
  trailer?: Uint8Array;
  /** Overrides of the classic end record's fields. */
  count?: number;
  cdSize?: number;
  cdOffset?: number;
  /** Writes a zip64 end record and locator before the classic end record. */
  zip64?: {
    count?: number | bigint;
    cdSize?: number | bigint;
    cdOffset?: number | bigint;
    /** The locator's pointer to the zip64 end record (default: where it is). */
    recordOffset?: number | bigint;
    /** Replaces the zip64 end record's signature. */
    signature?: number;
    /** Replaces the locator's signature. */
    locatorSignature?: number;
  };
}

/** What {@link craftZip} made, with the offsets of its parts. */
export interface CraftedZip {
  bytes: Uint8Array;
  /** Offset of each entry's local header. */
  locals: number[];
  /** Offset of each entry's data. */
  data: number[];
  /** Offset of each entry's central record. */
  central: number[];
  cdOffset: number;
  cdSize: number;
  /** Offset of the zip64 end record (-1 without). */
  zip64At: number;
  /** Offset of the classic end record. */
  eocd: number;
}

/** A zip archive built field by field (valid CRCs; data as given, whatever the method says). */
export function craftZip(entries: readonly CraftEntry[], opts: CraftOptions = {}): CraftedZip {
  const out: number[] = [...(opts.prefix ?? [])];
  const locals: number[] = [];
  const data: number[] = [];
  const records: number[][] = [];
  for (const e of entries) {
    const name = utf8(e.name);
    const localName = utf8(e.localName ?? e.name);
    const flags = e.flags ?? 0;
    const method = e.method ?? 0;
    const crc = crc32(e.data);
    const descriptor = (flags & 8) !== 0;
    const localExtra = e.localExtra ?? [];
    locals.push(out.length);
    out.push(...le32(e.localSignature ?? 0x04034b50), ...le16(20), ...le16(flags), ...le16(method), 0, 0, 0x21, 0);
    out.push(...le32(descriptor ? 0 : crc), ...le32(descriptor ? 0 : e.data.length), ...le32(descriptor ? 0 : e.data.length));
    out.push(...le16(localName.length), ...le16(localExtra.length), ...localName, ...localExtra);
    data.push(out.length);
    for (const b of e.data) out.push(b);
    if (descriptor) out.push(...le32(0x08074b50), ...le32(crc), ...le32(e.data.length), ...le32(e.data.length));
    const extra = e.extra ?? [];
    const comment = e.comment ?? new Uint8Array(0);
    records.push([
      ...le32(e.signature ?? 0x02014b50),
      ...le16(20),
      ...le16(20),
      ...le16(flags),
      ...le16(method),
      0,
      0,
      0x21,
      0,
      ...le32(crc),
      ...le32(e.compressedSize ?? e.data.length),
      ...le32(e.size ?? e.data.length),
      ...le16(e.nameLen ?? name.length),
      ...le16(extra.length),
      ...le16(comment.length),
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...le32(e.localOffset ?? locals[locals.length - 1]!),
      ...name,
      ...extra,
      ...comment,
    ]);
  }
  const cdOffset = out.length;
  const central: number[] = [];
  for (const r of records) {
    central.push(out.length);
    out.push(...r);
  }
  const cdSize = out.length - cdOffset;
  let zip64At = -1;
  const z = opts.zip64;
  if (z !== undefined) {
    zip64At = out.length;
    out.push(...le32(z.signature ?? 0x06064b50), ...le64(44), ...le16(45), ...le16(45), ...le32(0), ...le32(0));
    out.push(
      ...le64(z.count ?? entries.length),
      ...le64(z.count ?? entries.length),
      ...le64(z.cdSize ?? cdSize),
      ...le64(z.cdOffset ?? cdOffset),
    );
    out.push(...le32(z.locatorSignature ?? 0x07064b50), ...le32(0), ...le64(z.recordOffset ?? zip64At), ...le32(1));
  }
  const eocd = out.length;
  const comment = opts.comment ?? new Uint8Array(0);
  const count = opts.count ?? (z !== undefined ? 0xffff : entries.length);
  out.push(...le32(0x06054b50), 0, 0, 0, 0, ...le16(count), ...le16(count));
  out.push(
    ...le32(opts.cdSize ?? (z !== undefined ? 0xffffffff : cdSize)),
    ...le32(opts.cdOffset ?? (z !== undefined ? 0xffffffff : cdOffset)),
  );
  out.push(...le16(opts.commentLen ?? comment.length));
  for (const b of comment) out.push(b);
  for (const b of opts.trailer ?? []) out.push(b);
  return { bytes: Uint8Array.from(out), locals, data, central, cdOffset, cdSize, zip64At, eocd };
}

/** One stored entry, `{ name, data }` for {@link craftZip}. */
export const stored = (name: string, text: string, more: Partial<CraftEntry> = {}): CraftEntry => ({ name, data: utf8(text), ...more });
