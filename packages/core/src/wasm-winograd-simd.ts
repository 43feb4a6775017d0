import type * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { winogradSimdPlain, winogradSimdShared } from './generated/winograd-simd.js';

/**
 * The tile transforms of Winograd's F(4×4, 3×3) as WebAssembly SIMD functions working in the wasm
 * backend's own memory (the module is generated from the transform matrices by
 * `scripts/build-winograd-simd.mjs`): each 6×6 input tile goes through `Bᵀ d B` straight into the
 * 36 product operands, and each product's rows through `Aᵀ M A` straight into the output image,
 * one pass each over the values. Composed of tfjs kernels, the same steps took a gather, three
 * transposes, two small products, a split and a copy.
 *
 * Used where the channel counts are multiples of 4 and the backend's memory can be imported (the
 * threaded and the single-threaded builds both expose it); elsewhere the composed steps run.
 */

/** The module's exports (byte offsets into the backend's memory). */
interface SimdExports {
  filter_tiles(g: number, count: number, outs: number): void;
  input_tiles(
    x: number,
    h: number,
    w: number,
    cin: number,
    t0: number,
    n: number,
    th: number,
    tw: number,
    top: number,
    left: number,
    outs: number,
  ): void;
  output_tiles(ms: number, n: number, cout: number, t0: number, th: number, tw: number, oh: number, ow: number, out: number): void;
}

let enabled = true;
/** Turns the SIMD tile transforms on or off (on by default; off, the composed tfjs kernels run); returns the previous setting. */
export function setWinogradSimd(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** The backend's WebAssembly memory, where the build exposes it. */
function memoryOf(backend: BackendWasm): WebAssembly.Memory | undefined {
  const module = (backend as unknown as { wasm?: { wasmMemory?: unknown; asm?: Record<string, unknown> } }).wasm;
  const m = module?.wasmMemory ?? module?.asm?.memory;
  return m instanceof WebAssembly.Memory ? m : undefined;
}

function bytesFor(memory: WebAssembly.Memory): Uint8Array<ArrayBuffer> {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const b64 = shared ? winogradSimdShared : winogradSimdPlain;
  if (typeof Buffer !== 'undefined') return Uint8Array.from(Buffer.from(b64, 'base64'));
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Per backend: its instance, or null where it cannot be made (no memory, no SIMD, a refused compile). */
const instances = new WeakMap<BackendWasm, SimdExports | null>();

/**
 * Makes the module for `backend` ahead of use, asynchronously: browsers refuse to compile a module
 * of this size synchronously on the main thread, so `initBackend` calls this once the wasm backend
 * is set. Resolves to whether the transforms are available.
 */
export async function prepareWinogradSimd(backend: BackendWasm): Promise<boolean> {
  if (instances.get(backend)) return true;
  const memory = memoryOf(backend);
  if (!memory) return false;
  try {
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(bytesFor(memory)), { env: { memory } });
    instances.set(backend, instance.exports as unknown as SimdExports);
    return true;
  } catch {
    instances.set(backend, null);
    return false;
  }
}

/** The transforms for `backend` (made synchronously on first use where allowed), or null. */
function exportsFor(backend: BackendWasm): SimdExports | null {
  const known = instances.get(backend);
  if (known !== undefined) return known;
  let made: SimdExports | null = null;
  const memory = memoryOf(backend);
  if (memory) {
    try {
      made = new WebAssembly.Instance(new WebAssembly.Module(bytesFor(memory)), { env: { memory } }).exports as unknown as SimdExports;
    } catch {
      made = null;
    }
  }
  instances.set(backend, made);
  return made;
}

const offsetOf = (backend: BackendWasm, t: tf.TensorInfo): number =>
  (backend as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(t.dataId).memoryOffset;

/** The i32 offsets of `ts` in a new backend tensor (the module reads its 36 operands' places there). */
function offsetTable(backend: BackendWasm, ts: tf.TensorInfo[]): tf.TensorInfo {
  const table = backend.makeOutput([ts.length], 'int32');
  (backend.typedArrayFromHeap(table) as Int32Array).set(ts.map((t) => offsetOf(backend, t)));
  return table;
}

/** The SIMD tile transforms of one backend (see the module's doc). */
export interface TileTransforms {
  /** U = G g Gᵀ of a filter `[3, 3, Cin, Cout]`: 36 new `[1, Cin, Cout]`, one per position (the products' right operands). */
  filter(g: tf.TensorInfo): tf.TensorInfo[];
  /**
   * V = Bᵀ d B of tiles `t0 … t0 + n − 1` of the planned convolution's input `x` `[B, H, W, Cin]`
   * (zeros outside it): 36 new `[1, n, Cin]`, one per position (the products' left operands).
   */
  input(x: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, t0: number, n: number): tf.TensorInfo[];
  /**
   * Y = Aᵀ M A of the same tiles from the 36 products `[1, n, Cout]`, each 4×4 tile written into
   * `out` `[B, outH, outW, Cout]` (cropped to its size).
   */
  output(ms: tf.TensorInfo[], info: tf.backend_util.Conv2DInfo, t0: number, n: number, out: tf.TensorInfo): void;
}

/** The transforms for a convolution of `cin` → `cout` channels on `backend`, or null where they do not apply. */
export function tileTransforms(backend: BackendWasm, cin: number, cout: number): TileTransforms | null {
  if (!enabled || cin % 4 !== 0 || cout % 4 !== 0) return null;
  const ex = exportsFor(backend);
  if (!ex) return null;
  const tilesOf = (info: tf.backend_util.Conv2DInfo) => [Math.ceil(info.outHeight / 4), Math.ceil(info.outWidth / 4)];
  /** 36 new `[1, rows, cols]` filled by `fill` from the table of their offsets. */
  const positions = (rows: number, cols: number, fill: (table: number) => void) => {
    const ts = Array.from({ length: 36 }, () => backend.makeOutput([1, rows, cols], 'float32'));
    const table = offsetTable(backend, ts);
    try {
      fill(offsetOf(backend, table));
    } catch (e) {
      for (const t of ts) backend.disposeData(t.dataId);
      throw e;
    } finally {
      backend.disposeData(table.dataId);
    }
    return ts;
  };
  return {
    filter(g) {
      return positions(cin, cout, (table) => ex.filter_tiles(offsetOf(backend, g), cin * cout, table));
    },
    input(x, info, t0, n) {
      const [, h, w] = x.shape;
      const [th, tw] = tilesOf(info);
      return positions(n, cin, (table) =>
        ex.input_tiles(offsetOf(backend, x), h, w, cin, t0, n, th, tw, info.padInfo.top, info.padInfo.left, table),
      );
    },
    output(ms, info, t0, n, out) {
      const [th, tw] = tilesOf(info);
      const table = offsetTable(backend, ms);
      try {
        ex.output_tiles(offsetOf(backend, table), n, cout, t0, th, tw, info.outHeight, info.outWidth, offsetOf(backend, out));
      } finally {
        backend.disposeData(table.dataId);
      }
    },
  };
}
