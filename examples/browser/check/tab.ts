/** Driving one tab of the page: open it, wait for its state, read its result back into Node. */
import { PNG } from 'pngjs';
import type { Browser, Page } from 'puppeteer-core';
import type { JobResult } from '../src/job.js';
import type { ModelInfo } from '../src/model-info.js';
import type { PageBackendName } from './chromium.js';

/** `window.tpfrPage` as the tests read it. */
export interface PageView {
  state: string;
  error?: string;
  choice: { backend: string; reason: string };
  firstResultMs: number;
  lastRunMs: number;
  lastRestyleMs?: number;
  restyles: number;
  restyling: boolean;
  completed: number;
  failed: number;
  imports: number;
  model: ModelInfo;
  result: JobResult;
}

/** An open tab, with what it logged. */
export interface OpenTab {
  tab: Page;
  errors: string[];
  log: string[];
  /** Closes the tab and its browser context (its storage: IndexedDB). */
  close(): Promise<void>;
}

/**
 * Opens the page on `backend` with the query `query` (e.g. `size=96&autorun=samples`), in a
 * browser context of its own: its storage (the model a test imports, kept in IndexedDB) is
 * neither seen by nor left to the other tabs.
 */
export async function openPage(browser: Browser, url: string, backend: PageBackendName, query: string): Promise<OpenTab> {
  const context = await browser.createBrowserContext();
  const tab = await context.newPage();
  const errors: string[] = [];
  tab.on('pageerror', (e) => errors.push(String(e)));
  const log: string[] = [];
  tab.on('console', (m) => log.push(m.text()));
  await tab.setViewport({ width: 1400, height: 1000 });
  await tab.goto(`${url}?backend=${backend}&${query}`, { waitUntil: 'load' });
  return { tab, errors, log, close: () => context.close() };
}

/** The page's counters: finished stylizations, failed requests, restyles, models imported. */
export interface Counters {
  completed: number;
  failed: number;
  restyles: number;
  imports?: number;
}

/** The page's counters now. */
export async function counters(t: OpenTab): Promise<Counters> {
  return t.tab.evaluate(() => {
    const p = (window as unknown as { tpfrPage: PageView }).tpfrPage;
    return { completed: p.completed, failed: p.failed, restyles: p.restyles, imports: p.imports };
  });
}

/**
 * Waits until the page counts one more `done` event than `before` (a stylization, or a
 * restyle) or one more failure, and throws on a failure with the page's status line, errors and
 * last console lines.
 */
export async function waitFor(
  t: OpenTab,
  before: Counters,
  done: 'completed' | 'restyles' | 'imports',
  what: string,
  timeout = 540_000,
): Promise<void> {
  const ticker = process.env.TPFR_BROWSER_VERBOSE
    ? setInterval(
        () =>
          void t.tab
            .evaluate(() => document.getElementById('status')?.textContent)
            .then(
              (s) => console.error(`[${what}] ${s}`),
              () => {},
            ),
        15_000,
      )
    : undefined;
  try {
    await t.tab.waitForFunction(
      (b: Counters, key: 'completed' | 'restyles' | 'imports') => {
        const p = (window as unknown as { tpfrPage?: PageView }).tpfrPage;
        return !!p && ((p[key] > (b[key] ?? 0) && !p.restyling) || p.failed > b.failed);
      },
      { timeout, polling: 100 },
      before,
      done,
    );
  } finally {
    clearInterval(ticker);
  }
  const now = await counters(t);
  if (now.failed > before.failed) {
    const detail = await t.tab.evaluate(() => ({
      status: document.getElementById('status')?.textContent,
      error: (window as unknown as { tpfrPage: PageView }).tpfrPage.error,
    }));
    throw new Error(`${what}: ${detail.error ?? t.errors.join('; ')} (status: ${detail.status}; console: ${t.log.slice(-8).join(' | ')})`);
  }
}

/** The page's last result, its typed arrays rebuilt. */
export async function readResult(tab: Page): Promise<JobResult> {
  const r = await tab.evaluate(() => {
    const x = (window as unknown as { tpfrPage: PageView }).tpfrPage.result;
    const mix = x.graph.mix;
    return {
      ...x,
      output: Array.from(x.output),
      content: { ...x.content, data: Array.from(x.content.data) },
      exemplars: x.exemplars.map((e) => ({ ...e, data: Array.from(e.data) })),
      masks: x.masks?.map((m) => ({ ...m, data: Array.from(m.data) })),
      graph: {
        styles: x.graph.styles.map((s) => ({
          ...s,
          stages: s.stages.map((st) => ({ indices: Array.from(st.indices), weights: Array.from(st.weights) })),
        })),
        mix: mix === null || Array.isArray(mix) ? mix : { styles: mix.styles, data: Array.from(mix.data) },
      },
    };
  });
  const mix = r.graph.mix;
  return {
    ...r,
    output: Float32Array.from(r.output),
    content: { ...r.content, data: Uint8Array.from(r.content.data) },
    exemplars: r.exemplars.map((e) => ({ ...e, data: Uint8Array.from(e.data) })),
    ...(r.masks ? { masks: r.masks.map((m) => ({ ...m, data: Uint8Array.from(m.data) })) } : {}),
    graph: {
      styles: r.graph.styles.map((s) => ({
        ...s,
        stages: s.stages.map((st) => ({ indices: Int32Array.from(st.indices), weights: Float32Array.from(st.weights) })),
      })),
      mix: mix === null || Array.isArray(mix) ? mix : { styles: mix.styles, data: Float32Array.from(mix.data) },
    },
  };
}

/** The largest |a − b| (Infinity for arrays of different lengths). */
export function maxAbsDiffOf(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Distinct colours in a PNG (sampled): a blank page has a handful. */
export function distinctColours(png: Buffer): number {
  const img = PNG.sync.read(png);
  const seen = new Set<number>();
  for (let i = 0; i < img.data.length; i += 4 * 7) seen.add((img.data[i] << 16) | (img.data[i + 1] << 8) | img.data[i + 2]);
  return seen.size;
}
