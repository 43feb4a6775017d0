import fc from 'fast-check';

/** One edit of a file's bytes, at a fraction of its length: a cut, a changed byte, inserted or removed bytes. */
export type ByteMutation =
  | { kind: 'cut'; at: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; values: Uint8Array }
  | { kind: 'remove'; at: number; count: number };

/**
 * Edits of a valid file's bytes for fuzzing a reader (seeded with fast-check's `seed`): cuts,
 * changed bytes, and runs of up to `maxRun` inserted or removed bytes. Apply with {@link mutateBytes}.
 */
export function byteMutationArb(maxRun = 16): fc.Arbitrary<ByteMutation> {
  const at = fc.double({ min: 0, max: 1, noNaN: true });
  return fc.oneof(
    fc.record({ kind: fc.constant('cut' as const), at }),
    fc.record({ kind: fc.constant('set' as const), at, value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at, values: fc.uint8Array({ minLength: 1, maxLength: maxRun }) }),
    fc.record({ kind: fc.constant('remove' as const), at, count: fc.integer({ min: 1, max: maxRun }) }),
  );
}

/** `bytes` with the edits applied in order (a new array where an edit changes it; `bytes` is never written). */
export function mutateBytes(bytes: Uint8Array, edits: readonly ByteMutation[]): Uint8Array {
  let b = bytes;
  for (const m of edits) {
    const at = Math.min(b.length, Math.floor(m.at * b.length));
    if (m.kind === 'cut') b = b.subarray(0, at);
    else if (m.kind === 'set' && at < b.length) {
      b = b.slice();
      b[at] = m.value;
    } else if (m.kind === 'insert') b = Uint8Array.from([...b.subarray(0, at), ...m.values, ...b.subarray(at)]);
    else if (m.kind === 'remove') b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + m.count)]);
  }
  return b;
}
