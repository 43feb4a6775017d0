/**
 * The tensor dtypes a state_dict holds, the PyTorch storage class of each and the typed array
 * that carries its elements.
 * @module
 */

/**
 * The typed array of each dtype. `float16` and `bfloat16` come as their raw 16-bit patterns
 * (lossless; convert with {@link float16ToFloat32} / {@link bfloat16ToFloat32}), `int64` as
 * `BigInt64Array`, `bool` as `Uint8Array` of 0 and 1.
 */
export interface TorchDataTypes {
  /** `torch.float32` (`FloatStorage`). */
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int16: Int16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

/** A dtype of a PyTorch tensor that {@link readTorchCheckpoint} reads. */
export type TorchDType = keyof TorchDataTypes;

/** The typed array of any {@link TorchDType}. */
export type TorchData = TorchDataTypes[TorchDType];

/** Facts about one dtype. */
export interface TorchDTypeInfo {
  /** The dtype. */
  readonly dtype: TorchDType;
  /** The legacy storage class PyTorch pickles for it (`FloatStorage` is `torch.FloatStorage`). */
  readonly storage: string;
  /** Bytes per element. */
  readonly bytes: 1 | 2 | 4 | 8;
  /** Makes the dtype's typed array over a buffer (offset 0, whole buffer). */
  readonly view: (buffer: ArrayBuffer) => TorchData;
}

const info = (dtype: TorchDType, storage: string, bytes: 1 | 2 | 4 | 8, view: (b: ArrayBuffer) => TorchData): TorchDTypeInfo =>
  Object.freeze({ dtype, storage, bytes, view });

/** Every supported dtype, with its storage class and element size. */
export const TORCH_DTYPES: Readonly<Record<TorchDType, TorchDTypeInfo>> = Object.freeze({
  float32: info('float32', 'FloatStorage', 4, (b) => new Float32Array(b)),
  float64: info('float64', 'DoubleStorage', 8, (b) => new Float64Array(b)),
  float16: info('float16', 'HalfStorage', 2, (b) => new Uint16Array(b)),
  bfloat16: info('bfloat16', 'BFloat16Storage', 2, (b) => new Uint16Array(b)),
  int64: info('int64', 'LongStorage', 8, (b) => new BigInt64Array(b)),
  int32: info('int32', 'IntStorage', 4, (b) => new Int32Array(b)),
  int16: info('int16', 'ShortStorage', 2, (b) => new Int16Array(b)),
  int8: info('int8', 'CharStorage', 1, (b) => new Int8Array(b)),
  uint8: info('uint8', 'ByteStorage', 1, (b) => new Uint8Array(b)),
  bool: info('bool', 'BoolStorage', 1, (b) => new Uint8Array(b)),
});

const ARRAY_TYPES: Readonly<Record<TorchDType, abstract new (...args: never[]) => ArrayBufferView>> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** Whether `data` is the typed array of `dtype` (`Uint16Array` for float16, ...). */
export function isTorchData<D extends TorchDType>(dtype: D, data: unknown): data is TorchDataTypes[D] {
  const type = ARRAY_TYPES[dtype];
  return type !== undefined && data instanceof type;
}

/** The name of the typed array `dtype` needs (`Float32Array`, ...), for messages. */
export function torchArrayName(dtype: TorchDType): string {
  return ARRAY_TYPES[dtype].name;
}

/** Storage class name (`FloatStorage`) → dtype info. */
export const STORAGE_DTYPES: ReadonlyMap<string, TorchDTypeInfo> = new Map(Object.values(TORCH_DTYPES).map((d) => [d.storage, d] as const));

/** Whether this machine stores typed-array elements little-endian (every common one does). */
export const HOST_LITTLE_ENDIAN = Boolean(new Uint8Array(Uint16Array.of(1).buffer)[0]);

/** Reverses the bytes of each `size`-byte element of `bytes` in place. */
export function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}
