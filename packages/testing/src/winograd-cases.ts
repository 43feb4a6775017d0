import fc from 'fast-check';

/** A convolution's padding as the Winograd tests give it. */
export type WinogradPad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];

/** A 3×3 stride-1 convolution of `x` `[B, H, W, Cin]` to `co` channels. */
export interface WinogradCase {
  x: [number, number, number, number];
  co: number;
  pad: WinogradPad;
}

/**
 * The Winograd tests' fixed cases (the convolution and both of its gradients): 'same', 'valid' and
 * explicit padding, odd sizes, a batch of 2; the paper's residual convolution at a 32² latent over
 * four images (256 tiles); and 2048 tiles of 256 channels, three chunks (one boundary inside an
 * image's row of tiles, one between images).
 */
export const WINOGRAD_CASES: readonly WinogradCase[] = [
  { x: [1, 46, 50, 160], co: 160, pad: 'same' },
  { x: [2, 37, 39, 192], co: 160, pad: 'valid' },
  {
    x: [1, 49, 51, 160],
    co: 256,
    pad: [
      [0, 0],
      [2, 0],
      [1, 3],
      [0, 0],
    ],
  },
  { x: [4, 34, 34, 256], co: 256, pad: 'valid' },
  { x: [2, 128, 128, 256], co: 256, pad: 'same' },
];

/**
 * Drawn cases of the Winograd tests: batch 1–2, maps of 46–53 rows and columns (at least 144
 * tiles, the last ones partial), `minChannels` or a few more in and out, and explicit padding of
 * `padBefore`–2 before and 0–2 after, rows and columns drawn apart.
 */
export function winogradCaseArb(o: { minChannels: number; padBefore: number }): fc.Arbitrary<WinogradCase> {
  const side = fc.integer({ min: 46, max: 53 });
  const before = fc.integer({ min: o.padBefore, max: 2 });
  const after = fc.integer({ min: 0, max: 2 });
  return fc
    .record({
      b: fc.integer({ min: 1, max: 2 }),
      h: side,
      w: side,
      ci: fc.constantFrom(o.minChannels, o.minChannels + 16),
      co: fc.constantFrom(o.minChannels, o.minChannels + 8),
      pad: fc.tuple(before, after, before, after),
    })
    .map(({ b, h, w, ci, co, pad: [top, bottom, left, right] }) => ({
      x: [b, h, w, ci] as [number, number, number, number],
      co,
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ] as WinogradPad,
    }));
}

/** The output `[B, outH, outW, co]` of a case's convolution. */
export function winogradOutShape({ x: [b, h, w], co, pad }: WinogradCase): [number, number, number, number] {
  const [top, bottom, left, right] =
    pad === 'same' ? [1, 1, 1, 1] : pad === 'valid' ? [0, 0, 0, 0] : [pad[1][0], pad[1][1], pad[2][0], pad[2][1]];
  return [b, h + top + bottom - 2, w + left + right - 2, co];
}
