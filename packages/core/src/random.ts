/**
 * A small seeded pseudo-random number generator (mulberry32) and seed mixing (a splitmix32-style
 * hash), in plain JS. Everything the synthetic dataset draws comes from here, never `Math.random`.
 * @module
 */

/** A seeded generator of floats in `[0, 1)` with a few helpers. */
export interface Rng {
  /** Next float, uniform in `[0, 1)`. */
  next(): number;
  /** Uniform float in `[min, max)`. */
  uniform(min: number, max: number): number;
  /** Uniform integer in `[min, max]` (both included). */
  int(min: number, max: number): number;
  /** One element of `items`, uniformly. */
  pick<T>(items: readonly T[]): T;
}

/** Mixes a 32-bit state into a well-spread 32-bit unsigned integer (splitmix32 finaliser). */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Hashes a list of integers (seed, step, index, ...) into one 32-bit seed, so that each
 * (seed, step, sample) tuple gets its own independent stream.
 */
export function hashSeed(...parts: number[]): number {
  let h = 0x1b873593;
  for (const p of parts) {
    h = mix32(h ^ mix32(Math.floor(p) | 0));
    h = mix32(h + Math.floor(p / 4294967296));
  }
  return h;
}

/** Hashes a string into a 32-bit integer (FNV-1a), to mix names such as style classes into seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A mulberry32 generator seeded with `seed` (any integer). */
export function createRng(seed: number): Rng {
  let a = mix32(seed | 0);
  const next = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
  };
}
