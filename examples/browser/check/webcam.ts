/**
 * The page's live mode on one backend, with Chromium's fake camera playing the test clip: start,
 * keep a few frames from a fresh start of coherence (inputs, results, neighbour graphs) and
 * compare them with Node's live session on the same frames (the page's graphs replayed), run to
 * `frames` frames and measure the frames per second, pause, snapshot (the PNG downloaded), stop
 * (the camera released, the worker's tensor count back to where it was).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { TpfrModel } from '@tpfr/models';
import { differingRows } from '../src/graph-diff.js';
import { LiveSession } from '../src/live.js';
import type { RecordedFrame } from '../src/protocol.js';
import type { LiveState } from '../src/webcam.js';
import type { PageBackendName } from './chromium.js';
import { onWasm } from './reference.js';
import { maxAbsDiffOf, type OpenTab } from './tab.js';

/** The webcam's figures on one backend, as the tests and `pnpm bench:browser` print them. */
export interface WebcamRecord {
  bench: 'browser-webcam';
  backend: PageBackendName;
  /** The working size (the frames' shorter side). */
  size: number;
  /** Frames stylized from the start to the stop. */
  frames: number;
  /** Frames per second over the run after the kept frames (the page's clock). */
  fps: number;
  /** Largest |page − Node| (−1…1 scale) over the kept frames, Node replaying the page's graphs. */
  maxAbsDiff: number;
  /** The same against Node's own searches (coherence's hysteresis makes near-ties persist). */
  maxAbsDiffOwnGraph: number;
  /** The worker's tensors after the stop minus before the start. */
  tensorsLeaked: number;
  cameraReleased: boolean;
  /** The frames kept and compared, and the latent rows whose neighbours differ from Node's own (summed over frames, styles, stages). */
  keptFrames: number;
  differingRows: number;
  rows: number;
  /** The snapshot PNG as downloaded. */
  snapshot: { width: number; height: number; bytes: number } | null;
  /** The frame's size as stylized. */
  frame: [number, number];
  /** The last frame's milliseconds in the worker (frame in to result read back). */
  workerMs: number;
}

/** What is wrong with a webcam record (empty: it passes). */
export function webcamProblems(r: WebcamRecord, wanted: number): string[] {
  const out: string[] = [];
  if (!(r.frames >= wanted)) out.push(`${r.frames} frames came out, not ${wanted}`);
  if (!(r.maxAbsDiff < 0.05)) out.push(`the kept frames are ${r.maxAbsDiff} off Node's (≥ 0.05)`);
  if (r.tensorsLeaked !== 0) out.push(`${r.tensorsLeaked} tensors left in the worker after the stop`);
  if (!r.cameraReleased) out.push('the camera was not released at the stop');
  if (!r.snapshot || r.snapshot.width !== r.frame[0] || r.snapshot.height !== r.frame[1])
    out.push(`the snapshot is ${JSON.stringify(r.snapshot)}, not a ${r.frame.join('×')} PNG`);
  if (!(r.fps > 0)) out.push(`no frames per second (${r.fps})`);
  if (r.differingRows > (r.rows * r.keptFrames * 4) / 100)
    out.push(`${r.differingRows} rows have other neighbours than Node's own search (above 1 %)`);
  return out;
}

/** Live mode's state, its typed arrays as plain arrays (the recorded frames left out). */
async function live(t: OpenTab): Promise<LiveState> {
  const l = await t.tab.evaluate(() => {
    const x = (window as unknown as { tpfrPage: { live: LiveState } }).tpfrPage.live;
    return { ...x, recorded: undefined, exemplars: x.exemplars?.map((e) => ({ ...e, data: Array.from(e.data) })) };
  });
  return { ...l, exemplars: l.exemplars?.map((e) => ({ ...e, data: Uint8Array.from(e.data) })) };
}

async function waitLive(t: OpenTab, what: string, until: string, arg: number, timeout: number): Promise<void> {
  await t.tab.waitForFunction(
    (cond: string, n: number) => {
      const l = (window as unknown as { tpfrPage: { live: LiveState } }).tpfrPage.live;
      if (l.error) return true;
      if (cond === 'frames') return l.state === 'running' && l.frames >= n;
      return l.state === cond;
    },
    { timeout, polling: 100 },
    until,
    arg,
  );
  const l = await live(t);
  if (l.error) throw new Error(`${what}: ${l.error}`);
}

/**
 * Runs live mode at `size` for `frames` frames (keeping `keep` of them for the comparison) with
 * the sample images in one pool at strength 0.9, and measures it. `load` gives the page's model
 * in Node; the snapshot is downloaded into `downloads`.
 */
export async function checkWebcam(
  t: OpenTab,
  backend: PageBackendName,
  o: { size: number; frames: number; keep: number },
  load: () => Promise<TpfrModel>,
  downloads: string,
): Promise<WebcamRecord> {
  // A folder of the backend's own, emptied: the snapshot found there is this run's.
  rmSync(downloads, { recursive: true, force: true });
  mkdirSync(downloads, { recursive: true });
  const cdp = await t.tab.createCDPSession();
  await cdp.send('Page.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
  await t.tab.$eval('#mix-mode', (el) => {
    (el as HTMLSelectElement).value = 'pool';
    el.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await t.tab.$eval('#colour', (el) => {
    (el as HTMLSelectElement).value = '';
  });
  await t.tab.$eval('#strength', (el) => {
    (el as HTMLInputElement).value = '0.9';
  });
  await t.tab.$eval(
    '#live-size',
    (el, s) => {
      (el as HTMLSelectElement).value = String(s);
    },
    o.size,
  );
  await t.tab.click('#live-start');
  await waitLive(t, `the camera on ${backend}`, 'frames', 2, 300_000);
  // Frames kept from a fresh start of coherence, read back as plain arrays.
  const kept = await t.tab.evaluate(async (n: number) => {
    const frames = await (window as unknown as { tpfrLive: { record(n: number): Promise<RecordedFrame[]> } }).tpfrLive.record(n);
    return frames.map((f) => ({
      input: { ...f.input, data: Array.from(f.input.data) },
      output: Array.from(f.output),
      graph: f.graph.map((s) => s.map((ix) => Array.from(ix))),
      strength: f.strength,
    }));
  }, o.keep);
  const a = await t.tab.evaluate(() => ({
    frames: (window as unknown as { tpfrPage: { live: LiveState } }).tpfrPage.live.frames,
    at: performance.now(),
  }));
  await waitLive(t, `${o.frames} frames on ${backend}`, 'frames', o.frames, 540_000);
  const b = await t.tab.evaluate(() => ({
    frames: (window as unknown as { tpfrPage: { live: LiveState } }).tpfrPage.live.frames,
    at: performance.now(),
  }));
  const fps = (b.frames - a.frames) / ((b.at - a.at) / 1000);
  // Pause: no more frames come out.
  await t.tab.click('#live-pause');
  await waitLive(t, `pause on ${backend}`, 'paused', 0, 60_000);
  const paused = (await live(t)).frames;
  await new Promise((r) => setTimeout(r, 500));
  if ((await live(t)).frames > paused + 1) throw new Error(`pause on ${backend}: frames kept coming after the pause`);
  const [fw, fh] = await t.tab.evaluate(() => {
    const c = document.getElementById('live-canvas') as HTMLCanvasElement;
    return [c.width, c.height];
  });
  await t.tab.click('#live-snapshot');
  let snapshot: WebcamRecord['snapshot'] = null;
  for (let i = 0; i < 100 && !snapshot; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const file = readdirSync(downloads).find((f) => f.startsWith('tpfr-live-') && f.endsWith('.png'));
    if (file && existsSync(join(downloads, file))) {
      try {
        const bytes = readFileSync(join(downloads, file));
        const png = PNG.sync.read(bytes);
        snapshot = { width: png.width, height: png.height, bytes: bytes.length };
      } catch {
        // Still being written.
      }
    }
  }
  await t.tab.click('#live-stop');
  await waitLive(t, `stop on ${backend}`, 'off', 0, 120_000);
  const end = await live(t);
  await cdp.detach();
  // Node: the same frames through a live session of the same exemplars and controls, from a fresh start.
  const frames = kept.map((f) => ({
    ...f,
    input: { ...f.input, data: Uint8Array.from(f.input.data) },
    graph: f.graph.map((s) => s.map((ix) => Int32Array.from(ix))),
  }));
  const compared = await onWasm(load, async (model) => {
    const options = { size: o.size, controls: end.controls ?? {} };
    const [replay, own] = [
      await LiveSession.create(model, end.exemplars!, options),
      await LiveSession.create(model, end.exemplars!, options),
    ];
    try {
      let [diff, ownDiff, differing] = [0, 0, 0];
      let rows = 0;
      for (const f of frames) {
        const r = await replay.frame(f.input, { strength: f.strength, neighbours: f.graph });
        const s = await own.frame(f.input, { strength: f.strength, graph: true });
        diff = Math.max(diff, maxAbsDiffOf(r.output, f.output) / 127.5);
        ownDiff = Math.max(ownDiff, maxAbsDiffOf(s.output, f.output) / 127.5);
        const k = f.graph[0][0].length / ((f.input.height / model.widths.multiple) * (f.input.width / model.widths.multiple));
        rows = f.graph[0][0].length / k;
        f.graph.forEach((stages, si) =>
          stages.forEach((ix, st) => {
            differing += differingRows(ix, s.graph![si][st], k).length;
          }),
        );
      }
      return { diff, ownDiff, differing, rows };
    } finally {
      replay.dispose();
      own.dispose();
    }
  });
  return {
    bench: 'browser-webcam',
    backend,
    size: o.size,
    frames: end.frames,
    fps: Math.round(fps * 100) / 100,
    maxAbsDiff: compared.diff,
    maxAbsDiffOwnGraph: compared.ownDiff,
    tensorsLeaked: (end.tensorsAfter ?? Number.NaN) - (end.tensorsBefore ?? Number.NaN),
    cameraReleased: end.cameraReleased === true,
    keptFrames: frames.length,
    differingRows: compared.differing,
    rows: compared.rows,
    snapshot,
    frame: [fw, fh],
    workerMs: Math.round((end.lastFrameMs ?? Number.NaN) * 10) / 10,
  };
}
