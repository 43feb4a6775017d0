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
    for (let i = 0; i < 65536; i++) expect(Object.is(out[i], reference(i)) || (Number.isNaN(out[i]) && Number.isNaN(reference(i)))).toBe(true);
    expect([out[0x3c00], out[0xc000], out[0x7bff], out[0x0001], out[0x8000]]).toEqual([1, -2, 65504, 2 ** -24, -0]);
  });

  it('bfloat16ToFloat32 takes the top half of a float32', () => {
    expect([...bfloat16ToFloat32(new Uint16Array([0x3f80, 0xc040, 0x4049, 0x7f80]))]).toEqual([1, -3, 3.140625, Infinity]);
  });

  it('torchTensorToFloat32 converts every dtype', () => {
    const f32 = new Float32Array([1.5]);
    expect(torchTensorToFloat32({ name: 'a', dtype: 'float32', shape: [1], data: f32 })).toBe(f32);
    expect([...torchTensorToFloat32({ name: 'b', dtype: 'float16', shape: [1], data: new Uint16Array([0x3e00]) })]).toEqual([1.5]);
    expect([...torchTensorToFloat32({ name: 'c', dtype: 'int64', shape: [], data: new BigInt64Array([-7n]) })]).toEqual([-7]);
    expect([...torchTensorToFloat32({ name: 'd', dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) })]).toEqual([1, 0]);
    expect([...torchTensorToFloat32({ name: 'e', dtype: 'float64', shape: [1], data: new Float64Array([0.1]) })]).toEqual([Math.fround(0.1)]);
  });
});
