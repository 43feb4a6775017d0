import fc from 'fast-check';

/** A float32 array with its shape, as the arbitraries below produce. */
export interface ShapedData {
  shape: number[];
  data: Float32Array;
}

/** Options of {@link featureMapArb} and {@link matrixArb}. */
export interface DataArbOptions {
  /**
   * Integer entries in `[-integerRange, integerRange]` instead of floats. With small integers,
   * float32 distances and dot products are exact, so ties are exact and reproducible.
   */
  integerRange?: number;
  /** Bound on float entries (default 4). */
  maxAbs?: number;
}

function valuesArb(size: number, opts: DataArbOptions): fc.Arbitrary<Float32Array> {
  const item =
    opts.integerRange != null
      ? fc.integer({ min: -opts.integerRange, max: opts.integerRange })
      : fc.float({ min: -(opts.maxAbs ?? 4), max: opts.maxAbs ?? 4, noNaN: true, noDefaultInfinity: true });
  return fc.array(item, { minLength: size, maxLength: size }).map((a) => Float32Array.from(a, (v) => (Object.is(v, -0) ? 0 : v)));
}

/** Seeded-friendly arbitrary of `[rows, cols]` matrices with rows/cols in the given ranges. */
export function matrixArb(rows: [number, number], cols: [number, number], opts: DataArbOptions = {}): fc.Arbitrary<ShapedData> {
  return fc
    .tuple(fc.integer({ min: rows[0], max: rows[1] }), fc.integer({ min: cols[0], max: cols[1] }))
    .chain(([r, c]) => valuesArb(r * c, opts).map((data) => ({ shape: [r, c], data })));
}

/** Bounds of {@link featureMapArb}. */
export interface FeatureMapBounds extends DataArbOptions {
  batch?: [number, number];
  height?: [number, number];
  width?: [number, number];
  channels?: [number, number];
}

/** Arbitrary NHWC feature maps `[B, H, W, C]` (defaults: B 1–2, H and W 1–6, C 1–8). */
export function featureMapArb(bounds: FeatureMapBounds = {}): fc.Arbitrary<ShapedData> {
  const dim = (r: [number, number] | undefined, d: [number, number]) => fc.integer({ min: (r ?? d)[0], max: (r ?? d)[1] });
  return fc
    .tuple(dim(bounds.batch, [1, 2]), dim(bounds.height, [1, 6]), dim(bounds.width, [1, 6]), dim(bounds.channels, [1, 8]))
    .chain(([b, h, w, c]) => valuesArb(b * h * w * c, bounds).map((data) => ({ shape: [b, h, w, c], data })));
}
