/**
 * Builds the page, serves it on 127.0.0.1 and drives Debian's Chromium (headless, SwiftShader's
 * CPU WebGPU and WebGL 2) through it, once per backend, in one tab:
 *
 * - `browser`: a stylization of the sample images, compared with the same images stylized in Node
 *   on wasm on the page's neighbour graph; the kernel checks (k-NN against brute force, attention
 *   convex); a click inside the result (the neighbours tables); a screenshot (check/still.ts);
 * - `browser-controls`: regions painted with the brush, style weights, colour kept and a strength,
 *   then the strength slider moved (one decoding), both against Node (check/controls.ts).
 *
 * `pnpm bench:browser` runs this file at 256² (`TPFR_BROWSER_SIZE`; the controls at 256² on wasm
 * and 96² on the GPU backends, `TPFR_BROWSER_CONTROLS_SIZE`; `TPFR_BROWSER_BACKENDS=webgl,wasm`
 * for some) and prints one JSON line per backend and check, and one for the page's size; it exits
 * 1 when a check fails. `pnpm test:browser` runs the tests (small sizes). No browser is
 * downloaded: set TPFR_CHROMIUM or install Debian's `chromium`.
 * `--record [FILE]` (and `--source TEXT`) also appends each JSON line to `docs/benchmarks/results.jsonl`
 * (or FILE) with the date, the machine, the command and the source (examples/bench/record.ts); stdout is unchanged.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
// The workspace's test helpers, by path: this file also runs outside vitest (pnpm bench:browser).
import { makeTestClip, writeY4m } from '../../packages/testing/src/clip.ts';
import { torchFixturesDir } from '../../packages/testing/src/torch-fixtures.ts';
import { fileURLToPath } from 'node:url';
import { loadModel } from '@tpfr/models/node';
import { printLine } from '../bench/record.ts';
import { fakeCameraFlags, findChromium, launchChromium, PAGE_BACKENDS, type PageBackendName } from './check/chromium.js';
import { checkControls, controlsProblems, type ControlsRecord } from './check/controls.js';
import { pageSize, servePage } from './check/serve.js';
import { checkStill, problems, type BackendRecord } from './check/still.js';
import { openPage } from './check/tab.js';
import { checkWebcam, webcamProblems, type WebcamRecord } from './check/webcam.js';
import {
  checkImport,
  checkLargeImport,
  importProblems,
  spoiledCheckpoints,
  writeSyntheticCheckpoint,
  type ImportRecord,
} from './check/import.js';

export { CHROMIUM_FLAGS, fakeCameraFlags, findChromium, launchChromium, PAGE_BACKENDS } from './check/chromium.js';
export type { PageBackendName } from './check/chromium.js';
export { checkControls, controlsProblems, type ControlsRecord } from './check/controls.js';
export { nodeReference, onWasm, type NodeReference } from './check/reference.js';
export { pageSize, servePage, type ServedPage, type SizeRecord } from './check/serve.js';
export { checkStill, problems, type BackendRecord } from './check/still.js';
export { openPage, waitFor, type OpenTab } from './check/tab.js';
export { checkWebcam, webcamProblems, type WebcamRecord } from './check/webcam.js';
export {
  checkImport,
  checkLargeImport,
  importProblems,
  spoiledCheckpoints,
  writeSyntheticCheckpoint,
  type ImportRecord,
} from './check/import.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The fake camera's clip: the project's test clip (`makeTestClip` of `@tpfr/testing/clip`: a disc
 * moving over a still scene, then a slow pan, with seeded sensor noise), 192 × 192, 48 frames at 30
 * frames per second, written as Y4M (Chromium loops it).
 */
export const CLIP = { size: 192, frames: 48, fps: 30, seed: 7 };

/** Writes {@link CLIP} to `path` (`.y4m`). */
export function writeClip(path: string): void {
  const clip = makeTestClip({ size: CLIP.size, frames: CLIP.frames, seed: CLIP.seed });
  writeY4m(path, clip.frames, clip.width, clip.height, CLIP.fps);
}

/** The JSON line of a backend's still check (what the tests and the benchmark print). */
export function stillLine(r: BackendRecord): Record<string, unknown> {
  return {
    bench: r.bench,
    backend: r.backend,
    size: r.size,
    maxAbsDiff: r.maxAbsDiff,
    firstResultMs: r.firstResultMs,
    screenshot: r.screenshot,
    ran: r.ran,
    reason: r.reason,
    stylizeMs: r.stylizeMs,
    maxAbsDiffOwnGraph: r.maxAbsDiffOwnGraph,
    graph: r.graph,
    kernels: r.kernels,
  };
}

/** The JSON line of a backend's webcam check. */
export function webcamLine(r: WebcamRecord): Record<string, unknown> {
  return {
    bench: r.bench,
    backend: r.backend,
    size: r.size,
    frames: r.frames,
    fps: r.fps,
    maxAbsDiff: r.maxAbsDiff,
    tensorsLeaked: r.tensorsLeaked,
    maxAbsDiffOwnGraph: r.maxAbsDiffOwnGraph,
    keptFrames: r.keptFrames,
    frame: r.frame,
    workerMs: r.workerMs,
  };
}

/** The JSON line of a backend's import check. */
export function importLine(r: ImportRecord): Record<string, unknown> {
  return {
    bench: r.bench,
    backend: r.backend,
    file: r.file,
    maxAbsDiff: Number.isNaN(r.maxAbsDiff) ? null : r.maxAbsDiff,
    importMs: r.importMs,
    peakBytes: r.peakBytes,
    copies: r.copies,
    fileBytes: r.fileBytes,
    weightBytes: r.weightBytes,
    ngf: r.ngf,
    parameters: r.parameters,
    ...(r.jsHeapBytes !== undefined ? { jsHeapBytes: r.jsHeapBytes } : {}),
  };
}

/** The fixture checkpoint each backend imports: both formats are covered. */
export const IMPORT_FILE: Record<PageBackendName, string> = {
  webgpu: 'g8_seed0_zip.pth',
  webgl: 'g8_seed0_legacy.pth',
  wasm: 'g8_seed0_zip.pth',
};

/** The JSON line of a backend's controls check. */
export function controlsLine(r: ControlsRecord): Record<string, unknown> {
  return {
    bench: r.bench,
    backend: r.backend,
    size: r.size,
    maxAbsDiff: r.maxAbsDiff,
    restyleMs: r.restyleMs,
    stylizeMs: r.stylizeMs,
    maxAbsDiffs: r.maxAbsDiffs,
    differingRows: r.differingRows,
  };
}

async function main(): Promise<void> {
  const chromium = findChromium();
  if (!chromium) {
    console.error("browser-check: no Chromium (install Debian's: apt-get install chromium, or set TPFR_CHROMIUM)");
    process.exit(2);
  }
  const page = await servePage();
  const clip = join(page.dist, '..', 'clip.y4m');
  writeClip(clip);
  const browser = await launchChromium(chromium, fakeCameraFlags(clip));
  // The authors' checkpoints of the fixtures (skipped without them, with a message); a paper-size one written here.
  const fixturesDir = torchFixturesDir();
  const fixtures = existsSync(join(fixturesDir, IMPORT_FILE.webgl)) ? fixturesDir : null;
  if (!fixtures)
    console.error(`browser-check: no torch-generator fixtures in ${fixturesDir} (set TPFR_TORCH_FIXTURES): the import checks are skipped`);
  const spoiled = fixtures ? spoiledCheckpoints(join(fixtures, 'g8_seed0_legacy.pth'), join(page.dist, '..')) : null;
  const paper = fixtures ? join(page.dist, '..', 'paper_ngf64_synthetic_net_G.pth') : null;
  if (paper) writeSyntheticCheckpoint(paper, 64);
  const out = resolve(here, '../../reports/browser');
  const load = () => loadModel(page.modelDir);
  const size = Number(process.env.TPFR_BROWSER_SIZE ?? 256);
  const webcamSize = (b: PageBackendName) => Number(process.env.TPFR_BROWSER_WEBCAM_SIZE ?? (b === 'wasm' ? 128 : 32));
  const controlsSize = (b: PageBackendName) => Number(process.env.TPFR_BROWSER_CONTROLS_SIZE ?? (b === 'wasm' ? 256 : 96));
  const fail = (backend: string, bad: string[]) => {
    if (bad.length === 0) return;
    console.error(`browser-check: ${backend}: ${bad.join('; ')}`);
    process.exitCode = 1;
  };
  try {
    const only = process.env.TPFR_BROWSER_BACKENDS?.split(',');
    for (const backend of PAGE_BACKENDS.filter((b) => !only || only.includes(b))) {
      const t = await openPage(browser, page.url, backend, `size=${size}&autorun=samples`);
      try {
        const r = await checkStill(t, backend, size, load, out);
        printLine(JSON.stringify(stillLine(r)));
        fail(backend, problems(r));
        const c = await checkControls(t, backend, controlsSize(backend), load, out);
        printLine(JSON.stringify(controlsLine(c)));
        fail(`${backend} (controls)`, controlsProblems(c));
        const w = await checkWebcam(
          t,
          backend,
          { size: webcamSize(backend), frames: 200, keep: 4 },
          load,
          join(page.dist, '..', 'downloads', backend),
        );
        printLine(JSON.stringify(webcamLine(w)));
        fail(`${backend} (webcam)`, webcamProblems(w, 200));
        if (fixtures) {
          const i = await checkImport(
            t,
            backend,
            join(fixtures, IMPORT_FILE[backend]),
            spoiled!,
            64,
            ['model.json', 'weights.bin', 'tpfr-model.json'].map((f) => join(page.modelDir, f)),
            backend === 'wasm',
          );
          printLine(JSON.stringify(importLine(i)));
          fail(`${backend} (import)`, importProblems(i));
          if (backend === 'wasm') {
            const large = await checkLargeImport(t, backend, paper!);
            printLine(JSON.stringify(importLine(large)));
            if (!(large.copies <= 3.2)) fail(`${backend} (import, paper size)`, [`${large.copies} copies of the weights held at once`]);
          }
        }
      } finally {
        await t.close();
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
