/**
 * A bounds-checked little-endian cursor over bytes: every read that would pass the end throws a
 * {@link CheckpointError} (`truncated`) instead of returning garbage.
 * @module
 */
import { CheckpointError } from './errors.js';

/** Reads numbers, byte runs and lines from `bytes[start, end)`. */
export class ByteCursor {
  /** Next byte to read (absolute index into `bytes`). */
  pos: number;
  private readonly view: DataView;

  /**
   * @param bytes the whole input.
   * @param where what the bytes are, for messages (`the legacy header`, `data.pkl`).
   * @param start first byte; `end` one past the last byte this cursor may read.
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly where: string,
    readonly start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Offset of `pos` from `start`, as messages print it. */
  get offset(): number {
    return this.pos - this.start;
  }

  /** Throws (`truncated`) unless `n` more bytes are there; `what` names them in the message. */
  need(n: number, what: string): void {
    if (!(n <= this.end - this.pos)) {
      throw new CheckpointError(
        'truncated',
        `${n} bytes of ${what} at byte ${this.offset} of ${this.where}`,
        `${Math.max(0, this.end - this.pos)} (the file ends there)`,
      );
    }
  }

  /** One byte. */
  u8(what = 'a byte'): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  /** A little-endian uint16. */
  u16(what = 'a uint16'): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  /** A little-endian uint32. */
  u32(what = 'a uint32'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A little-endian int32. */
  i32(what = 'an int32'): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A little-endian int64, as a bigint. */
  i64(what = 'an int64'): bigint {
    this.need(8, what);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A little-endian uint64 that must fit a safe integer (it is a length or an offset). */
  u64(what = 'a uint64'): number {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new CheckpointError('corrupt', `${what} below 2^53 at byte ${this.offset} of ${this.where}`, String(v));
    }
    this.pos += 8;
    return Number(v);
  }

  /** A big-endian float64 (pickle's BINFLOAT). */
  f64be(what = 'a float64'): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }

  /** A view (no copy) of the next `n` bytes. */
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** The bytes up to the next `\n` (not included; the newline is consumed), at most `max` long. */
  line(what: string, max = 4096): Uint8Array {
    const stop = Math.min(this.end, this.pos + max + 1);
    for (let i = this.pos; i < stop; i++) {
      if (this.bytes[i] === 0x0a) {
        const out = this.bytes.subarray(this.pos, i);
        this.pos = i + 1;
        return out;
      }
    }
    if (stop === this.end) this.need(stop - this.pos + 1, what);
    throw new CheckpointError(
      'corrupt',
      `${what} ending in a newline within ${max} bytes at byte ${this.offset} of ${this.where}`,
      'no newline',
    );
  }
}
