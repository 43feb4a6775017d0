/**
 * `pnpm bench:page [--check]`: renders `docs/guides/benchmarks.md` from the results file
 * `docs/benchmarks/results.jsonl` (one measurement a line, appended by the benchmarks' `--record`
 * flag, see record.ts). Grouped by benchmark; for each configuration the latest figures (the
 * lines of one source on the latest day; several lines show as a range); one table per run, with
 * its date, machine, command and source; the authors' code and @tpfr side by side where one
 * source recorded both. `--check` writes nothing and exits 1 when the page is not what the
 * results give.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, RESULTS_FILE, type BenchRecord, type Machine } from './record.ts';

/** The page this script writes. */
export const PAGE_FILE = resolve(REPO_ROOT, 'docs/guides/benchmarks.md');

type Value = number | string | boolean | null | undefined;
type Rec = BenchRecord & Record<string, unknown>;

/** The records of a results file (JSON lines; blank lines are skipped). */
export function parseResults(text: string): Rec[] {
  return text
    .split('\n')
    .map((l, i) => [l.trim(), i + 1] as const)
    .filter(([l]) => l !== '')
    .map(([l, n]) => {
      let r: Rec;
      try {
        r = JSON.parse(l) as Rec;
      } catch {
        throw new Error(`results line ${n}: not JSON`);
      }
      for (const f of ['bench', 'date', 'source'] as const)
        if (typeof r[f] !== 'string') throw new Error(`results line ${n}: expected ${f} a string, received ${JSON.stringify(r[f])}`);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(r.date)) throw new Error(`results line ${n}: expected date YYYY-MM-DD, received ${r.date}`);
      if (typeof r.machine !== 'object' || r.machine === null) throw new Error(`results line ${n}: expected machine an object`);
      if (r.command !== null && typeof r.command !== 'string') throw new Error(`results line ${n}: expected command a string or null`);
      return r;
    });
}

// ---------------------------------------------------------------- formatting

const sig3 = (x: number) => (Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3));
/** Milliseconds: `850 ms`, `4.13 s`, `315 s`. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms} ms`;
  if (ms < 1000) return `${Math.round(ms).toLocaleString('en-US')} ms`;
  return `${sig3(ms / 1000)} s`;
}
/** MiB: `254 MiB` below 512 MiB, else `0.64 GiB`, `12.5 GiB`. */
export function formatMiB(mib: number): string {
  if (mib < 512) return `${Math.round(mib * 10) / 10} MiB`;
  const g = mib / 1024;
  return `${g < 10 ? g.toFixed(2) : g.toFixed(1)} GiB`;
}
const formatRatio = (x: number) => x.toPrecision(2);
const formatNumber = (x: number) => (Number.isInteger(x) ? x.toLocaleString('en-US') : Math.abs(x) < 1e-3 ? x.toExponential(1) : String(x));
const formatBytes = (b: number) => (b >= 1e6 ? `${(b / 1e6).toPrecision(2)} MB` : `${Math.round(b / 1e3)} kB`);

/** `a – b` with the unit once when both ends share it. */
function range(lo: string, hi: string): string {
  if (lo === hi) return lo;
  const [l, lu] = splitUnit(lo);
  const [h, hu] = splitUnit(hi);
  return lu === hu && lu !== '' ? `${l} – ${h} ${hu}` : `${lo} – ${hi}`;
}
function splitUnit(s: string): [string, string] {
  const m = /^(.*?) ([A-Za-z]+|×|%)$/.exec(s);
  return m ? [m[1], m[2]] : [s, ''];
}

/** The range of some numbers, each formatted by `f`. */
function numberRange(xs: number[], f: (x: number) => string): string {
  if (xs.length === 0) return '';
  return range(f(Math.min(...xs)), f(Math.max(...xs)));
}

/** A pair [style distance reduction, edge correlation] as the guides write it: `0.31 – 0.54`. */
function formatScores(v: unknown, digits = 2): string {
  if (typeof v === 'string') return v;
  if (!Array.isArray(v)) return '';
  const [s, e] = v as Value[];
  const f = (x: Value) => (typeof x === 'number' ? x.toFixed(digits) : typeof x === 'string' ? x : '');
  return s === null || s === undefined ? `edges ${f(e)}` : `${f(s)} – ${f(e)}`;
}

function machineText(m: Machine): string {
  const parts = [m.cpu === 'not recorded' || !m.cpu ? 'CPU model not recorded' : m.cpu];
  if (m.cores) parts[0] += `, ${m.cores} cores`;
  if (m.memoryGiB) parts[0] += `, ${m.memoryGiB} GiB`;
  if (m.node) parts.push(`Node ${m.node}`);
  if (m.wasmThreads) parts.push(`wasm on ${m.wasmThreads} thread${m.wasmThreads > 1 ? 's' : ''}`);
  if (m.note) parts.push(m.note);
  return parts.join('; ');
}

// ---------------------------------------------------------------- selection

/** A column: its header and, from the records of one row, its cell. */
interface Column {
  label: string;
  cell: (rs: Rec[]) => string;
}
/** How one benchmark is shown. */
interface Spec {
  title: string;
  about: string;
  /** The records it shows. */
  match: (r: Rec) => boolean;
  /** The configuration: records with the same key are the same measurement repeated. */
  key: (r: Rec) => string;
  /** Separate tables of one run (e.g. by network). */
  split?: (r: Rec) => string;
  /** A heading above each split's table. */
  splitTitle?: (r: Rec) => string;
  columns: Column[];
  /** Renders one run's rows some other way than a row per configuration. */
  table?: (rows: Rec[][]) => string[];
}

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
const nums = (rs: Rec[], f: (r: Rec) => unknown): number[] =>
  rs.flatMap((r) => {
    const v = f(r);
    return (Array.isArray(v) ? v : [v]).filter((x): x is number => typeof x === 'number');
  });
const texts = (rs: Rec[], f: (r: Rec) => unknown) =>
  [
    ...new Set(
      rs
        .map(f)
        .filter((v) => v !== undefined && v !== null && v !== '')
        .map(String),
    ),
  ].join(', ');
const col = (label: string, f: (r: Rec) => unknown, fmt: (x: number) => string = formatNumber): Column => ({
  label,
  cell: (rs) => {
    const n = nums(rs, f);
    return n.length > 0 ? numberRange(n, fmt) : texts(rs, f);
  },
});
const textCol = (label: string, f: (r: Rec) => unknown): Column => ({ label, cell: (rs) => texts(rs, f) });
const square = (s: unknown) => (typeof s === 'number' ? `${s}²` : '');
/** The median of a list of numbers (undefined for anything else). */
const medianOf = (v: unknown) =>
  Array.isArray(v) && v.length > 0 ? [...(v as number[])].sort((a, b) => a - b)[Math.floor(v.length / 2)] : undefined;
/** A training step's parts as text: the authors' (`partsMs`, lists) or ours (`parts`). */
function trainParts(r: Rec): string {
  const theirs = r.partsMs as Record<string, number[]> | undefined;
  const ours = r.parts as Record<string, number> | undefined;
  const named: [string, number | undefined][] = theirs
    ? [
        ['forward', medianOf(theirs.forward)],
        ['aux backward + Adam', medianOf(theirs.aux)],
        ['main backward + Adam', medianOf(theirs.main)],
        ['discriminator backward + Adam', medianOf(theirs.discriminator)],
      ]
    : ours
      ? [
          ['forward', ours.forward],
          ['aux gradients', ours.auxGradients],
          ['main gradients', ours.mainGradients],
          ['discriminator gradients', ours.discGradients],
          ['Adam', ours.optimizer],
        ]
      : [];
  return named
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => `${k} ${formatMs(v as number)}`)
    .join(', ');
}
const runsCol: Column = { label: 'runs', cell: (rs) => String(rs.length) };

/** Each record of `records` that `match`es, the latest per configuration: rows (records of one configuration) grouped by run. */
export function latestByRun(records: Rec[], key: (r: Rec) => string, split: (r: Rec) => string = () => ''): { run: Rec; rows: Rec[][] }[] {
  const runOf = (r: Rec) => JSON.stringify([r.date, r.source, r.machine, split(r)]);
  const latest = new Map<string, { run: string; date: string; index: number }>();
  records.forEach((r, index) => {
    const k = key(r);
    const seen = latest.get(k);
    if (!seen || r.date >= seen.date) latest.set(k, { run: runOf(r), date: r.date, index });
  });
  const runs = new Map<string, { run: Rec; rows: Map<string, Rec[]>; date: string; last: number }>();
  records.forEach((r, index) => {
    const k = key(r);
    const l = latest.get(k)!;
    if (runOf(r) !== l.run) return;
    const entry = runs.get(l.run) ?? { run: r, rows: new Map(), date: r.date, last: index };
    entry.last = Math.max(entry.last, l.index);
    entry.rows.set(k, [...(entry.rows.get(k) ?? []), r]);
    runs.set(l.run, entry);
  });
  return [...runs.values()]
    .sort((a, b) => (a.date === b.date ? b.last - a.last : a.date < b.date ? 1 : -1))
    .map((e) => ({ run: e.run, rows: [...e.rows.values()] }));
}

function markdownTable(header: string[], rows: string[][]): string[] {
  // Columns empty in every row are left out.
  const keep = header.map((_, i) => rows.some((r) => r[i] !== ''));
  const pick = (cells: string[]) => cells.filter((_, i) => keep[i]).map((c) => c.replace(/\|/g, '\\|'));
  return [
    `| ${pick(header).join(' | ')} |`,
    `| ${pick(header)
      .map(() => '---')
      .join(' | ')} |`,
    ...rows.map((r) => `| ${pick(r).join(' | ')} |`),
  ];
}

/** The lines under a run's heading: machine, command(s), commits and notes. */
function runInfo(records: Rec[]): string[] {
  const first = records[0];
  const commands = [...new Set(records.map((r) => r.command))];
  const commits = [...new Set(records.map((r) => r.commit).filter((c): c is string => typeof c === 'string'))];
  const notes = [...new Set(records.map((r) => r.note).filter((n): n is string => typeof n === 'string'))];
  const lines = [`Machine: ${machineText(first.machine)}.`];
  const shown = commands.filter((c): c is string => c !== null).map((c) => `\`${c}\``);
  const none = commands.includes(null) ? (shown.length > 0 ? ' (and some not recorded)' : 'not recorded') : '';
  lines.push(`${shown.length > 1 ? 'Commands' : 'Command'}: ${shown.join(', ')}${none}.`);
  if (commits.length > 0) lines.push(`Transcribed from the guides at ${commits.length > 1 ? 'commits' : 'commit'} ${commits.join(', ')}.`);
  if (notes.length > 0) lines.push(`Notes: ${notes.join('; ')}.`);
  return lines.map((l, i) => (i < lines.length - 1 ? `${l}  ` : l));
}

// ---------------------------------------------------------------- the benchmarks

const isStylize = (r: Rec) => r.bench === 'stylize';
// `checkout`: the commit of an older checkout a line measured (an A/B's baseline), shown apart from main's.
const stylizeKey = (r: Rec) => `${str(r.preset)}|${str(r.backend)}|${str(r.size)}|${str(r.styleSize)}|${str(r.checkout ?? '')}`;
const layerKey = (r: Rec) => `${str(r.L)}|${r.randomStyle === true}`;
const scoresDigits = 2;

/** The parts of a stylization, as the table shows them (the rest is total − these). */
const PARTS: [string, RegExp][] = [
  ['encode content and exemplars (one batch)', /^encode content and exemplars$/],
  ['encode content', /^encode content$/],
  ['encode exemplars', /^encode exemplars$/],
  ['neighbour searches (both stages)', /neighbour search/],
  ['attention and its transforms (both stages)', /attention/],
  ['decode', /^decode$/],
];
function partsTable(rows: Rec[][]): string[] {
  const part = (rs: Rec[], re: RegExp) =>
    rs.map((r) =>
      Object.entries(r.parts as Record<string, number>)
        .filter(([k]) => re.test(k))
        .reduce((s, [, v]) => s + v, 0),
    );
  // A part no run of the table has (the encoding in one batch, or in two) is left out.
  const body = PARTS.filter(([, re]) => rows.some((rs) => part(rs, re).some((v) => v > 0))).map(([label, re]) => [
    label,
    ...rows.map((rs) => numberRange(part(rs, re), formatNumber)),
  ]);
  body.push([
    'the rest (checks, conversions, slices)',
    ...rows.map((rs) =>
      numberRange(
        rs.map((r) => (r.ms as number) - PARTS.reduce((s, [, re]) => s + part([r], re)[0], 0)),
        formatNumber,
      ),
    ),
  ]);
  body.push([
    'total',
    ...rows.map((rs) =>
      numberRange(
        rs.map((r) => r.ms as number),
        formatNumber,
      ),
    ),
  ]);
  const header = [
    'part (ms)',
    ...rows.map(
      (rs) =>
        `${square(rs[0].size)}${rs[0].styleSize !== rs[0].size ? ` (style ${square(rs[0].styleSize)})` : ''}${rs[0].preset !== 'paper' ? `, ${str(rs[0].preset)}` : ''}`,
    ),
  ];
  return markdownTable(header, body);
}

const sideBySideWork = (r: Rec) =>
  r.what === 'layer' || r.bench === 'tpfr'
    ? `the TPFR layer, latent ${square(r.L)}${r.randomStyle === true ? ', style codes all random' : ''}`
    : `stylize ${square(r.size)}${r.styleSize !== r.size ? ` (style ${square(r.styleSize)})` : ''}`;
const authorsMs = (r: Rec) => (Array.isArray(r.ms) ? (r.ms as number[]) : typeof r.ms === 'number' ? [r.ms] : []);
/** @tpfr over the authors by rank: the fastest over the fastest, the slowest over the slowest. */
function rankRatio(ours: number[], theirs: number[]): string {
  if (ours.length === 0 || theirs.length === 0) return '';
  const a = Math.min(...ours) / Math.min(...theirs);
  const b = Math.max(...ours) / Math.max(...theirs);
  return `${range(formatRatio(Math.min(a, b)), formatRatio(Math.max(a, b)))}×`;
}

const SIDE_BY_SIDE: Spec = {
  title: "Side by side with the authors' code",
  about: [
    "The authors' PyTorch code (`python3 examples/bench/authors-torch.py --repo <their checkout> stylize --size S` or `layer --L L`, which builds their",
    "`ResnetGeneratorResidual` as their README's test command does and turns their `.cuda()` calls into no-ops) and @tpfr on wasm",
    '(`pnpm bench:stylize`, `pnpm bench:tpfr`), one after the other on one machine, both on the same number of threads: the',
    "`'paper'` preset (their architecture at ngf 64, random weights), content and style of uniform noise, no pipeline. Memory is",
    "the process's peak RSS (ours includes the wasm heap); for the layer, @tpfr's is the growth of RSS over the call. The ratios",
    'are @tpfr over the authors, the fastest run over the fastest and the slowest over the slowest. Shown where one source recorded',
    'both sides; these machines are shared, and the same command varies by ±20 % from one minute to the next.',
  ].join(' '),
  match: (r) => (r.bench === 'authors-torch' && r.device === undefined) || (isStylize(r) && r.preset === 'paper') || r.bench === 'tpfr',
  key: (r) => (r.bench === 'tpfr' || r.what === 'layer' ? `layer|${layerKey(r)}` : `stylize|${str(r.size)}|${str(r.styleSize)}`),
  columns: [],
};

function sideBySide(records: Rec[]): string[] {
  const spec = SIDE_BY_SIDE;
  const mine = records.filter(spec.match);
  // Complete pairs: one source that recorded both sides of a configuration.
  const bySourceKey = new Map<string, { authors: Rec[]; ours: Rec[] }>();
  for (const r of mine) {
    const k = JSON.stringify([r.date, r.source, r.machine, spec.key(r)]);
    const e = bySourceKey.get(k) ?? { authors: [], ours: [] };
    (r.bench === 'authors-torch' ? e.authors : e.ours).push(r);
    bySourceKey.set(k, e);
  }
  const paired = mine.filter((r) => {
    const e = bySourceKey.get(JSON.stringify([r.date, r.source, r.machine, spec.key(r)]))!;
    return e.authors.length > 0 && e.ours.length > 0;
  });
  if (paired.length === 0) return [];
  const out = [`## ${spec.title}`, '', spec.about, ''];
  for (const { run, rows } of latestByRun(paired, spec.key)) {
    out.push(`### ${run.date}: ${run.source}`, '', ...runInfo(rows.flat()), '');
    const body = rows.map((rs) => {
      const theirs = rs.filter((r) => r.bench === 'authors-torch');
      const ours = rs.filter((r) => r.bench !== 'authors-torch');
      const layer = ours[0].bench === 'tpfr';
      const theirMs = theirs.flatMap(authorsMs);
      const ourMs = nums(ours, (r) => r.ms);
      const theirMem = nums(theirs, (r) => r.peakRssMiB);
      const ourMem = nums(ours, (r) => (layer ? r.peakExtraMiB : r.peakRssMiB));
      const error = texts(theirs, (r) => r.error);
      const a =
        error !== '' && theirMs.length === 0
          ? error
          : [numberRange(theirMs, formatMs), numberRange(theirMem, formatMiB)].filter((s) => s !== '').join(', ');
      const o = [numberRange(ourMs, formatMs), ourMem.length > 0 ? `${layer ? '+' : ''}${numberRange(ourMem, formatMiB)}` : '']
        .filter((s) => s !== '')
        .join(', ');
      const time = theirMs.length === 0 ? 'only @tpfr runs' : rankRatio(ourMs, theirMs);
      const memory = layer || theirMs.length === 0 ? '' : rankRatio(ourMem, theirMem);
      return [sideBySideWork(ours[0]), a, o, time, memory];
    });
    out.push(...markdownTable(['work', "the authors' code", '@tpfr', 'time, @tpfr ÷ authors', 'peak memory, @tpfr ÷ authors'], body), '');
  }
  return out;
}

const SPECS: Spec[] = [
  {
    title: 'stylize',
    about:
      "`pnpm bench:stylize [--sizes 256,512,1024,2048]`: `stylize` of the `'paper'` preset (seeded random weights) on content and style of uniform noise, no pipeline; each size in a fresh process; the call's time and the process's peak RSS (the wasm heap included). Rows of other presets come from runs that were not scripted.",
    match: isStylize,
    key: stylizeKey,
    columns: [
      textCol('preset', (r) => r.preset),
      textCol('backend', (r) => r.backend),
      textCol('content', (r) => square(r.size)),
      textCol('style', (r) => square(r.styleSize)),
      col('time', (r) => r.ms, formatMs),
      col('peak RSS', (r) => r.peakRssMiB, formatMiB),
      runsCol,
    ],
  },
  {
    title: 'Where the time of a stylization goes',
    about:
      '`pnpm bench:stylize` prints the milliseconds of every part of each call (`timed` parts of `@tpfr/core/utils`); here they are summed over the two stages of the TPFR layer.',
    match: (r) => isStylize(r) && typeof r.parts === 'object' && r.parts !== null,
    key: stylizeKey,
    columns: [],
    table: partsTable,
  },
  {
    title: 'The TPFR layer',
    about:
      "`pnpm bench:tpfr [--sizes 32,64,128,256] [--random-style]`: the two-stage layer's forward pass on wasm (Cc = 256, Cs = 512, k = 5, one exemplar of the input's size, latent L×L so N = M = L²), each size in a fresh process; peak extra memory is the growth of RSS over the call. Style codes are shaped as the encoder makes them (the global half one vector per image) unless `--random-style`.",
    match: (r) => r.bench === 'tpfr',
    key: layerKey,
    columns: [
      textCol('latent L', (r) => r.L),
      textCol('N = M', (r) => (typeof r.L === 'number' ? formatNumber(r.L * r.L) : '')),
      textCol('style codes', (r) => (r.randomStyle === true ? 'all random' : "the encoder's shape")),
      col('time', (r) => r.ms, formatMs),
      col('peak extra memory', (r) => r.peakExtraMiB, formatMiB),
      textCol('error', (r) => r.error),
    ],
  },
  {
    title: "The authors' code alone",
    about:
      "`python3 examples/bench/authors-torch.py --repo <their checkout> stylize --size S [--style-size S′] [--calls n]` or `layer --L L [--random-style]` times the authors' own PyTorch code (not part of the tests: it needs PyTorch and their repository); `ms` lists each call. Rows on a GPU were measured with their code unchanged.",
    match: (r) => r.bench === 'authors-torch',
    key: (r) => `${str(r.what)}|${str(r.size)}|${str(r.styleSize)}|${str(r.L)}|${r.randomStyle === true}|${str(r.device)}`,
    columns: [
      textCol('work', (r) => sideBySideWork(r)),
      textCol('device', (r) => (r.device === 'cuda' ? 'GPU' : typeof r.threads === 'number' ? `CPU, ${r.threads} threads` : 'CPU')),
      { label: 'time', cell: (rs) => numberRange(rs.flatMap(authorsMs), formatMs) },
      col('peak RSS', (r) => r.peakRssMiB, formatMiB),
      col('peak GPU memory', (r) => r.peakGpuMiB, formatMiB),
      textCol('error', (r) => r.error),
    ],
  },
  {
    title: "The authors' model imported",
    about:
      "`pnpm bench:authors [--sizes 256,512,1024]`: the authors' generator read from a PyTorch checkpoint (a full-size one with random weights is written first), then `stylize` with their test-time pipeline (resize, centre crop, content pad 8·⌊S/256⌋, stretch) on a synthetic photo and painting of 1.5·S; each measurement in a fresh process; peak RSS includes the wasm heap.",
    match: (r) => r.bench === 'authors',
    key: (r) => (typeof r.size === 'number' ? `${r.size}|${str(r.styleSize)}` : 'import'),
    columns: [
      textCol('work', (r) =>
        typeof r.size === 'number'
          ? `S = ${r.size} (content ${r.size + 2 * 8 * Math.floor(r.size / 256)}² with the pad)`
          : `import (read + map the keys)`,
      ),
      textCol('style', (r) => square(r.styleSize)),
      col('time', (r) => r.ms ?? r.importMs, formatMs),
      col('peak RSS', (r) => r.peakRssMiB, formatMiB),
    ],
  },
  {
    title: 'Exact k-NN',
    about:
      "`pnpm bench:knn [--sizes 4096,16384,36864]`: `knn` (streamed, exact top 5, N = M, d = 256) against wasm's plain matMul of the same `[N, d] × [d, M]` product in the same row tiles (scores only, no top-k); peak extra memory is the growth of RSS over the call.",
    match: (r) => r.bench === 'knn',
    key: (r) => `${str(r.N)}|${str(r.M)}|${str(r.d)}|${str(r.k)}|${str(r.backend)}`,
    columns: [
      textCol('N = M', (r) => formatNumber(r.N as number)),
      textCol('d', (r) => r.d),
      textCol('k', (r) => r.k),
      col('`knn`', (r) => r.msKnn, formatMs),
      col('plain `tf.matMul`', (r) => r.msMatmul, formatMs),
      col('ratio', (r) => r.ratio),
      col('peak extra memory', (r) => r.peakExtraMiB, formatMiB),
    ],
  },
  {
    title: 'Threads',
    about:
      '`pnpm bench:threads [--threads 1,2]`: the wasm backend in Node on each thread count, each in a fresh process: a 3×3 convolution (1×256×256×64 → 64), a 1024² matMul, `knn` (4096 queries in 16,384 rows of 64, k = 5), median of 5 runs, and `stylize` 256² of the paper preset, one run.',
    match: (r) => r.bench === 'threads',
    key: (r) => str(r.threads),
    columns: [
      textCol('threads', (r) => r.threads),
      col('3×3 convolution', (r) => r.conv3x3Ms, formatMs),
      col('matMul 1024²', (r) => r.matMul1024Ms, formatMs),
      col('`knn`', (r) => r.knnMs, formatMs),
      col('`stylize` 256²', (r) => r.stylize256Ms, formatMs),
    ],
  },
  {
    title: 'Many images at once',
    about:
      '`tpfr stylize --jobs N` runs N worker processes, each on its share of the cores, instead of one process on all of them; the time of the whole command.',
    match: (r) => r.bench === 'stylize-jobs',
    key: (r) => `${str(r.images)}|${str(r.size)}|${str(r.jobs)}`,
    columns: [
      textCol('images', (r) => `${str(r.images)} of ${square(r.size)}`),
      textCol('processes', (r) => r.jobs),
      col('time', (r) => r.ms, formatMs),
    ],
  },
  {
    title: 'The wasm kernels @tpfr/core adds or replaces',
    about:
      "What the kernels of the [backends guide](./backends.md#the-kernels-tpfrcore-adds-to-wasm-and-those-it-replaces) save, measured by hand on wasm (no script): Winograd's F(4×4, 3×3) against XNNPACK's direct 3×3 convolution, and wasm's own kernels against @tpfr's.",
    match: (r) => r.bench === 'winograd' || r.bench === 'wasm-kernel',
    key: (r) => `${r.bench}|${str(r.size)}|${str(r.channels)}|${str(r.kernel)}|${str(r.what)}`,
    columns: [
      textCol('kernel', (r) => (r.bench === 'winograd' ? 'Conv2D 3×3' : r.kernel)),
      textCol('measured on', (r) => (r.bench === 'winograd' ? `${square(r.size)} × ${str(r.channels)} → ${str(r.channels)}` : r.what)),
      col("wasm's own", (r) => r.msXnnpack ?? r.msWasmOwn, formatMs),
      col("@tpfr's", (r) => r.msWinograd ?? r.msTpfr, formatMs),
    ],
  },
  {
    title: 'Memory estimates',
    about:
      "`pnpm bench:memory [--sizes 256,512,1024]`: `estimateStylizeMemory` against the real peak of `stylize` on wasm (`tf.profile`'s peak tensor bytes above those before the call), content S² with one exemplar of min(S, 512)².",
    match: (r) => r.bench === 'memory' || r.bench === 'wasm-heap',
    key: (r) => `${r.bench}|${str(r.preset)}|${str(r.size)}|${str(r.styleSize)}`,
    columns: [
      textCol('preset', (r) => r.preset),
      textCol('content', (r) => square(r.size)),
      textCol('style', (r) => square(r.styleSize)),
      col('estimate', (r) => r.estimateMiB, formatMiB),
      col('real peak', (r) => r.peakMiB, formatMiB),
      col('error (%)', (r) => r.errorPct),
      textCol('peak in', (r) => r.peakPhase),
      col('wasm heap after the call', (r) => r.heapMiB, formatMiB),
    ],
  },
  {
    title: 'Soak',
    about:
      '`pnpm soak [--calls 1000] [--steps 300]`: `stylize` on mixed sizes and a training run with checkpoints, on wasm, tracking `tf.memory()` around every call and step, and the RSS (see the [reliability guide](./reliability.md#no-leaks)).',
    match: (r) => r.bench === 'soak',
    key: (r) => `${str(r.calls)}|${str(r.steps)}`,
    columns: [
      col('calls', (r) => r.calls),
      col('steps', (r) => r.steps),
      col('checkpoints', (r) => r.checkpoints),
      col('tensorGrowth', (r) => r.tensorGrowth),
      col('byteGrowth', (r) => r.byteGrowth),
      col('RSS growth, 2nd half of the calls (%)', (r) => r.rssGrowthPctCalls),
      col('RSS growth, 2nd half of the steps (%)', (r) => r.rssGrowthPctSteps),
      textCol('RSS', (r) => (r.rssMiB ? `${(r.rssMiB as { start: number }).start} → ${(r.rssMiB as { end: number }).end} MiB` : '')),
      col('time', (r) => r.ms, formatMs),
    ],
  },
  {
    title: 'Training',
    about:
      '`pnpm bench:train`: one training step of the tiny preset at 64×64, batch 1, on wasm (median of 5 after a warm-up) and on cpu; `--backend webgpu` gives steps per second on that backend instead. The step times at 32×32 come from runs that were not scripted.',
    match: (r) => r.bench === 'train' || r.bench === 'train-step',
    key: (r) => `${r.bench}|${str(r.backend)}|${str(r.preset)}|${str(r.network)}|${str(r.size)}|${str(r.batch)}`,
    columns: [
      textCol('model', (r) => r.preset ?? r.network),
      textCol('size', (r) => square(r.size)),
      textCol('backend', (r) => r.backend),
      col('wasm, per step', (r) => r.msWasm ?? r.msMainStep, formatMs),
      col('wasm, per warm-up step', (r) => r.msWarmupStep, formatMs),
      col('cpu, per step', (r) => r.msCpu, formatMs),
      col('wasm ÷ cpu', (r) => r.speedupWasmOverCpu),
      col('per step', (r) => r.msPerStep, formatMs),
    ],
  },
  {
    title: 'A training step of the paper network, side by side with the authors',
    about:
      "`pnpm bench:train --backend wasm --preset paper --size S --batch B [--recompute]` (median step after a warm-up step; `--recompute`: the networks' activations recomputed block by block in the backward pass) beside `python3 examples/bench/authors-train.py --repo <their checkout> --size S --batch 2` (their gan_aux model and `optimize_parameters()` unchanged, PyTorch on 2 threads; their batch of 2 runs as two single-sample replicas, as on their two GPUs, and their discriminator sees the first sample only). Per sample is the step over the batch. Their parts include each optimizer's step; ours give the optimizers apart, and each update's gradients without its forward pass.",
    match: (r) => r.bench === 'authors-train' || (r.bench === 'train' && r.preset === 'paper' && r.backend === 'wasm'),
    key: (r) => `${r.bench}|${str(r.size)}|${str(r.batch)}|${str(r.recompute)}`,
    columns: [
      textCol('code', (r) => (r.bench === 'authors-train' ? "the authors' (PyTorch)" : '@tpfr (wasm)')),
      textCol('size', (r) => square(r.size)),
      textCol('batch', (r) => r.batch),
      textCol('activations', (r) => (r.bench === 'authors-train' ? 'kept' : r.recompute ? 'recomputed' : 'kept')),
      col('per step', (r) => (r.bench === 'authors-train' ? medianOf(r.stepMs) : r.msPerStep), formatMs),
      col('per sample', (r) => (r.bench === 'authors-train' ? r.perSampleMs : (r.msPerStep as number) / (r.batch as number)), formatMs),
      // One run's parts (the last recorded): two runs' would read as one list.
      { label: 'parts (the last run)', cell: (rs) => trainParts(rs[rs.length - 1]) },
      col('peak RSS', (r) => r.peakRssMiB, formatMiB),
    ],
  },
  {
    title: 'The demo',
    about:
      "`pnpm demo`: 3000 training steps (1000 of them warm-up) of the demo's network, then the held-out scores (style distance reduction – edge correlation, as it prints them; see the [training guide](./training.md#the-demos-set-up)). The scores depend only on the seed and the steps; the time is this machine's.",
    match: (r) => r.bench === 'demo',
    key: (r) => `${str(r.seed)}|${str(r.steps)}|${str(r.warmupSteps)}`,
    columns: [
      textCol('seed', (r) => r.seed),
      textCol('steps', (r) => (typeof r.warmupSteps === 'number' ? `${r.warmupSteps} + ${(r.steps as number) - r.warmupSteps}` : r.steps)),
      ...(['two-stage', 'style-only'] as const).flatMap((st) => [
        textCol(`${st}, pool of 4`, (r) =>
          r.byStages ? formatScores(Object.values((r.byStages as Record<string, Record<string, number>>)[st]), 3) : '',
        ),
        textCol(`${st}, 1 exemplar`, (r) =>
          r.singleExemplar ? formatScores(Object.values((r.singleExemplar as Record<string, Record<string, number>>)[st]), 3) : '',
        ),
      ]),
      col('training', (r) => (typeof r.trainingSeconds === 'number' ? r.trainingSeconds * 1000 : undefined), formatMs),
      col('whole run', (r) => (typeof r.wallSeconds === 'number' ? r.wallSeconds * 1000 : undefined), formatMs),
      col('CPU time', (r) => (typeof r.cpuSeconds === 'number' ? r.cpuSeconds * 1000 : undefined), formatMs),
    ],
  },
  {
    title: 'Held-out scores of training set-ups',
    about:
      "The demo's protocol (`evaluateHeldOut`: photos of each held-out class, a pool of 4 exemplars, or the shown one alone) on models trained for 1000 warm-up + 2000 steps at 32×32, learning rate 1e-3, `emaDecay: 0.999`, `transferLatentCycle: 2`, `metricLearning: 0.5` unless the row says otherwise (the demo's set-up of that day); each entry is style distance reduction – edge correlation. A model with another seed is scored on that seed's held-out images unless the row says otherwise (`tpfr eval --seed` takes 1000003 + N).",
    match: (r) => r.bench === 'scores',
    key: (r) => `${str(r.network)}|${str(r.change)}|${str(r.seed)}|${str(r.heldOutSeed)}|${str(r.photosPerClass)}`,
    split: (r) => `${str(r.network)}|${str(r.photosPerClass)}`,
    splitTitle: (r) => `${str(r.network)}, ${str(r.photosPerClass)} photos per held-out class`,
    columns: [
      textCol('training change', (r) => r.change),
      textCol('seed', (r) => r.seed),
      textCol('held-out images', (r) => (r.heldOutSeed === r.seed ? '' : `seed ${str(r.heldOutSeed)}'s`)),
      textCol('two-stage, 1 exemplar', (r) => formatScores(r.twoStage1, scoresDigits)),
      textCol('two-stage, pool of 4', (r) => formatScores(r.twoStage4, scoresDigits)),
      textCol('style-only, 1 exemplar', (r) => formatScores(r.styleOnly1, scoresDigits)),
      textCol('style-only, pool of 4', (r) => formatScores(r.styleOnly4, scoresDigits)),
    ],
  },
  {
    title: 'In the browser',
    about:
      "`pnpm bench:browser` (256²) and `pnpm test:browser` (128²): the example page in Debian's headless Chromium, on each backend (WebGPU and WebGL 2 on SwiftShader, a CPU implementation: correctness, not GPU speed): `maxAbsDiff` against Node's wasm on the page's neighbour graph, the rows whose neighbours differ from Node's own search, the k-NN check against brute force, and the time from load to the first result (see the [browser guide](./browser.md#checked-in-a-real-browser)).",
    match: (r) => r.bench === 'browser',
    key: (r) => `${str(r.backend)}|${str(r.size)}`,
    columns: [
      textCol('backend', (r) => r.backend),
      textCol('size', (r) => square(r.size)),
      col('maxAbsDiff', (r) => r.maxAbsDiff),
      textCol('rows with other neighbours (stage 1, 2)', (r) =>
        r.graph
          ? `${(r.graph as { differingRows: number[] }).differingRows.join(', ')} of ${formatNumber((r.graph as { rows: number }).rows)}`
          : '',
      ),
      col('stage-1 gap', (r) => (r.graph as { stage1Gap?: number } | undefined)?.stage1Gap),
      col('maxAbsDiffOwnGraph', (r) => r.maxAbsDiffOwnGraph),
      col('k-NN: rows off brute force', (r) => (r.kernels as { knnIndexMismatches?: number } | undefined)?.knnIndexMismatches),
      col('k-NN: distance error', (r) => (r.kernels as { knnMaxDistanceError?: number } | undefined)?.knnMaxDistanceError),
      col('load → first result', (r) => r.firstResultMs, formatMs),
    ],
  },
  {
    title: 'The strength slider in the browser',
    about:
      "`pnpm bench:browser` (256² on wasm, 96² on the GPU backends) and `pnpm test:browser` (64²): the example page stylizes the sample images with regions painted with its brush, style weights, the content's luminance and a strength, then its strength slider moves and the worker decodes the same codes again (`Stylizer.restyle`: no encoding, no search). `maxAbsDiff` is the larger of both results' differences from Node's wasm on the page's neighbour graphs (see the [browser guide](./browser.md#steering-the-stylization)).",
    match: (r) => r.bench === 'browser-controls',
    key: (r) => `${str(r.backend)}|${str(r.size)}`,
    columns: [
      textCol('backend', (r) => r.backend),
      textCol('size', (r) => square(r.size)),
      col('maxAbsDiff', (r) => r.maxAbsDiff),
      col('slider (one decoding)', (r) => r.restyleMs, formatMs),
      col('full stylization', (r) => r.stylizeMs, formatMs),
    ],
  },
  {
    title: "The page's live camera",
    about:
      "`pnpm bench:browser` and `pnpm test:browser`: the example page's live mode in Debian's headless Chromium with a fake camera playing the tests' synthetic clip (128² on wasm, 32² on the GPU backends, which SwiftShader runs on the CPU): frames per second over the run (one frame in flight, the exemplars encoded once, coherence on), the largest difference of four frames from Node's live session on the same frames (the page's neighbour graphs replayed), and the worker's tensors after 200 frames and a stop minus before the start (see the [browser guide](./browser.md#live-camera)).",
    match: (r) => r.bench === 'browser-webcam',
    key: (r) => `${str(r.backend)}|${str(r.size)}`,
    columns: [
      textCol('backend', (r) => r.backend),
      textCol('size', (r) => square(r.size)),
      col('frames', (r) => r.frames),
      col('frames per second', (r) => r.fps),
      col('maxAbsDiff', (r) => r.maxAbsDiff),
      col('tensors leaked', (r) => r.tensorsLeaked),
    ],
  },
  {
    title: "The authors' checkpoint in the page",
    about:
      "`pnpm bench:browser` and `pnpm test:browser`: the authors' generator checkpoint picked in the example page's model panel, read and imported in its worker: the fixtures' ngf-8 generator on each backend (`maxAbsDiff`: the sample images stylized with it against Node's stylization with the same file), and a checkpoint of the paper's size (ngf 64, synthetic weights) on wasm. The peak is what the import holds at once: the bytes it references (the file's buffer, the checkpoint's typed arrays) plus the tensors' bytes (see the [browser guide](./browser.md#another-model-the-authors-checkpoint-or-a-saved-model)).",
    match: (r) => r.bench === 'browser-import',
    key: (r) => `${str(r.backend)}|${str(r.file)}`,
    columns: [
      textCol('backend', (r) => r.backend),
      textCol('file', (r) => r.file),
      col('file size', (r) => r.fileBytes, formatBytes),
      col('maxAbsDiff', (r) => r.maxAbsDiff),
      col('import', (r) => r.importMs, formatMs),
      col('peak held', (r) => r.peakBytes, formatBytes),
      col('copies of the weights', (r) => r.copies),
    ],
  },
  {
    title: "The page's size",
    about:
      "`pnpm bench:browser` also prints the built page's size, gzipped: the JavaScript every visitor loads (the page and the worker with tfjs, the layers and the model code), the SIMD wasm binary (fetched only on wasm), the chunks loaded only when tried, and the model it serves (the tiny preset).",
    match: (r) => r.bench === 'browser-size',
    key: () => 'page',
    columns: [
      col('JavaScript, loaded up front', (r) => r.jsGzipBytes, formatBytes),
      col('wasm SIMD binary', (r) => r.wasmGzipBytes, formatBytes),
      textCol('chunks loaded when tried', (r) =>
        Object.entries((r.lazyChunksGzipBytes ?? {}) as Record<string, number>)
          .map(([k, v]) => `${k} ${formatBytes(v)}`)
          .join(', '),
      ),
      col('model', (r) => r.modelBytes, formatBytes),
    ],
  },
];

/** Fields taken as configuration by benchmarks the page has no table for. */
const CONFIG_FIELDS = new Set([
  'preset',
  'backend',
  'size',
  'styleSize',
  'L',
  'N',
  'M',
  'd',
  'k',
  'threads',
  'steps',
  'seed',
  'batch',
  'what',
  'kind',
  'name',
  'case',
]);
const META = new Set(['bench', 'date', 'machine', 'command', 'source', 'commit', 'note']);

function genericSpec(bench: string, all: Rec[]): Spec {
  const records = all.filter((r) => r.bench === bench);
  const fields = [...new Set(records.flatMap((r) => Object.keys(r)))].filter((f) => !META.has(f));
  const config = fields.filter((f) => CONFIG_FIELDS.has(f) || records.some((r) => typeof r[f] === 'string' || typeof r[f] === 'boolean'));
  return {
    title: bench,
    about: `The lines of the \`${bench}\` benchmark, as it printed them.`,
    match: (r) => r.bench === bench,
    key: (r) => JSON.stringify(config.map((f) => r[f] ?? null)),
    columns: fields.map((f) => ({
      label: f,
      cell: (rs: Rec[]) =>
        config.includes(f)
          ? texts(rs, (r) => (typeof r[f] === 'object' ? JSON.stringify(r[f]) : r[f]))
          : nums(rs, (r) => r[f]).length > 0
            ? numberRange(
                nums(rs, (r) => r[f]),
                formatNumber,
              )
            : texts(rs, (r) => JSON.stringify(r[f])),
    })),
  };
}

function section(spec: Spec, records: Rec[]): string[] {
  const mine = records.filter(spec.match);
  if (mine.length === 0) return [];
  const out = [`## ${spec.title}`, '', spec.about, ''];
  for (const { run, rows } of latestByRun(mine, spec.key, spec.split)) {
    const sub = spec.splitTitle ? `, ${spec.splitTitle(run)}` : '';
    out.push(`### ${run.date}: ${run.source}${sub}`, '', ...runInfo(rows.flat()), '');
    out.push(
      ...(spec.table
        ? spec.table(rows)
        : markdownTable(
            spec.columns.map((c) => c.label),
            rows.map((rs) => spec.columns.map((c) => c.cell(rs))),
          )),
      '',
    );
  }
  return out;
}

/** The benchmarks page of some records. */
export function renderPage(records: Rec[]): string {
  const known = (r: Rec) => SPECS.some((s) => s.match(r)) || SIDE_BY_SIDE.match(r);
  const others = [...new Set(records.filter((r) => !known(r)).map((r) => r.bench))].sort();
  const sections = [
    sideBySide(records),
    ...SPECS.map((s) => section(s, records)),
    ...others.map((b) => section(genericSpec(b, records), records)),
  ].filter((s) => s.length > 0);
  const titles = sections.map((s) => s[0].slice(3));
  const anchor = (t: string) =>
    t
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s-]/gu, '')
      .trim()
      .replace(/\s/g, '-');
  return [
    '---',
    'title: Benchmarks',
    '---',
    '',
    '# Benchmarks',
    '',
    '<!-- Generated by `pnpm bench:page` from docs/benchmarks/results.jsonl: edit that file, not this page. -->',
    '',
    "Every measured figure of the README and the guides, generated from `docs/benchmarks/results.jsonl`: one measurement a line, as a benchmark printed it, with the date, the machine, the command that reproduces it and its source. Each benchmark's `--record` flag appends its lines there (`pnpm bench:stylize --sizes 512 --record`, `--source TEXT` to name who measured); `pnpm bench:page` then writes this page again, and a test checks that the two agree.",
    '',
    'For each benchmark and configuration the page shows the latest figures only: the lines of one source on the latest day, several lines as a range (lowest – highest). One table per run, with its date, machine, command and source. Lines transcribed from a report or an earlier version of the guides say so in their notes. The machines are shared and busy: compare figures within one table, not across tables.',
    '',
    ...titles.map((t) => `- [${t}](#${anchor(t)})`),
    '',
    ...sections.flat(),
  ]
    .join('\n')
    .replace(/\n+$/, '\n');
}

async function main(): Promise<void> {
  const page = renderPage(parseResults(readFileSync(RESULTS_FILE, 'utf8')));
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(PAGE_FILE, 'utf8');
    } catch {
      // missing: differs
    }
    if (current !== page) {
      console.error(`bench:page: ${PAGE_FILE} is not what ${RESULTS_FILE} gives; run pnpm bench:page`);
      process.exit(1);
    }
    return;
  }
  writeFileSync(PAGE_FILE, page);
  console.log(`bench:page: wrote ${PAGE_FILE}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
