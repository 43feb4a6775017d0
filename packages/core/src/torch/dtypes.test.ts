import { describe, expect, it } from 'vitest';
import { HOST_LITTLE_ENDIAN, isTorchData, STORAGE_DTYPES, swapBytes, TORCH_DTYPES, torchArrayName, type TorchDType } from './dtypes.js';

/** dtype, PyTorch's legacy storage class, bytes per element, typed array. */
const TABLE: [TorchDType, string, number, new (b: ArrayBuffer) => ArrayBufferView][] = [
  ['float32', 'FloatStorage', 4, Float32Array],
  ['float64', 'DoubleStorage', 8, Float64Array],
  ['float16', 'HalfStorage', 2, Uint16Array],
  ['bfloat16', 'BFloat16Storage', 2, Uint16Array],
  ['int64', 'LongStorage', 8, BigInt64Array],
  ['int32', 'IntStorage', 4, Int32Array],
  ['int16', 'ShortStorage', 2, Int16Array],
  ['int8', 'CharStorage', 1, Int8Array],
  ['uint8', 'ByteStorage', 1, Uint8Array],
  ['bool', 'BoolStorage', 1, Uint8Array],
];

describe('TORCH_DTYPES', () => {
  it('exactly the ten dtypes, frozen', () => {
    expect(Object.keys(TORCH_DTYPES)).toEqual(TABLE.map(([d]) => d));
    expect(Object.isFrozen(TORCH_DTYPES)).toBe(true);
  });

  it.each(TABLE)('%s: storage class %s, %i bytes, its typed array over the whole buffer', (dtype, storage, size, ArrayType) => {
    const info = TORCH_DTYPES[dtype];
    expect(info).toEqual({ dtype, storage, bytes: size, view: expect.any(Function) });
    expect(Object.isFrozen(info)).toBe(true);
    const buffer = new ArrayBuffer(3 * size);
    const view = info.view(buffer);
    expect(view.constructor).toBe(ArrayType);
    expect(view.buffer).toBe(buffer);
    expect([view.byteOffset, view.length, view.BYTES_PER_ELEMENT]).toEqual([0, 3, size]);
  });

  it('the views read little-endian bytes as PyTorch wrote them', () => {
    const le = (...b: number[]): ArrayBuffer => Uint8Array.from(b).buffer;
    expect(TORCH_DTYPES.float32.view(le(0, 0, 0x80, 0x3f))[0]).toBe(1);
    expect(TORCH_DTYPES.float64.view(le(0, 0, 0, 0, 0, 0, 0, 0xc0))[0]).toBe(-2);
    expect(TORCH_DTYPES.float16.view(le(0x00, 0x3c))[0]).toBe(0x3c00);
    expect(TORCH_DTYPES.bfloat16.view(le(0x80, 0x3f))[0]).toBe(0x3f80);
    expect(TORCH_DTYPES.int64.view(le(0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))[0]).toBe(-2n);
    expect(TORCH_DTYPES.int32.view(le(0xff, 0xff, 0xff, 0x7f))[0]).toBe(2 ** 31 - 1);
    expect(TORCH_DTYPES.int16.view(le(0x00, 0x80))[0]).toBe(-32768);
    expect(TORCH_DTYPES.int8.view(le(0xff))[0]).toBe(-1);
    expect(TORCH_DTYPES.uint8.view(le(0xff))[0]).toBe(255);
    expect(TORCH_DTYPES.bool.view(le(1, 0))).toEqual(Uint8Array.of(1, 0));
  });
});

describe('STORAGE_DTYPES', () => {
  it('storage class name → the same info object', () => {
    expect([...STORAGE_DTYPES.keys()]).toEqual(TABLE.map(([, s]) => s));
    for (const [dtype, storage] of TABLE) expect(STORAGE_DTYPES.get(storage)).toBe(TORCH_DTYPES[dtype]);
    expect(STORAGE_DTYPES.get('UntypedStorage')).toBeUndefined();
  });
});

describe('isTorchData / torchArrayName', () => {
  it.each(TABLE)('%s', (dtype, _storage, size, ArrayType) => {
    expect(isTorchData(dtype, new ArrayType(new ArrayBuffer(2 * size)))).toBe(true);
    expect(torchArrayName(dtype)).toBe(ArrayType.name);
    for (const [, , , Other] of TABLE) if (Other !== ArrayType) expect(isTorchData(dtype, new Other(new ArrayBuffer(8)))).toBe(false);
    for (const other of [[1, 2], new ArrayBuffer(8), new DataView(new ArrayBuffer(8)), null, undefined, 1])
      expect(isTorchData(dtype, other)).toBe(false);
  });

  it('an unknown dtype is no typed array', () => {
    expect(isTorchData('complex64' as TorchDType, new Float32Array(2))).toBe(false);
  });
});

describe('swapBytes', () => {
  const swapped = (b: number[], size: number): number[] => {
    const u8 = Uint8Array.from(b);
    swapBytes(u8, size);
    return [...u8];
  };

  it('reverses each element in place', () => {
    const b = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    expect(swapped(b, 1)).toEqual(b);
    expect(swapped(b, 2)).toEqual([2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]);
    expect(swapped(b, 4)).toEqual([4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9, 16, 15, 14, 13]);
    expect(swapped(b, 8)).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 16, 15, 14, 13, 12, 11, 10, 9]);
    expect(swapped([], 4)).toEqual([]);
  });

  it('leaves a trailing partial element as it is', () => {
    expect(swapped([1, 2, 3, 4, 5, 6], 4)).toEqual([4, 3, 2, 1, 5, 6]);
    expect(swapped([1, 2, 3, 4, 5, 6, 7], 2)).toEqual([2, 1, 4, 3, 6, 5, 7]);
    expect(swapped([1, 2, 3], 4)).toEqual([1, 2, 3]);
  });

  it('within a view of a larger buffer, only the view', () => {
    const buf = Uint8Array.from([9, 1, 2, 3, 4, 9]);
    swapBytes(buf.subarray(1, 5), 2);
    expect([...buf]).toEqual([9, 2, 1, 4, 3, 9]);
  });

  it('twice is the identity; a float32 swapped reads as the big-endian value', () => {
    const f = Float32Array.of(1.5, -2, 3.25);
    const u8 = new Uint8Array(f.buffer.slice(0));
    swapBytes(u8, 4);
    const dv = new DataView(u8.buffer);
    expect([0, 1, 2].map((i) => dv.getFloat32(4 * i, !HOST_LITTLE_ENDIAN))).toEqual([1.5, -2, 3.25]);
    swapBytes(u8, 4);
    expect([...new Float32Array(u8.buffer)]).toEqual([1.5, -2, 3.25]);
  });
});

describe('HOST_LITTLE_ENDIAN', () => {
  it('agrees with DataView', () => {
    const u16 = Uint16Array.of(0x0102);
    expect(HOST_LITTLE_ENDIAN).toBe(new DataView(u16.buffer).getUint16(0, true) === 0x0102);
  });
});
