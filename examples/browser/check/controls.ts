/**
 * The page's controls on one backend, driven as a user would: regions painted with the brush (style
 * 2 over part of the content), style weights, the content's colours kept, a strength; then the
 * strength slider moved (one decoding in the worker). Both results against Node's wasm on the
 * page's neighbour graphs, and the slider's time beside the full stylization's.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TpfrModel } from '@tpfr/models';
import type { PageBackendName } from './chromium.js';
import { nodeReference, onWasm } from './reference.js';
import { inspectRows } from './still.js';
import { counters, maxAbsDiffOf, readResult, waitFor, type OpenTab, type PageView } from './tab.js';

/** The controls' figures on one backend, as the tests and `pnpm bench:browser` print them. */
export interface ControlsRecord {
  bench: 'browser-controls';
  backend: PageBackendName;
  size: number;
  /** Largest |page − Node wasm| (−1…1 scale) of the stylization with the controls and of the restyle, on the page's graphs. */
  maxAbsDiff: number;
  /** The stylization's and the restyle's own, and against Node's own searches. */
  maxAbsDiffs: { stylize: number; restyle: number; stylizeOwnGraph: number };
  /** The slider's re-decoding in the worker, and the stylization it re-decodes (milliseconds). */
  restyleMs: number;
  stylizeMs: number;
  /** Per style, per stage: latent rows whose neighbour set differs from Node's own search. */
  differingRows: number[][];
  rows: number;
  /** Rows of the inspector's tables (k per style taking part). */
  inspectRows: [number, number];
  /** Styles whose graph the page returned, and the mix's kind. */
  styles: number;
  mix: 'regions' | 'weights' | 'pool';
}

/** The strengths the check uses: the stylization's, and the slider's move. */
const STRENGTH = 0.8;
const SLIDER = 0.3;

/** What is wrong with a controls record (empty: it passes). */
export function controlsProblems(r: ControlsRecord, k = 5): string[] {
  const out: string[] = [];
  if (!(r.maxAbsDiffs.stylize < 0.05)) out.push(`the stylization with the controls is ${r.maxAbsDiffs.stylize} off Node's (≥ 0.05)`);
  if (!(r.maxAbsDiffs.restyle < 0.05)) out.push(`the restyle at ${SLIDER} is ${r.maxAbsDiffs.restyle} off Node's (≥ 0.05)`);
  r.differingRows.forEach((stages, s) =>
    stages.forEach((n, i) => {
      if (n > r.rows / 100)
        out.push(`style ${s + 1}, stage ${i + 1}: ${n} of ${r.rows} rows have other neighbours than Node's (above 1 %)`);
    }),
  );
  if (r.styles !== 2 || r.mix !== 'regions') out.push(`expected 2 styles mixed by regions, received ${r.styles} (${r.mix})`);
  if (r.inspectRows[0] !== 2 * k || r.inspectRows[1] !== 2 * k)
    out.push(`the neighbour tables have ${r.inspectRows.join(' and ')} rows, not ${2 * k} (k per style)`);
  if (!(r.restyleMs > 0 && r.restyleMs < r.stylizeMs))
    out.push(`the restyle took ${r.restyleMs} ms, not less than the stylization's ${r.stylizeMs}`);
  return out;
}

/** Sets a form control's value and fires its events, as a user's change would. */
async function setValue(t: OpenTab, selector: string, value: string, event: 'input' | 'change' | null = 'change'): Promise<void> {
  await t.tab.$eval(
    selector,
    (el, v, ev) => {
      (el as HTMLInputElement).value = v;
      if (ev) el.dispatchEvent(new Event(ev, { bubbles: true }));
    },
    value,
    event,
  );
}

/**
 * On a page showing a result: stylizes the sample images at `size` with regions (a brush stroke of
 * style 2), weights [1, 0.6], the content's luminance and strength 0.8, moves the slider to 0.3,
 * and compares both with Node (`load` gives the page's model in Node).
 */
export async function checkControls(
  t: OpenTab,
  backend: PageBackendName,
  size: number,
  load: () => Promise<TpfrModel>,
  screenshotDir?: string,
): Promise<ControlsRecord> {
  await setValue(t, '#size', String(size));
  await setValue(t, '#mix-mode', 'regions');
  await setValue(t, '#colour', 'luminance');
  await setValue(t, '#weights label:nth-of-type(2) input', '0.6', null);
  // The slider's value without its event: it is read when the stylization starts.
  await setValue(t, '#strength', String(STRENGTH), null);
  // A stroke of style 2 across the middle of the content.
  await t.tab.click('input[name="brush"][value="1"]');
  const box = (await (await t.tab.$('#regions-canvas'))!.boundingBox())!;
  const at = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  await t.tab.mouse.move(...at(0.2, 0.3));
  await t.tab.mouse.down();
  await t.tab.mouse.move(...at(0.55, 0.7), { steps: 12 });
  await t.tab.mouse.up();
  const start = await counters(t);
  await t.tab.click('#run');
  await waitFor(t, start, 'completed', `the controls on ${backend}`);
  const result = await readResult(t.tab);
  const rows = await inspectRows(t, Math.floor(result.width * 0.4), Math.floor(result.height * 0.5));
  const before = await counters(t);
  await setValue(t, '#strength', String(SLIDER), 'input');
  await waitFor(t, before, 'restyles', `the slider on ${backend}`, 300_000);
  const after = await t.tab.evaluate(() => {
    const p = (window as unknown as { tpfrPage: PageView }).tpfrPage;
    return {
      output: Array.from(p.result.output),
      strength: p.result.controls.strength,
      restyleMs: p.lastRestyleMs!,
      stylizeMs: p.lastRunMs,
    };
  });
  if (screenshotDir) {
    mkdirSync(screenshotDir, { recursive: true });
    await t.tab.screenshot({ path: resolve(screenshotDir, `browser-${backend}-controls.png`), fullPage: true });
  }
  if (after.strength !== SLIDER) throw new Error(`the slider on ${backend}: the result is at strength ${after.strength}, not ${SLIDER}`);
  const ref = await onWasm(load, (model) => nodeReference(model, result, [SLIDER]));
  const stylize = maxAbsDiffOf(result.output, ref.pageGraph.output);
  const restyle = maxAbsDiffOf(after.output, ref.restyled.get(SLIDER)!);
  const mix = result.graph.mix;
  return {
    bench: 'browser-controls',
    backend,
    size,
    maxAbsDiff: Math.max(stylize, restyle),
    maxAbsDiffs: { stylize, restyle, stylizeOwnGraph: maxAbsDiffOf(result.output, ref.ownGraph.output) },
    restyleMs: Math.round(after.restyleMs * 10) / 10,
    stylizeMs: Math.round(after.stylizeMs),
    differingRows: ref.differingRows.map((stages) => stages.map((r) => r.length)),
    rows: result.latent.height * result.latent.width,
    inspectRows: rows,
    styles: result.graph.styles.length,
    mix: mix === null ? 'pool' : Array.isArray(mix) ? 'weights' : 'regions',
  };
}
