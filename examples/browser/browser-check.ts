/**
 * Builds the page, serves it on 127.0.0.1 and drives Debian's Chromium (headless, SwiftShader's
 * CPU WebGPU and WebGL 2) through it, once per backend: a stylization of the sample images at
 * 256², compared with the same images stylized in Node on wasm; the kernel checks (k-NN against
 * brute force, attention convex); a click inside the result (the neighbours tables); a
 * screenshot. `pnpm bench:browser` runs this file at 256² (`TPFR_BROWSER_SIZE`, and
 * `TPFR_BROWSER_BACKENDS=webgl,wasm` for some) and prints one JSON line per backend and one for
 * the page's size; it exits 1 when a check fails. `pnpm test:browser` runs the tests (128²).
 * No browser is downloaded: set TPFR_CHROMIUM or install Debian's `chromium`.
 * `--record [FILE]` (and `--source TEXT`) also appends each JSON line to `docs/benchmarks/results.jsonl`
 * (or FILE) with the date, the machine, the command and the source (examples/bench/record.ts); stdout is unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import puppeteer, { type Browser } from 'puppeteer-core';
import { build, preview, type PreviewServer } from 'vite';
import { initBackend } from '@tpfr/core';
import { toModelRange } from '@tpfr/models';
import { loadModel } from '@tpfr/models/node';
import type { KernelReport } from './src/checks.js';
import { differingRows } from './src/graph-diff.js';
import { stylizeJob, type JobResult, type Pixels } from './src/job.js';
import { writeSeededModel } from './scripts/prepare-model.js';
import { printLine } from '../bench/record.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The backends the page must run on, each exactly (no silent fallback). */
export const PAGE_BACKENDS = ['webgpu', 'webgl', 'wasm'] as const;
export type PageBackendName = (typeof PAGE_BACKENDS)[number];

/** Chromium's flags for SwiftShader's WebGPU and WebGL 2 on the CPU. */
export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--no-sandbox',
  '--disable-dev-shm-usage',
];

/** The system's Chromium: `$TPFR_CHROMIUM`, else Debian's. Undefined when there is none. */
export function findChromium(): string | undefined {
  const candidates = [process.env.TPFR_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

/** One backend's figures, as `pnpm test:browser` prints them. */
export interface BackendRecord {
  bench: 'browser';
  backend: PageBackendName;
  /** The backend the page reports running on (must equal `backend`). */
  ran: string;
  reason: string;
  /**
   * Largest |page − Node wasm| of the result on the model's −1…1 scale, Node rendering the page's
   * neighbour graph: every computation compared on one graph.
   */
  maxAbsDiff: number;
  /**
   * The same against Node's result with its own neighbour searches. Where a k-th and a (k+1)-th
   * distance tie within float rounding, two backends (Node's cpu and wasm too) can pick different
   * neighbours, and one such pixel moves its part of the image by up to ≈ 0.2 in an untrained model.
   */
  maxAbsDiffOwnGraph: number;
  /** The neighbour graphs compared: latent rows, rows whose set differs per stage, stage 1's largest gap. */
  graph: { rows: number; differingRows: [number, number]; stage1Gap: number };
  /** From navigation start to the first result on screen (256², sample images). */
  firstResultMs: number;
  /** The stylization alone, in the worker. */
  stylizeMs: number;
  kernels: KernelReport;
  /** Rows in the two neighbour tables after a click in the result (k each). */
  inspectRows: [number, number];
  /** Distinct colours in the screenshot (a blank page has a handful). */
  screenshotColours: number;
  screenshot: string;
}

/** The built page's bytes, gzipped. */
export interface SizeRecord {
  bench: 'browser-size';
  /** Page + worker, what every visitor downloads (JavaScript). */
  jsGzipBytes: number;
  /** The wasm binary a browser with SIMD fetches when it runs on wasm. */
  wasmGzipBytes: number;
  /** Each lazily loaded chunk (the GPU backends), gzipped. */
  lazyChunksGzipBytes: Record<string, number>;
  modelBytes: number;
}

/** The page built into a temporary folder, with a seeded model, and served. */
export interface ServedPage {
  url: string;
  dist: string;
  modelDir: string;
  close(): Promise<void>;
}

/** Builds the page (vite) with a seeded model into a temporary folder and serves it on 127.0.0.1. */
export async function servePage(): Promise<ServedPage> {
  const tmp = await mkdtemp(join(tmpdir(), 'tpfr-page-'));
  const publicDir = join(tmp, 'public');
  const modelDir = join(publicDir, 'model');
  await writeSeededModel(modelDir, 0);
  const dist = join(tmp, 'dist');
  await build({ configFile: join(here, 'vite.config.ts'), publicDir, build: { outDir: dist, emptyOutDir: true }, logLevel: 'warn' });
  const server: PreviewServer = await preview({
    configFile: join(here, 'vite.config.ts'),
    build: { outDir: dist },
    preview: { host: '127.0.0.1', port: 0, strictPort: false },
    logLevel: 'warn',
  });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('servePage: the preview server has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    dist,
    modelDir,
    close: async () => {
      await new Promise<void>((r) => server.httpServer.close(() => r()));
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** Sizes of the built page (gzip -9 of each file). */
export function pageSize(dist: string): SizeRecord {
  const assets = join(dist, 'assets');
  const gz = (f: string) => gzipSync(readFileSync(f), { level: 9 }).length;
  const files = readdirSync(assets);
  const js = files.filter((f) => f.endsWith('.js'));
  // Chunks the page and worker load up front: the entry, the worker, and what they import statically.
  const upfront = new Set<string>();
  const visit = (f: string) => {
    if (upfront.has(f)) return;
    upfront.add(f);
    const src = readFileSync(join(assets, f), 'utf8');
    for (const m of src.matchAll(/(?:^|[;\n}])\s*import\s*(?:[\w*{}\s,$]+from\s*)?["']\.\/([\w.-]+\.js)["']/g)) visit(m[1]);
  };
  js.filter((f) => f.startsWith('index-') || f.startsWith('worker-')).forEach(visit);
  const lazy: Record<string, number> = {};
  for (const f of js.filter((f) => !upfront.has(f))) lazy[f] = gz(join(assets, f));
  const simd = files.find((f) => f.startsWith('tfjs-backend-wasm-simd'))!;
  return {
    bench: 'browser-size',
    jsGzipBytes: [...upfront].reduce((s, f) => s + gz(join(assets, f)), 0),
    wasmGzipBytes: gz(join(assets, simd)),
    lazyChunksGzipBytes: lazy,
    modelBytes: ['model.json', 'weights.bin'].reduce((s, f) => s + statSync(join(dist, 'model', f)).size, 0),
  };
}

/** Launches the system Chromium with SwiftShader. */
export async function launchChromium(executablePath: string): Promise<Browser> {
  return puppeteer.launch({
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS.filter((f) => !f.startsWith('--headless')),
    protocolTimeout: 600_000,
  });
}

/** The Node references of a page result: the same prepared images on wasm with the same model. */
export interface NodeReference {
  /** Node's result with its own neighbour searches. */
  ownGraph: JobResult;
  /** Node's result rendering the page's neighbour graph (both stages). */
  pageGraph: JobResult;
  /** Per stage, the rows whose neighbour set differs between the page and Node (order aside). */
  differingRows: [number[], number[]];
  /**
   * Over the stage-1 rows whose sets differ: the largest relative gap, in float64 on Node's
   * codes, between the k-th distances of the page's set and Node's set (a near-tie: ≈ 1e-6).
   */
  stage1Gap: number;
}

/**
 * Stylizes the page's prepared images in Node on wasm twice, with Node's own neighbour search and
 * with the page's graph, and measures the stage-1 rows where the graphs differ.
 */
export async function nodeReference(
  modelDir: string,
  result: Pick<JobResult, 'content' | 'exemplars' | 'attention' | 'latent'>,
): Promise<NodeReference> {
  const previous = tf.getBackend();
  await initBackend('wasm');
  const model = await loadModel(modelDir);
  try {
    const opts = { size: Math.min(result.content.width, result.content.height), prepared: true };
    const ownGraph = await stylizeJob(model, result.content, result.exemplars, opts);
    const pageGraph = await stylizeJob(model, result.content, result.exemplars, {
      ...opts,
      neighbours: [result.attention[0].indices, result.attention[1].indices],
    });
    const k = result.latent.k;
    const rows = [0, 1].map((s) => differingRows(result.attention[s].indices, ownGraph.attention[s].indices, k)) as [number[], number[]];
    let stage1Gap = 0;
    if (rows[0].length > 0) {
      const t = (p: Pixels) =>
        tf.tidy(() => tf.expandDims(toModelRange(tf.tensor3d(Int32Array.from(p.data), [p.height, p.width, 3], 'int32')), 0) as tf.Tensor4D);
      const x = t(result.content);
      const pool = tf.concat(result.exemplars.map(t), 0);
      const [zc, zs] = [model.codes(x), model.codes(pool)];
      const [q, pc] = [Float64Array.from(await zc.content.data()), Float64Array.from(await zs.content.data())];
      const d = zc.content.shape[3];
      tf.dispose([x, pool, zc.content, zc.style, zs.content, zs.style]);
      const dist = (r: number, j: number) => {
        let sum = 0;
        for (let c = 0; c < d; c++) sum += (q[r * d + c] - pc[j * d + c]) ** 2;
        return sum;
      };
      for (const r of rows[0]) {
        const kth = (ix: Int32Array) => Math.max(...Array.from(ix.subarray(r * k, r * k + k), (j) => dist(r, j)));
        const [a, b] = [kth(result.attention[0].indices), kth(ownGraph.attention[0].indices)];
        stage1Gap = Math.max(stage1Gap, Math.abs(a - b) / Math.max(b, 1e-12));
      }
    }
    return { ownGraph, pageGraph, differingRows: rows, stage1Gap };
  } finally {
    model.dispose();
    if (previous && previous !== 'wasm') await tf.setBackend(previous);
  }
}

const maxAbsDiffOf = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

function distinctColours(png: Buffer): number {
  const img = PNG.sync.read(png);
  const seen = new Set<number>();
  for (let i = 0; i < img.data.length; i += 4 * 7) seen.add((img.data[i] << 16) | (img.data[i + 1] << 8) | img.data[i + 2]);
  return seen.size;
}

/** What is wrong with a backend's record (empty: it passes). */
export function problems(r: BackendRecord): string[] {
  const out: string[] = [];
  const k = r.kernels;
  if (r.ran !== r.backend) out.push(`ran on ${r.ran}, not ${r.backend} (${r.reason})`);
  if (!(r.maxAbsDiff < 0.05)) out.push(`maxAbsDiff ${r.maxAbsDiff} ≥ 0.05 against Node's wasm result on the page's neighbour graph`);
  // The graphs may differ only at near-ties: a few rows, each a tie within float rounding.
  r.graph.differingRows.forEach((n, s) => {
    if (n > r.graph.rows / 100) out.push(`stage ${s + 1}: ${n} of ${r.graph.rows} rows have other neighbours than Node's (above 1 %)`);
  });
  if (!(r.graph.stage1Gap < 1e-3))
    out.push(`stage 1: a neighbour set differs from Node's by a relative distance gap of ${r.graph.stage1Gap} (not a near-tie)`);
  if (k.backend !== r.backend) out.push(`kernel checks ran on ${k.backend}`);
  if (k.knnIndexMismatches !== 0) out.push(`${k.knnIndexMismatches} k-NN rows differ from brute force`);
  if (!(k.knnMaxDistanceError < 1e-4)) out.push(`k-NN distance error ${k.knnMaxDistanceError}`);
  if (!(k.attentionMaxSumError < 1e-5) || !(k.attentionMinWeight >= 0))
    out.push(`attention not convex (sum error ${k.attentionMaxSumError}, min weight ${k.attentionMinWeight})`);
  if (!(k.attentionMaxOutputError < 1e-5)) out.push(`attention output error ${k.attentionMaxOutputError}`);
  if (r.inspectRows[0] !== 5 || r.inspectRows[1] !== 5) out.push(`the neighbour tables have ${r.inspectRows.join(' and ')} rows, not 5`);
  if (!(r.screenshotColours > 500)) out.push(`the screenshot looks blank (${r.screenshotColours} colours)`);
  return out;
}

/** Runs the page on one backend and measures it against Node. */
export async function checkBackend(
  browser: Browser,
  page: ServedPage,
  backend: PageBackendName,
  screenshotDir: string,
  size = 256,
): Promise<BackendRecord> {
  const tab = await browser.newPage();
  const errors: string[] = [];
  tab.on('pageerror', (e) => errors.push(String(e)));
  const log: string[] = [];
  tab.on('console', (m) => log.push(m.text()));
  try {
    await tab.setViewport({ width: 1400, height: 1000 });
    await tab.goto(`${page.url}?backend=${backend}&size=${size}&autorun=samples`, { waitUntil: 'load' });
    const ticker = process.env.TPFR_BROWSER_VERBOSE
      ? setInterval(
          () =>
            void tab
              .evaluate(() => document.getElementById('status')?.textContent)
              .then(
                (t) => console.error(`[${backend}] ${t}`),
                () => {},
              ),
          15_000,
        )
      : undefined;
    await tab
      .waitForFunction(() => ['done', 'error'].includes((window as unknown as { tpfrPage: { state: string } }).tpfrPage?.state), {
        timeout: 540_000,
        polling: 250,
      })
      .finally(() => clearInterval(ticker));
    type PageView = {
      state: string;
      error?: string;
      choice: { backend: string; reason: string };
      firstResultMs: number;
      lastRunMs: number;
      result: JobResult;
    };
    const state = await tab.evaluate(() => {
      const p = (window as unknown as { tpfrPage: PageView }).tpfrPage;
      return { state: p.state, error: p.error, choice: p.choice, firstResultMs: p.firstResultMs, lastRunMs: p.lastRunMs };
    });
    if (state.state !== 'done') {
      const status = await tab.evaluate(() => document.getElementById('status')?.textContent);
      throw new Error(
        `the page on ${backend} ended in '${state.state}': ${state.error ?? errors.join('; ')} (status: ${status}; console: ${log.slice(-8).join(' | ')})`,
      );
    }
    const result = await tab.evaluate(() => {
      const r = (window as unknown as { tpfrPage: PageView }).tpfrPage.result;
      return {
        output: Array.from(r.output),
        width: r.width,
        height: r.height,
        content: { ...r.content, data: Array.from(r.content.data) },
        exemplars: r.exemplars.map((e) => ({ ...e, data: Array.from(e.data) })),
      };
    });
    const kernels = await tab.evaluate(() => (window as unknown as { tpfrCheckKernels: () => Promise<KernelReport> }).tpfrCheckKernels());
    const inspectRows = await tab.evaluate(() => {
      (window as unknown as { tpfrInspect: (x: number, y: number) => void }).tpfrInspect(100, 90);
      return [1, 2].map((i) => document.querySelectorAll(`#stage${i} tr`).length - 1) as [number, number];
    });
    mkdirSync(screenshotDir, { recursive: true });
    const screenshot = resolve(screenshotDir, `browser-${backend}.png`);
    const png = Buffer.from(await tab.screenshot({ path: screenshot, fullPage: true }));
    const attention = await tab.evaluate(() => {
      const r = (window as unknown as { tpfrPage: PageView }).tpfrPage.result;
      return r.attention.map((a) => Array.from(a.indices));
    });
    const latent = await tab.evaluate(() => (window as unknown as { tpfrPage: PageView }).tpfrPage.result.latent);
    const pageResult = {
      content: { ...result.content, data: Uint8Array.from(result.content.data) },
      exemplars: result.exemplars.map((e) => ({ ...e, data: Uint8Array.from(e.data) })),
      attention: attention.map((ix) => ({ indices: Int32Array.from(ix), weights: new Float32Array(0) })) as JobResult['attention'],
      latent,
    };
    const ref = await nodeReference(page.modelDir, pageResult);
    const maxAbsDiff = maxAbsDiffOf(result.output, ref.pageGraph.output);
    const maxAbsDiffOwnGraph = maxAbsDiffOf(result.output, ref.ownGraph.output);
    const graph = {
      rows: latent.height * latent.width,
      differingRows: ref.differingRows.map((r) => r.length) as [number, number],
      stage1Gap: ref.stage1Gap,
    };
    // A failing comparison keeps its inputs, both outputs and the graphs, to be looked at in Node.
    if (!(maxAbsDiff < 0.05) || graph.differingRows.some((n) => n > graph.rows / 100)) {
      mkdirSync(screenshotDir, { recursive: true });
      writeFileSync(
        resolve(screenshotDir, `browser-${backend}-case.json`),
        JSON.stringify({
          content: result.content,
          exemplars: result.exemplars,
          output: result.output,
          reference: Array.from(ref.pageGraph.output),
          referenceOwnGraph: Array.from(ref.ownGraph.output),
          attention,
          differingRows: ref.differingRows,
        }),
      );
    }
    return {
      bench: 'browser',
      backend,
      ran: state.choice.backend,
      reason: state.choice.reason,
      maxAbsDiff,
      maxAbsDiffOwnGraph,
      graph,
      firstResultMs: Math.round(state.firstResultMs),
      stylizeMs: Math.round(state.lastRunMs),
      kernels,
      inspectRows,
      screenshotColours: distinctColours(png),
      screenshot,
    };
  } finally {
    await tab.close();
  }
}

async function main(): Promise<void> {
  const chromium = findChromium();
  if (!chromium) {
    console.error("browser-check: no Chromium (install Debian's: apt-get install chromium, or set TPFR_CHROMIUM)");
    process.exit(2);
  }
  const page = await servePage();
  const browser = await launchChromium(chromium);
  const out = resolve(here, '../../reports/browser');
  try {
    const only = process.env.TPFR_BROWSER_BACKENDS?.split(',');
    for (const backend of PAGE_BACKENDS.filter((b) => !only || only.includes(b))) {
      const r = await checkBackend(browser, page, backend, out, Number(process.env.TPFR_BROWSER_SIZE ?? 256));
      printLine(
        JSON.stringify({
          bench: r.bench,
          backend: r.backend,
          maxAbsDiff: r.maxAbsDiff,
          firstResultMs: r.firstResultMs,
          screenshot: r.screenshot,
          ran: r.ran,
          reason: r.reason,
          stylizeMs: r.stylizeMs,
          maxAbsDiffOwnGraph: r.maxAbsDiffOwnGraph,
          graph: r.graph,
          kernels: r.kernels,
        }),
      );
      const bad = problems(r);
      if (bad.length > 0) {
        console.error(`browser-check: ${r.backend}: ${bad.join('; ')}`);
        process.exitCode = 1;
      }
    }
    printLine(JSON.stringify(pageSize(page.dist)));
  } finally {
    await browser.close();
    await page.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(`browser-check: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
