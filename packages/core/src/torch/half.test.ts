import { describe, expect, it } from 'vitest';
import { bfloat16ToFloat32, float16ToFloat32, torchTensorToFloat32 } from './index.js';

/** binary16 by its definition. */
function reference(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

describe('16-bit floats', () => {
  it('float16ToFloat32 is exact on all 65536 patterns', () => {
    const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const out = float16ToFloat32(bits);
    for (let i = 0; i < 65536; i++)
      expect(Object.is(out[i], reference(i)) || (Number.isNaN(out[i]) && Number.isNaN(reference(i)))).toBe(true);
    expect([out[0x3c00], out[0xc000], out[0x7bff], out[0x0001], out[0x8000]]).toEqual([1, -2, 65504, 2 ** -24, -0]);
  });

  it.each([
    [0x0000, 0],
    [0x8000, -0],
    [0x0001, 2 ** -24], // smallest subnormal
    [0x8001, -(2 ** -24)],
    [0x0200, 2 ** -15], // a subnormal with one mantissa bit
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x83ff, -1023 * 2 ** -24],
    [0x0400, 2 ** -14], // smallest normal
    [0x3555, 0.333251953125],
    [0x3c00, 1],
    [0x3c01, 1 + 2 ** -10],
    [0xbc00, -1],
    [0x7bff, 65504], // largest finite
    [0xfbff, -65504],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ])('float16 %i is %d', (h, v) => {
    expect(Object.is(float16ToFloat32(new Uint16Array([h]))[0], v)).toBe(true);
  });

  it('float16 NaNs (any sign, any payload) are NaN; lengths are kept, empty in empty out', () => {
    expect([...float16ToFloat32(new Uint16Array([0x7c01, 0x7e00, 0xfe00, 0x7fff, 0xffff]))].every(Number.isNaN)).toBe(true);
    expect(float16ToFloat32(new Uint16Array(0))).toEqual(new Float32Array(0));
    expect([...float16ToFloat32(new Uint16Array([0x3c00, 0x0001, 0xc000]))]).toEqual([1, 2 ** -24, -2]);
  });

  it('bfloat16 keeps signs, subnormals, infinities and NaN', () => {
    const out = bfloat16ToFloat32(new Uint16Array([0x8000, 0x0001, 0x8001, 0x0080, 0xff80, 0x7fc0, 0x7f7f, 0x0000]));
    expect(out.length).toBe(8);
    expect(Object.is(out[0], -0)).toBe(true);
    expect([...out.subarray(1, 5)]).toEqual([2 ** -133, -(2 ** -133), 2 ** -126, -Infinity]);
    expect(Number.isNaN(out[5])).toBe(true);
    expect(out[6]).toBe((2 - 2 ** -7) * 2 ** 127);
    expect(bfloat16ToFloat32(new Uint16Array(0)).length).toBe(0);
  });

  it('bfloat16ToFloat32 takes the top half of a float32', () => {
    expect([...bfloat16ToFloat32(new Uint16Array([0x3f80, 0xc040, 0x4049, 0x7f80]))]).toEqual([1, -3, 3.140625, Infinity]);
  });

  it('torchTensorToFloat32 converts every dtype', () => {
    const f32 = new Float32Array([1.5]);
    expect(torchTensorToFloat32({ name: 'a', dtype: 'float32', shape: [1], data: f32 })).toBe(f32);
    expect([...torchTensorToFloat32({ name: 'b', dtype: 'float16', shape: [1], data: new Uint16Array([0x3e00]) })]).toEqual([1.5]);
    expect([...torchTensorToFloat32({ name: 'c', dtype: 'int64', shape: [], data: new BigInt64Array([-7n]) })]).toEqual([-7]);
    expect([
      ...torchTensorToFloat32({ name: 'c2', dtype: 'int64', shape: [3], data: new BigInt64Array([0n, 2n ** 40n, -(2n ** 24n) - 1n]) }),
    ]).toEqual([0, 2 ** 40, -(2 ** 24)]);
    expect([...torchTensorToFloat32({ name: 'bf', dtype: 'bfloat16', shape: [2], data: new Uint16Array([0x3fc0, 0xc040]) })]).toEqual([
      1.5, -3,
    ]);
    expect([...torchTensorToFloat32({ name: 'h2', dtype: 'float16', shape: [2], data: new Uint16Array([0x8000, 0x7c00]) })]).toEqual([
      -0,
      Infinity,
    ]);
    expect([...torchTensorToFloat32({ name: 'i32', dtype: 'int32', shape: [2], data: new Int32Array([-5, 2 ** 30]) })]).toEqual([
      -5,
      2 ** 30,
    ]);
    expect([...torchTensorToFloat32({ name: 'i8', dtype: 'int8', shape: [2], data: new Int8Array([-128, 127]) })]).toEqual([-128, 127]);
    expect([...torchTensorToFloat32({ name: 'u8', dtype: 'uint8', shape: [1], data: new Uint8Array([255]) })]).toEqual([255]);
    expect([...torchTensorToFloat32({ name: 'd', dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) })]).toEqual([1, 0]);
    expect([...torchTensorToFloat32({ name: 'e', dtype: 'float64', shape: [1], data: new Float64Array([0.1]) })]).toEqual([
      Math.fround(0.1),
    ]);
  });
});
