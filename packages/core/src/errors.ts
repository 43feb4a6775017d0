/**
 * Typed errors. Every message names the function that raised it, what it expected and what it
 * received, e.g. `knn: expected pool of rank 2 [M, d], received shape [4,3,2]`.
 */

/** Base class of every error that the `@tpfr` packages raise on purpose. */
export class TpfrError extends Error {
  /** The public function or layer that raised the error. */
  readonly fn: string;
  constructor(fn: string, message: string) {
    super(`${fn}: ${message}`);
    this.name = new.target.name;
    this.fn = fn;
  }
}

/** A tensor has the wrong rank, size or dtype, or two tensors do not fit together. */
export class ShapeError extends TpfrError {
  /** What the function expected, in words (`[N, d]`, `rank 4`, ...). */
  readonly expected: string;
  /** What it received (usually the shape, as `[2,3]`). */
  readonly received: string;
  constructor(fn: string, expected: string, received: string) {
    super(fn, `expected ${expected}, received ${received}`);
    this.expected = expected;
    this.received = received;
  }
}

/** A value is out of its allowed range: a non-finite tensor entry, k > M, a negative size... */
export class ValueError extends TpfrError {
  constructor(fn: string, expected: string, received: string) {
    super(fn, `expected ${expected}, received ${received}`);
  }
}

/** A backend could not be set up, or an operation is not available on the active backend. */
export class BackendError extends TpfrError {}

/** Formats a shape as `[a,b,c]`, writing `null` dims as `?`. */
export function formatShape(shape: readonly (number | null | undefined)[]): string {
  return `[${shape.map((d) => (d == null ? '?' : String(d))).join(',')}]`;
}

/** Formats a byte count as MiB with one decimal (`12.5 MiB`), for messages. */
export function formatMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
