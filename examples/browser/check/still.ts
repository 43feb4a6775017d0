/**
 * The page's stylization of the sample images (one pool) on one backend, against Node's wasm on
 * the page's neighbour graph; the kernel checks; a click inside the result; a screenshot.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TpfrModel } from '@tpfr/models';
import type { KernelReport } from '../src/checks.js';
import type { PageBackendName } from './chromium.js';
import { nodeReference, onWasm } from './reference.js';
import { distinctColours, maxAbsDiffOf, readResult, waitFor, type OpenTab, type PageView } from './tab.js';

/** One backend's figures, as `pnpm test:browser` prints them. */
export interface BackendRecord {
  bench: 'browser';
  backend: PageBackendName;
  size: number;
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
  /** From navigation start to the first result on screen (sample images). */
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

/** Rows of the two stage tables of the inspector (after a click at result pixel (x, y)). */
export async function inspectRows(t: OpenTab, x: number, y: number): Promise<[number, number]> {
  return t.tab.evaluate(
    (px: number, py: number) => {
      (window as unknown as { tpfrInspect: (x: number, y: number) => void }).tpfrInspect(px, py);
      return [1, 2].map((i) => document.querySelectorAll(`#stage${i} tr`).length - 1) as [number, number];
    },
    x,
    y,
  );
}

/**
 * The page opened with `autorun=samples` at `size`: waits for its result and measures it
 * against Node (`load` gives the page's model in Node).
 */
export async function checkStill(
  t: OpenTab,
  backend: PageBackendName,
  size: number,
  load: () => Promise<TpfrModel>,
  screenshotDir: string,
): Promise<BackendRecord> {
  await waitFor(t, { completed: 0, failed: 0, restyles: 0 }, 'completed', `the page on ${backend}`);
  const state = await t.tab.evaluate(() => {
    const p = (window as unknown as { tpfrPage: PageView }).tpfrPage;
    return { choice: p.choice, firstResultMs: p.firstResultMs, lastRunMs: p.lastRunMs };
  });
  const result = await readResult(t.tab);
  const kernels = await t.tab.evaluate(() => (window as unknown as { tpfrCheckKernels: () => Promise<KernelReport> }).tpfrCheckKernels());
  const rows = await inspectRows(t, Math.floor(result.width * 0.6), Math.floor(result.height * 0.6));
  mkdirSync(screenshotDir, { recursive: true });
  const screenshot = resolve(screenshotDir, `browser-${backend}.png`);
  const png = Buffer.from(await t.tab.screenshot({ path: screenshot, fullPage: true }));
  const ref = await onWasm(load, (model) => nodeReference(model, result));
  const maxAbsDiff = maxAbsDiffOf(result.output, ref.pageGraph.output);
  const maxAbsDiffOwnGraph = maxAbsDiffOf(result.output, ref.ownGraph.output);
  const graph = {
    rows: result.latent.height * result.latent.width,
    differingRows: ref.differingRows[0].map((r) => r.length) as [number, number],
    stage1Gap: ref.stage1Gap,
  };
  // A failing comparison keeps its inputs, both outputs and the graphs, to be looked at in Node.
  if (!(maxAbsDiff < 0.05) || graph.differingRows.some((n) => n > graph.rows / 100)) {
    writeFileSync(
      resolve(screenshotDir, `browser-${backend}-case.json`),
      JSON.stringify({
        content: { ...result.content, data: Array.from(result.content.data) },
        exemplars: result.exemplars.map((e) => ({ ...e, data: Array.from(e.data) })),
        output: Array.from(result.output),
        reference: Array.from(ref.pageGraph.output),
        referenceOwnGraph: Array.from(ref.ownGraph.output),
        graph: result.graph.styles.map((s) => s.stages.map((st) => Array.from(st.indices))),
        differingRows: ref.differingRows,
      }),
    );
  }
  return {
    bench: 'browser',
    backend,
    size,
    ran: state.choice.backend,
    reason: state.choice.reason,
    maxAbsDiff,
    maxAbsDiffOwnGraph,
    graph,
    firstResultMs: Math.round(state.firstResultMs),
    stylizeMs: Math.round(state.lastRunMs),
    kernels,
    inspectRows: rows,
    screenshotColours: distinctColours(png),
    screenshot,
  };
}
