import { TpfrError } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';
import type { StateDictTensor, StateDictTensors } from '@tpfr/layers';
import type { AuthorsKey } from './authors-keys.js';

/**
 * A state_dict as importers take it: a record or `Map` of name → tensor (JSON arrays or typed
 * arrays, see `StateDictTensor` of `@tpfr/layers`), or a checkpoint as `readTorchCheckpoint` of
 * `@tpfr/core/torch` returns it (`{ format, tensors }`, tensors a record, a `Map` or an array of
 * `{ name, shape, dtype, data }`).
 */
export type TorchStateDictInput =
  | StateDictTensors
  | { format?: string; tensors: StateDictTensors | readonly (StateDictTensor & { name: string })[] };

/** A state dict with its `module.` prefix (of `nn.DataParallel`) stripped. */
export interface NormalizedStateDict {
  tensors: Map<string, StateDictTensor>;
  /** Keys that had a `module.` prefix. */
  prefixed: number;
  /** Keys present both with and without the prefix. */
  duplicates: string[];
  /** The checkpoint's `format` when given one. */
  format?: string;
}

function isMapLike(x: unknown): x is ReadonlyMap<string, StateDictTensor> {
  return x instanceof Map;
}

/** Reads any {@link TorchStateDictInput} into a Map, stripping a leading `module.` from keys. */
export function normalizeStateDict(input: TorchStateDictInput, fn: string): NormalizedStateDict {
  if (input == null || typeof input !== 'object')
    throw new TpfrError(fn, `expected a state_dict (a record or Map of tensors), received ${input === null ? 'null' : typeof input}`);
  let format: string | undefined;
  let entries: [string, StateDictTensor][];
  const hasTensors =
    !isMapLike(input) &&
    'tensors' in (input as object) &&
    typeof (input as { tensors: unknown }).tensors === 'object' &&
    !('shape' in ((input as { tensors: object }).tensors ?? {}));
  if (hasTensors) {
    const ck = input as { format?: string; tensors: StateDictTensors | readonly (StateDictTensor & { name: string })[] };
    format = ck.format;
    const t = ck.tensors;
    if (Array.isArray(t)) entries = (t as readonly (StateDictTensor & { name: string })[]).map((x) => [x.name, x]);
    else if (isMapLike(t)) entries = [...t.entries()];
    else entries = Object.entries(t as Record<string, StateDictTensor>);
  } else if (isMapLike(input)) {
    entries = [...input.entries()];
  } else {
    entries = Object.entries(input as Record<string, StateDictTensor>);
  }
  const tensors = new Map<string, StateDictTensor>();
  const duplicates: string[] = [];
  let prefixed = 0;
  for (const [raw, t] of entries) {
    const key = raw.startsWith('module.') ? raw.slice('module.'.length) : raw;
    if (key !== raw) prefixed++;
    if (tensors.has(key)) duplicates.push(key);
    tensors.set(key, t);
  }
  return { tensors, prefixed, duplicates, format };
}

/** A key whose tensor has another shape than the architecture needs. */
export interface MisShapedKey {
  key: string;
  expected: number[];
  received: number[];
}

/** What does not fit in a state dict. */
export interface StateDictProblems {
  missing: string[];
  unexpected: string[];
  misShaped: MisShapedKey[];
  /** Keys whose dtype cannot be loaded (e.g. an integer tensor for a weight). */
  wrongDtype: { key: string; expected: string; received: string }[];
  /** Keys given both with and without `module.`. */
  duplicates: string[];
}

const FLOAT_DTYPES = new Set(['float32', 'float64', 'float16', 'bfloat16', 'float', 'double', 'half']);

function dataLength(t: StateDictTensor): number {
  return t.data == null ? -1 : t.data.length;
}

/**
 * Compares a state dict with the keys an architecture expects. `num_batches_tracked` keys
 * (role `'ignored'`) may be absent. A tensor whose `data` length does not match its own shape is
 * reported as mis-shaped too (received `[shape] (n values)`).
 */
export function checkStateDict(sd: NormalizedStateDict, expected: readonly AuthorsKey[]): StateDictProblems {
  const p: StateDictProblems = { missing: [], unexpected: [], misShaped: [], wrongDtype: [], duplicates: sd.duplicates.slice() };
  const want = new Map(expected.map((k) => [k.key, k]));
  for (const k of expected) {
    const t = sd.tensors.get(k.key);
    if (!t) {
      if (k.role !== 'ignored') p.missing.push(k.key);
      continue;
    }
    if (k.role === 'ignored') continue;
    const shape = Array.from(t.shape ?? []);
    const n = dataLength(t);
    if (shape.length !== k.shape.length || shape.some((d, i) => d !== k.shape[i]) || n !== k.shape.reduce((a, b) => a * b, 1)) {
      p.misShaped.push({ key: k.key, expected: k.shape, received: shape });
    }
    if (t.dtype !== undefined && !FLOAT_DTYPES.has(t.dtype))
      p.wrongDtype.push({ key: k.key, expected: 'a float tensor', received: t.dtype });
  }
  for (const key of sd.tensors.keys()) if (!want.has(key)) p.unexpected.push(key);
  return p;
}

/** Whether nothing is wrong. */
export function noProblems(p: StateDictProblems): boolean {
  return !p.missing.length && !p.unexpected.length && !p.misShaped.length && !p.wrongDtype.length && !p.duplicates.length;
}

/** Describes the problems, one line per kind, naming every key. */
export function describeProblems(p: StateDictProblems): string {
  const q = (k: string) => `'${k}'`;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const lines: string[] = [];
  if (p.missing.length) lines.push(`${plural(p.missing.length, 'missing key')}: ${p.missing.map(q).join(', ')}`);
  if (p.unexpected.length) lines.push(`${plural(p.unexpected.length, 'unexpected key')}: ${p.unexpected.map(q).join(', ')}`);
  if (p.misShaped.length)
    lines.push(
      `${plural(p.misShaped.length, 'mis-shaped key')}: ${p.misShaped.map((m) => `${q(m.key)} expected ${formatShape(m.expected)}, received ${formatShape(m.received)}`).join('; ')}`,
    );
  if (p.wrongDtype.length)
    lines.push(
      `${plural(p.wrongDtype.length, 'key')} of the wrong dtype: ${p.wrongDtype.map((m) => `${q(m.key)} expected ${m.expected}, received ${m.received}`).join('; ')}`,
    );
  if (p.duplicates.length)
    lines.push(`${plural(p.duplicates.length, 'key')} given both with and without 'module.': ${p.duplicates.map(q).join(', ')}`);
  return lines.join('\n  ');
}

/**
 * A state dict that does not fit the architecture: every missing, unexpected and mis-shaped key
 * in one error (also in the fields, for programs).
 */
export class TorchStateDictError extends TpfrError {
  readonly missing: string[];
  readonly unexpected: string[];
  readonly misShaped: MisShapedKey[];
  readonly wrongDtype: StateDictProblems['wrongDtype'];
  readonly duplicates: string[];
  constructor(fn: string, what: string, problems: StateDictProblems) {
    super(fn, `the state_dict does not fit ${what}:\n  ${describeProblems(problems)}`);
    this.missing = problems.missing;
    this.unexpected = problems.unexpected;
    this.misShaped = problems.misShaped;
    this.wrongDtype = problems.wrongDtype;
    this.duplicates = problems.duplicates;
  }
}
