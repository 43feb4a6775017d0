import { describe, expect, it } from 'vitest';
import { ByteCursor } from './byte-cursor.js';
import { CheckpointError } from './errors.js';
import { thrown } from '@tpfr/testing/torch-craft';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Asserts a CheckpointError by reason, expected and received (both whole strings). */
function expectError(f: () => unknown, reason: string, expected: string, received: string): void {
  const e = thrown(f);
  expect(e).toBeInstanceOf(CheckpointError);
  expect({ reason: e.reason, expected: e.expected, received: e.received }).toEqual({ reason, expected, received });
  expect(e.message).toBe(`readTorchCheckpoint: expected ${expected}, received ${received}`);
}

describe('ByteCursor: positions', () => {
  it('counts remaining bytes to `end` and offsets from `start`', () => {
    const b = new Uint8Array(10);
    const c = new ByteCursor(b, 'w', 3, 8);
    expect(c.pos).toBe(3);
    expect(c.offset).toBe(0);
    expect(c.remaining).toBe(5);
    c.u16();
    expect(c.pos).toBe(5);
    expect(c.offset).toBe(2);
    expect(c.remaining).toBe(3);
    const whole = new ByteCursor(b, 'w');
    expect([whole.start, whole.end, whole.remaining, whole.offset]).toEqual([0, 10, 10, 0]);
  });

  it('reads through a subarray view at its own byteOffset', () => {
    const backing = Uint8Array.from([0xaa, 0xbb, 0x01, 0x02, 0x03, 0x04]);
    const c = new ByteCursor(backing.subarray(2), 'w');
    expect(c.u16()).toBe(0x0201);
    expect(c.u8()).toBe(3);
  });
});

describe('ByteCursor: numbers', () => {
  it('reads little-endian integers and a big-endian float64, advancing past each', () => {
    const b = Uint8Array.from([
      0xfe, // u8
      0x34,
      0x12, // u16
      0x78,
      0x56,
      0x34,
      0x12, // u32
      0xff,
      0xff,
      0xff,
      0xff, // u32 max
      0xfe,
      0xff,
      0xff,
      0xff, // i32 -2
      0xfe,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff, // i64 -2
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0x1f,
      0x00, // u64 2^53-1
      0x40,
      0x09,
      0x21,
      0xfb,
      0x54,
      0x44,
      0x2d,
      0x18, // f64be pi
    ]);
    const c = new ByteCursor(b, 'w');
    expect(c.u8()).toBe(0xfe);
    expect(c.u16()).toBe(0x1234);
    expect(c.u32()).toBe(0x12345678);
    expect(c.u32()).toBe(0xffffffff);
    expect(c.i32()).toBe(-2);
    expect(c.i64()).toBe(-2n);
    expect(c.u64()).toBe(Number.MAX_SAFE_INTEGER);
    expect(c.f64be()).toBe(Math.PI);
    expect(c.remaining).toBe(0);
  });

  it('rejects a uint64 of 2^53 or more, naming it and its offset, without advancing', () => {
    const b = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0]); // 2 bytes, then 2^53
    const c = new ByteCursor(b, 'the header', 2);
    c.u16();
    expectError(() => c.u64('the length'), 'corrupt', 'the length below 2^53 at byte 2 of the header', '9007199254740992');
    expect(c.pos).toBe(4);
    expectError(
      () => new ByteCursor(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 'w').u64(),
      'corrupt',
      'a uint64 below 2^53 at byte 0 of w',
      '18446744073709551615',
    );
  });

  it.each([
    ['u8', 'a byte', 1],
    ['u16', 'a uint16', 2],
    ['u32', 'a uint32', 4],
    ['i32', 'an int32', 4],
    ['i64', 'an int64', 8],
    ['u64', 'a uint64', 8],
    ['f64be', 'a float64', 8],
  ] as const)('%s past the end names %s, the offset and the bytes left', (method, what, n) => {
    const c = new ByteCursor(new Uint8Array(12), 'the pickle', 2, 2 + n - 1);
    expectError(() => c[method](), 'truncated', `${n} bytes of ${what} at byte 0 of the pickle`, `${n - 1} (the file ends there)`);
    expect(c.pos).toBe(2);
    expectError(
      () => c[method]('the count'),
      'truncated',
      `${n} bytes of the count at byte 0 of the pickle`,
      `${n - 1} (the file ends there)`,
    );
  });
});

describe('ByteCursor: need and take', () => {
  it('need passes for exactly the bytes left and names them otherwise', () => {
    const c = new ByteCursor(new Uint8Array(10), 'w', 1, 6);
    c.u8();
    expect(() => c.need(4, 'x')).not.toThrow();
    expect(() => c.need(0, 'x')).not.toThrow();
    expectError(() => c.need(5, 'the frame'), 'truncated', '5 bytes of the frame at byte 1 of w', '4 (the file ends there)');
    expectError(() => c.need(Number.NaN, 'x'), 'truncated', 'NaN bytes of x at byte 1 of w', '4 (the file ends there)');
  });

  it('says 0 bytes left when the cursor starts past its end', () => {
    const c = new ByteCursor(new Uint8Array(10), 'w', 8, 5);
    expect(c.remaining).toBe(-3);
    expectError(() => c.u8(), 'truncated', '1 bytes of a byte at byte 0 of w', '0 (the file ends there)');
  });

  it('take returns a view of the next bytes and advances', () => {
    const b = Uint8Array.from([1, 2, 3, 4, 5]);
    const c = new ByteCursor(b, 'w', 1);
    const t = c.take(3, 'x');
    expect([...t]).toEqual([2, 3, 4]);
    expect(t.buffer).toBe(b.buffer); // a view, no copy
    expect(c.pos).toBe(4);
    expect([...c.take(0, 'x')]).toEqual([]);
    expectError(() => c.take(2, 'a string'), 'truncated', '2 bytes of a string at byte 3 of w', '1 (the file ends there)');
    expect(c.pos).toBe(4);
  });
});

describe('ByteCursor: line', () => {
  it('returns the bytes before the newline and consumes it', () => {
    const c = new ByteCursor(enc.encode('xxtorch\nFloatStorage\n'), 'w', 2);
    expect(dec.decode(c.line('a module'))).toBe('torch');
    expect(c.offset).toBe(6);
    expect(dec.decode(c.line('a name'))).toBe('FloatStorage');
    expect(c.remaining).toBe(0);
    expect(dec.decode(new ByteCursor(enc.encode('\n'), 'w').line('x'))).toBe('');
  });

  it('accepts a line of exactly `max` bytes and rejects one of `max + 1`', () => {
    expect(dec.decode(new ByteCursor(enc.encode('abc\nzzzz'), 'w').line('a name', 3))).toBe('abc');
    expectError(
      () => new ByteCursor(enc.encode('abcd\nzzzz'), 'w').line('a name', 3),
      'corrupt',
      'a name ending in a newline within 3 bytes at byte 0 of w',
      'no newline',
    );
    const c = new ByteCursor(enc.encode('q'.repeat(5000)), 'the pickle', 1);
    expectError(() => c.line('a line'), 'corrupt', 'a line ending in a newline within 4096 bytes at byte 0 of the pickle', 'no newline');
    expect(c.pos).toBe(1);
  });

  it('says truncated when the bytes end before a newline, ignoring bytes past `end`', () => {
    const b = enc.encode('xabc\n');
    expectError(
      () => new ByteCursor(b, 'w', 1, 4).line('a module'),
      'truncated',
      '4 bytes of a module at byte 0 of w',
      '3 (the file ends there)',
    );
    expectError(
      () => new ByteCursor(b, 'w', 1, 4).line('a module', 3),
      'truncated',
      '4 bytes of a module at byte 0 of w',
      '3 (the file ends there)',
    );
    expectError(
      () => new ByteCursor(b, 'w', 1, 4).line('a module', 10),
      'truncated',
      '4 bytes of a module at byte 0 of w',
      '3 (the file ends there)',
    );
    expectError(
      () => new ByteCursor(enc.encode('ab'), 'w', 2).line('x'),
      'truncated',
      '1 bytes of x at byte 0 of w',
      '0 (the file ends there)',
    );
  });
});
