/**
 * The page in real Chromium (Debian's, headless, SwiftShader's CPU WebGPU and WebGL 2): one
 * stylization per backend equal to Node's wasm result on the page's neighbour graph (Node's own
 * graph differing at a few near-ties at most), the kernel checks, the look inside the
 * method, a screenshot that is not blank. Skipped only when no Chromium is installed, with how
 * to install it; required where TPFR_REQUIRE_BROWSER=1 (CI's `.ci/run` sets it and installs
 * `chromium`). `pnpm test:browser` runs these alone and prints the JSON lines.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkBackend,
  findChromium,
  launchChromium,
  PAGE_BACKENDS,
  pageSize,
  problems,
  servePage,
  type ServedPage,
} from './browser-check.js';

const chromium = findChromium();
const required = process.env.TPFR_REQUIRE_BROWSER === '1';
const reports = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../reports/browser');

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

    for (const backend of PAGE_BACKENDS) {
      it(`runs on ${backend} (no fallback), equal to Node's wasm result on its neighbour graph within 0.05 (the graphs differing only at near-ties), with exact k-NN and convex attention`, async () => {
        // 128² keeps the suite short (SwiftShader runs the GPU backends on the CPU); `pnpm bench:browser` measures 256².
        const r = await checkBackend(browser, page, backend, reports, 128);
        console.log(
          JSON.stringify({
            bench: r.bench,
            backend: r.backend,
            maxAbsDiff: r.maxAbsDiff,
            firstResultMs: r.firstResultMs,
            screenshot: r.screenshot,
            maxAbsDiffOwnGraph: r.maxAbsDiffOwnGraph,
            graph: r.graph,
          }),
        );
        expect(r.ran).toBe(backend);
        expect(problems(r)).toEqual([]);
      }, 600_000);
    }

    it('ships the GPU backends as chunks loaded on demand', () => {
      const size = pageSize(page.dist);
      console.log(JSON.stringify(size));
      expect(Object.keys(size.lazyChunksGzipBytes).length).toBeGreaterThanOrEqual(2);
      expect(size.jsGzipBytes).toBeLessThan(600_000);
    });
  });
}
