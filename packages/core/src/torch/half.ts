/**
 * 16-bit floats to float32, and any tensor to float32 (for `tf.tensor(data, shape)`).
 * @module
 */
import type { TorchTensor } from './types.js';

// float16 → float32 bits: exponent rebias for normals, renormalisation for subnormals.
function halfBitsToFloat(h: number, f32: Float32Array, u32: Uint32Array): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) {
    u32[0] = sign | 0x7f800000 | (mant << 13); // inf / NaN
  } else if (exp !== 0) {
    u32[0] = sign | ((exp + 112) << 23) | (mant << 13);
  } else {
    // ±0 and subnormals: value = mant × 2^-24, exact in float32.
    f32[0] = mant * 2 ** -24;
    u32[0] |= sign;
  }
  return f32[0]!;
}

/**
 * IEEE binary16 bit patterns (as {@link readTorchCheckpoint} returns `float16` tensors) to
 * float32 values, exactly (every float16 is a float32).
 */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  return Float32Array.from(bits, (h) => halfBitsToFloat(h, f32, u32));
}

/**
 * bfloat16 bit patterns (as {@link readTorchCheckpoint} returns `bfloat16` tensors) to float32
 * values, exactly (a bfloat16 is the top half of a float32).
 */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  return new Float32Array(Uint32Array.from(bits, (b) => b << 16).buffer);
}

/**
 * A tensor's values as float32, whatever its dtype: 16-bit floats exactly, float64 rounded,
 * integers converted (int64 beyond 2^24 loses precision), bools as 0 and 1. Returns `data`
 * itself for float32 tensors (no copy).
 */
export function torchTensorToFloat32(tensor: TorchTensor): Float32Array {
  switch (tensor.dtype) {
    case 'float32':
      return tensor.data;
    case 'float16':
      return float16ToFloat32(tensor.data);
    case 'bfloat16':
      return bfloat16ToFloat32(tensor.data);
    case 'int64':
      return Float32Array.from(tensor.data, (v) => Number(v));
    default:
      return Float32Array.from(tensor.data);
  }
}
