/**
 * The page in real Chromium (Debian's, headless, SwiftShader's CPU WebGPU and WebGL 2), on each
 * backend in one tab: one stylization equal to Node's wasm result on the page's neighbour graph
 * (Node's own graph differing at a few near-ties at most), the kernel checks, the look inside
 * the method, a screenshot that is not blank; then the controls (regions painted with the brush,
 * weights, colour, strength, and the strength slider's re-decoding) equal to Node's. Skipped only
 * when no Chromium is installed, with how to install it; required where TPFR_REQUIRE_BROWSER=1
 * (CI's `.ci/run` sets it and installs `chromium`). `pnpm test:browser` runs these alone and
 * prints the JSON lines.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '@tpfr/models/node';
import {
  checkControls,
  checkStill,
  controlsLine,
  controlsProblems,
  findChromium,
  launchChromium,
  openPage,
  PAGE_BACKENDS,
  pageSize,
  problems,
  servePage,
  stillLine,
  type OpenTab,
  type PageBackendName,
  type ServedPage,
} from './browser-check.js';

const chromium = findChromium();
const required = process.env.TPFR_REQUIRE_BROWSER === '1';
const reports = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../reports/browser');
/**
 * Sizes that keep the suite short: SwiftShader runs the GPU backends on the CPU (a 128²
 * stylization takes tens of seconds on WebGPU there). `pnpm bench:browser` measures 256².
 */
const STILL_SIZE: Record<PageBackendName, number> = { webgpu: 96, webgl: 96, wasm: 128 };
const CONTROLS_SIZE = 64;

if (!chromium) {
  const message = "[browser] no Chromium: install Debian's (apt-get install chromium) or set TPFR_CHROMIUM to run the page's tests";
  if (required) {
    it('finds Chromium (TPFR_REQUIRE_BROWSER=1)', () => {
      throw new Error(message);
    });
  } else {
    console.warn(message);
    it.skip(message, () => {});
  }
} else {
  describe('the stylization page in Chromium', () => {
    let page: ServedPage;
    let browser: Browser;
    beforeAll(async () => {
      page = await servePage();
      browser = await launchChromium(chromium);
    }, 600_000);
    afterAll(async () => {
      await browser?.close();
      await page?.close();
    });
    const load = () => loadModel(page.modelDir);

    // TPFR_BROWSER_BACKENDS=wasm,webgl runs some (while working on the page).
    const only = process.env.TPFR_BROWSER_BACKENDS?.split(',');
    for (const backend of PAGE_BACKENDS.filter((b) => !only || only.includes(b))) {
      describe(`on ${backend}`, () => {
        let t: OpenTab | undefined;
        afterAll(async () => {
          await t?.tab.close();
        });

        it(`runs on ${backend} (no fallback), equal to Node's wasm result on its neighbour graph within 0.05 (the graphs differing only at near-ties), with exact k-NN and convex attention`, async () => {
          t = await openPage(browser, page.url, backend, `size=${STILL_SIZE[backend]}&autorun=samples`);
          const r = await checkStill(t, backend, STILL_SIZE[backend], load, reports);
          console.log(JSON.stringify(stillLine(r)));
          expect(r.ran).toBe(backend);
          expect(problems(r)).toEqual([]);
        }, 600_000);

        it(`steers on ${backend}: regions painted with the brush, weights, colour and strength, and the slider's re-decoding, equal to Node's within 0.05`, async () => {
          if (!t) throw new Error('the page did not open (see the test before)');
          const r = await checkControls(t, backend, CONTROLS_SIZE, load, reports);
          console.log(JSON.stringify(controlsLine(r)));
          expect(controlsProblems(r)).toEqual([]);
        }, 600_000);
      });
    }

    it('ships the GPU backends as chunks loaded on demand', () => {
      const size = pageSize(page.dist);
      console.log(JSON.stringify(size));
      expect(Object.keys(size.lazyChunksGzipBytes).length).toBeGreaterThanOrEqual(2);
      expect(size.jsGzipBytes).toBeLessThan(600_000);
    });
  });
}
