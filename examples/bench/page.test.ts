import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { PAGE_FILE, formatMiB, formatMs, latestByRun, parseResults, renderPage } from './page.ts';
import { RESULTS_FILE, recordFlags, thisCommand, toRecord } from './record.ts';

const dir = mkdtempSync(join(tmpdir(), 'tpfr-bench-page-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('the committed benchmarks page is what `pnpm bench:page` makes of the committed results', () => {
  const expected = renderPage(parseResults(readFileSync(RESULTS_FILE, 'utf8')));
  expect(readFileSync(PAGE_FILE, 'utf8'), 'docs/guides/benchmarks.md is out of date: run `pnpm bench:page`').toBe(expected);
});

const machine = { cpu: 'Test CPU', cores: 2, memoryGiB: 8, wasmThreads: 2 };
const line = (fields: Record<string, unknown>, date: string, source: string, command: string | null = 'pnpm bench:stylize --sizes 256') =>
  JSON.stringify({ ...fields, date, machine, command, source });

it('renders a small results file: latest figures per configuration, ranges, runs dated with machine and command, side by side', () => {
  const text = [
    line(
      { bench: 'stylize', preset: 'paper', backend: 'wasm', size: 256, styleSize: 256, ms: 9000, peakRssMiB: 700 },
      '2026-01-01',
      'old run',
    ),
    line(
      { bench: 'stylize', preset: 'paper', backend: 'wasm', size: 512, styleSize: 512, ms: 20000, peakRssMiB: 1100 },
      '2026-01-01',
      'old run',
      'pnpm bench:stylize --sizes 512',
    ),
    line(
      { bench: 'authors-torch', what: 'stylize', size: 256, styleSize: 256, threads: 2, ms: [2000, 1500], peakRssMiB: 800 },
      '2026-02-01',
      'pair run',
      'python3 examples/bench/authors-torch.py --repo R stylize --size 256',
    ),
    line(
      {
        bench: 'stylize',
        preset: 'paper',
        backend: 'wasm',
        size: 256,
        styleSize: 256,
        ms: 4000,
        peakRssMiB: 600,
        parts: { 'encode content': 1000, 'stage 1: neighbour search': 200, 'stage 2: neighbour search': 300, decode: 1500 },
      },
      '2026-02-01',
      'pair run',
    ),
    line(
      { bench: 'stylize', preset: 'paper', backend: 'wasm', size: 256, styleSize: 256, ms: 5000, peakRssMiB: 640 },
      '2026-02-01',
      'pair run',
    ),
    line({ bench: 'widget', name: 'spin', ms: 12, ok: true }, '2026-02-02', 'someone', null),
    '',
  ].join('\n');
  const page = renderPage(parseResults(text));
  expect(page.startsWith('---\ntitle: Benchmarks\n---\n')).toBe(true);
  // Side by side: one source recorded both; @tpfr over the authors, fastest over fastest, slowest over slowest.
  expect(page).toContain('### 2026-02-01: pair run');
  expect(page).toContain('| stylize 256² | 1.50 – 2.00 s, 0.78 GiB | 4.00 – 5.00 s, 0.59 – 0.63 GiB | 2.5 – 2.7× | 0.75 – 0.80× |');
  // The latest run of each configuration: 256² from the pair run (two runs: a range), 512² still from the old one.
  expect(page).toContain('| paper | wasm | 256² | 256² | 4.00 – 5.00 s | 0.59 – 0.63 GiB | 2 |');
  expect(page).not.toContain('9.00 s');
  expect(page).toContain('### 2026-01-01: old run');
  expect(page).toContain('| paper | wasm | 512² | 512² | 20.0 s | 1.07 GiB | 1 |');
  expect(page).toContain('Machine: Test CPU, 2 cores, 8 GiB; wasm on 2 threads.');
  expect(page).toContain('Command: `pnpm bench:stylize --sizes 512`.');
  expect(page).toContain(
    'Commands: `python3 examples/bench/authors-torch.py --repo R stylize --size 256`, `pnpm bench:stylize --sizes 256`.',
  );
  // The parts: both stages' searches summed, the rest is the total less the parts.
  expect(page).toContain('| neighbour searches (both stages) | 500 |');
  expect(page).toContain('| the rest (checks, conversions, slices) | 1,000 |');
  // A benchmark the page has no table for: its fields as printed.
  expect(page).toContain('## widget');
  expect(page).toContain('| name | ms | ok |');
  expect(page).toContain('| spin | 12 | true |');
  expect(page).toContain('Command: not recorded.');
  // Newest run first.
  expect(page.indexOf('2026-02-01: pair run')).toBeLessThan(page.indexOf('2026-01-01: old run'));
  expect(renderPage(parseResults(text))).toBe(page);
});

it('groups the latest lines of each configuration by run', () => {
  const rs = parseResults(
    [
      line({ bench: 'x', size: 1, ms: 1 }, '2026-01-01', 'a'),
      line({ bench: 'x', size: 2, ms: 2 }, '2026-01-01', 'a'),
      line({ bench: 'x', size: 1, ms: 3 }, '2026-01-02', 'b'),
      line({ bench: 'x', size: 1, ms: 4 }, '2026-01-02', 'b'),
    ].join('\n'),
  );
  const runs = latestByRun(rs, (r) => String(r.size));
  expect(runs.map((g) => [g.run.source, g.rows.map((row) => row.map((r) => r.ms))])).toEqual([
    ['b', [[3, 4]]],
    ['a', [[2]]],
  ]);
});

it('refuses a results line without its date, machine or source', () => {
  expect(() => parseResults('{"bench":"x"}')).toThrow(/results line 1: expected date a string/);
  expect(() => parseResults(`${line({ bench: 'x' }, '2026-01-01', 's')}\nnot json`)).toThrow(/results line 2: not JSON/);
  expect(() => parseResults(line({ bench: 'x' }, '6 Dec 2026', 's'))).toThrow(/expected date YYYY-MM-DD/);
});

it('formats times and memory as the guides write them', () => {
  expect([formatMs(790), formatMs(4130), formatMs(19000), formatMs(315000)]).toEqual(['790 ms', '4.13 s', '19.0 s', '315 s']);
  expect([formatMiB(254), formatMiB(655), formatMiB(6144), formatMiB(12800)]).toEqual(['254 MiB', '0.64 GiB', '6.00 GiB', '12.5 GiB']);
});

it('--record: the flag, the command that reproduces the run, the fields added to a line', () => {
  expect(recordFlags(['--sizes', '256', '--record'])).toEqual({ file: RESULTS_FILE, source: null, rest: ['--sizes', '256'] });
  expect(recordFlags(['--record', '--quick', '--source', 'me'])).toEqual({ file: RESULTS_FILE, source: 'me', rest: ['--quick'] });
  expect(recordFlags(['--record', 'x.jsonl']).file).toBe(join(process.cwd(), 'x.jsonl'));
  const env = { npm_lifecycle_event: 'bench:stylize', TPFR_WASM_THREADS: '1', HOME: '/root' };
  expect(thisCommand(['node', 'examples/bench/stylize.ts', '--sizes', '256,512', '--record', '--source', 'a b'], env)).toBe(
    'TPFR_WASM_THREADS=1 pnpm bench:stylize --sizes 256,512',
  );
  const fields = { date: '2026-12-06', machine, command: 'pnpm bench:knn', source: 's' };
  expect(toRecord('{"bench":"knn","N":4096,"ms":5}', fields)).toEqual({ bench: 'knn', N: 4096, ms: 5, ...fields });
});

it('a benchmark with --record prints its line unchanged and appends it with the date, the machine, the command and the source', () => {
  const script = join(dir, 'bench-line.ts');
  const results = join(dir, 'results.jsonl');
  const record = fileURLToPath(new URL('./record.ts', import.meta.url));
  writeFileSync(script, `import { printLine } from ${JSON.stringify(record)};\nprintLine('{"bench":"demo-line","ms":12}');\n`);
  const out = execFileSync(process.execPath, ['--import', 'tsx', script, '--size', '3', '--record', results, '--source', 'the test'], {
    encoding: 'utf8',
    env: { ...process.env, npm_lifecycle_event: '' },
  });
  expect(out).toBe('{"bench":"demo-line","ms":12}\n');
  const [r] = parseResults(readFileSync(results, 'utf8'));
  expect(r).toMatchObject({ bench: 'demo-line', ms: 12, source: 'the test', date: new Date().toISOString().slice(0, 10) });
  expect(r.command).toMatch(/^TPFR_WASM_THREADS=1 node --import tsx .*bench-line\.ts --size 3$/);
  expect(r.machine).toMatchObject({ cores: expect.any(Number), wasmThreads: 1, node: process.version });
}, 60_000);
