/** One colour per style image: its brush in the region painter, its swatch everywhere else. */
const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324'];

/** The colour of style image `i` (0-based). */
export function styleColour(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** The same colour as RGB bytes. */
export function styleRgb(i: number): [number, number, number] {
  const hex = styleColour(i);
  return [1, 3, 5].map((o) => Number.parseInt(hex.slice(o, o + 2), 16)) as [number, number, number];
}
