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
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '@tpfr/models/node';
import { fixturesPresent } from '@tpfr/testing';
import { torchFixturesDir } from '@tpfr/testing/torch-fixtures';
import {
  checkImport,
  checkLargeImport,
  IMPORT_FILE,
  importLine,
  importProblems,
  spoiledCheckpoints,
  writeSyntheticCheckpoint,
  checkControls,
  checkStill,
  checkWebcam,
  controlsLine,
  controlsProblems,
  fakeCameraFlags,
  findChromium,
  launchChromium,
  openPage,
  PAGE_BACKENDS,
  pageSize,
  problems,
  servePage,
  stillLine,
  webcamLine,
  webcamProblems,
  waitFor,
  writeClip,
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
const STILL_SIZE: Record<PageBackendName, number> = { webgpu: 64, webgl: 64, wasm: 128 };
const CONTROLS_SIZE = 64;
/** The webcam's working size: the fps target's 128² on wasm, the smallest the network takes on the GPU backends. */
const WEBCAM_SIZE: Record<PageBackendName, number> = { webgpu: 32, webgl: 32, wasm: 128 };
const WEBCAM_FRAMES = 200;
/** The authors' generator checkpoints of the fixtures (both formats): skipped without them, failing where TPFR_REQUIRE_FIXTURES=1. */
const FIXTURES = torchFixturesDir();
const HAVE_FIXTURES = fixturesPresent(
  ['g8_seed0_zip.pth', 'g8_seed0_legacy.pth'].every((f) => existsSync(join(FIXTURES, f))),
  `[browser] the page's import checks need the torch-generator fixtures (g8_seed0_legacy.pth, g8_seed0_zip.pth) in ${FIXTURES} (set TPFR_TORCH_FIXTURES)`,
);

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
    let spoiled: { truncated: string; hostile: string };
    let paper: string;
    beforeAll(async () => {
      page = await servePage();
      // The fake camera plays the test clip, written here (Chromium loops it).
      const clip = join(page.dist, '..', 'clip.y4m');
      writeClip(clip);
      browser = await launchChromium(chromium, fakeCameraFlags(clip));
      if (HAVE_FIXTURES) {
        spoiled = spoiledCheckpoints(join(FIXTURES, 'g8_seed0_legacy.pth'), join(page.dist, '..'));
        // The paper's size (ngf 64, about 98 MiB), written by the project's own torch writer: the memory figure.
        paper = join(page.dist, '..', 'paper_ngf64_synthetic_net_G.pth');
        writeSyntheticCheckpoint(paper, 64);
      }
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
          await t?.close();
        });
        /** The tab the first test opened, or (running a test alone, with -t) one showing the samples' result. */
        const opened = async (): Promise<OpenTab> => {
          if (t) return t;
          t = await openPage(browser, page.url, backend, `size=${CONTROLS_SIZE}&autorun=samples`);
          await waitFor(t, { completed: 0, failed: 0, restyles: 0 }, 'completed', `the page on ${backend}`);
          return t;
        };

        it(`runs on ${backend} (no fallback), equal to Node's wasm result on its neighbour graph within 0.05 (the graphs differing only at near-ties), with exact k-NN and convex attention`, async () => {
          t = await openPage(browser, page.url, backend, `size=${STILL_SIZE[backend]}&autorun=samples`);
          const r = await checkStill(t, backend, STILL_SIZE[backend], load, reports);
          console.log(JSON.stringify(stillLine(r)));
          expect(r.ran).toBe(backend);
          expect(problems(r)).toEqual([]);
        }, 600_000);

        it(`steers on ${backend}: regions painted with the brush, weights, colour and strength, and the slider's re-decoding, equal to Node's within 0.05`, async () => {
          const r = await checkControls(await opened(), backend, CONTROLS_SIZE, load, reports);
          console.log(JSON.stringify(controlsLine(r)));
          expect(controlsProblems(r)).toEqual([]);
        }, 600_000);

        it(`runs the webcam on ${backend} (a fake camera playing the test clip): ${WEBCAM_FRAMES} frames equal to Node's live session within 0.05, pause, snapshot, and a stop that releases the camera and every tensor`, async () => {
          const size = WEBCAM_SIZE[backend];
          const r = await checkWebcam(
            await opened(),
            backend,
            { size, frames: WEBCAM_FRAMES, keep: 4 },
            load,
            join(page.dist, '..', 'downloads', backend),
          );
          console.log(JSON.stringify(webcamLine(r)));
          expect(webcamProblems(r, WEBCAM_FRAMES)).toEqual([]);
        }, 600_000);

        it.skipIf(!HAVE_FIXTURES)(
          `imports the authors' checkpoint (${IMPORT_FILE[backend]}) on ${backend}: equal to Node's stylization with the same file within 0.05, truncated and hostile files refused with the model kept, forgotten on request${backend === 'wasm' ? '; kept in IndexedDB for the next visit, and a saved model folder loaded' : ''}`,
          async () => {
            const r = await checkImport(
              await opened(),
              backend,
              join(FIXTURES, IMPORT_FILE[backend]),
              spoiled,
              CONTROLS_SIZE,
              ['model.json', 'weights.bin', 'tpfr-model.json'].map((f) => join(page.modelDir, f)),
              backend === 'wasm',
            );
            console.log(JSON.stringify(importLine(r)));
            expect(importProblems(r)).toEqual([]);
            if (backend === 'wasm') {
              const large = await checkLargeImport(await opened(), backend, paper);
              console.log(JSON.stringify(importLine(large)));
              expect(large.copies).toBeLessThanOrEqual(3.2);
              expect(large.forgotten).toBe(true);
            }
          },
          600_000,
        );
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
