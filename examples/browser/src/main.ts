/**
 * The stylization page: pick a content photo and style images, choose the backend and working
 * size, steer (strength, how styles combine, weights, regions painted over the content, colours),
 * stylize in a worker with progress and cancel, move the strength slider to re-decode, download
 * the result, click it to see each stage's neighbours and weights. URL parameters:
 * `?backend=webgpu|webgl|wasm` (default: the best available), `size=256`, `autorun=samples`
 * (stylize the sample images once ready), `model=URL` of a model folder (default `./model/`).
 */
import type { BackendChoice } from '@tpfr/core';
import type { KernelReport } from './checks.js';
import { ControlPanel } from './controls.js';
import { decodeFile, drawPixels, sampleImages, toBytes } from './images.js';
import { showNeighbours } from './inspect.js';
import type { JobResult } from './job.js';
import { RegionPainter } from './painter.js';
import { styleColour } from './palette.js';
import { LiveView, type LiveState } from './webcam.js';
import type { Pixels } from './pixels.js';
import type { ModelInfo } from './model-info.js';
import { ModelPanel } from './model-panel.js';
import type { FromWorker, PageBackend, ToWorker } from './protocol.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const modelUrl = new URL(params.get('model') ?? './model/', location.href).href;

/** What the tests (and a curious user, from the console) can read. */
interface PageState {
  state: 'loading' | 'ready' | 'running' | 'done' | 'error' | 'cancelled';
  choice?: BackendChoice;
  /** The model that runs. */
  model?: ModelInfo;
  /** Models given and imported (the tests wait on it). */
  imports: number;
  error?: string;
  /** The last stylization; after a restyle, its `output` and `controls.strength` are the restyled ones. */
  result?: JobResult;
  /** Milliseconds from navigation start to the first result on screen. */
  firstResultMs?: number;
  /** Milliseconds of the last stylization in the worker. */
  lastRunMs?: number;
  /** Milliseconds of the last restyle in the worker (one decoding), and how many ran. */
  lastRestyleMs?: number;
  restyles: number;
  /** Whether a restyle is on its way (the slider's latest value waits for it). */
  restyling: boolean;
  /** Stylizations finished, and requests that failed (their message in `error`): the tests wait on these. */
  completed: number;
  failed: number;
  /** Live mode (the camera). */
  live?: LiveState;
  /** The network's multiple (the sides of what it stylizes). */
  multiple?: number;
}
const page: PageState = { state: 'loading', restyles: 0, restyling: false, completed: 0, failed: 0, imports: 0 };
(window as unknown as { tpfrPage: PageState }).tpfrPage = page;

const inputs: { content?: Pixels; styles: Pixels[] } = { styles: [] };
let worker: Worker | undefined;
let nextId = 1;
let exemplarBases: Pixels[] = [];
/** The slider's value waiting for the restyle in flight. */
let pendingStrength: number | null = null;

const setState = (s: PageState['state'], status?: string) => {
  page.state = s;
  document.body.dataset.state = s;
  if (status !== undefined) $('status').textContent = status;
  ($('run') as HTMLButtonElement).disabled =
    !(s === 'ready' || s === 'done' || s === 'cancelled') || !inputs.content || inputs.styles.length === 0;
  ($('cancel') as HTMLButtonElement).disabled = s !== 'running';
};

const painter = new RegionPainter($('regions-canvas'), $('painter-tools'), (m) => {
  $('regions-info').textContent = m;
});
const controls = new ControlPanel($('steer'), {
  strength: (s) => {
    // Live frames take the slider's value as they come; a still result is decoded again.
    if (liveView.live.state === 'off') restyle(s);
  },
  mode: (m) => {
    $('regions-canvas').hidden = m !== 'regions';
    $('painter-tools').hidden = m !== 'regions';
  },
});

/** Requests waiting for their answer (live mode), by id. */
const pending = new Map<number, { resolve: (m: FromWorker) => void; reject: (e: Error) => void }>();

/** Sends a request to the worker and resolves with its answer (rejects with its error). */
function send(m: Extract<ToWorker, { id: number }>, transfer: Transferable[] = []): Promise<FromWorker> {
  return new Promise((resolve, reject) => {
    pending.set(m.id, { resolve, reject });
    post(m, transfer);
  });
}

const liveView = new LiveView(
  {
    video: $('live-video'),
    canvas: $('live-canvas'),
    size: $('live-size'),
    start: $('live-start'),
    pause: $('live-pause'),
    snapshot: $('live-snapshot'),
    stop: $('live-stop'),
    fps: $('live-fps'),
  },
  {
    send,
    inputs: () => {
      if (inputs.styles.length === 0)
        return { error: 'expected style images for live mode (pick some, or use the sample images), received none' };
      if (page.state === 'loading' || page.state === 'error' || page.multiple === undefined)
        return { error: `expected a ready model for live mode, received a page that is ${page.state}` };
      const read = controls.read();
      if ('error' in read) return read;
      return { styles: inputs.styles, controls: read.controls, multiple: page.multiple };
    },
    strength: () => controls.strengthValue,
    say: (m) => {
      $('live-status').textContent = m;
    },
  },
);
page.live = liveView.live;

const modelPanel = new ModelPanel(
  { drop: $('model-drop'), input: $('model-files'), forget: $('model-forget'), info: $('model-info'), status: $('model-status') },
  {
    send: (m) => send(m),
    nextId: () => nextId++,
    busy: () =>
      liveView.live.state !== 'off'
        ? 'expected the camera stopped before changing the model, received a camera running (press Stop)'
        : page.state === 'running' || page.state === 'loading'
          ? `expected the page idle before changing the model, received it ${page.state}`
          : null,
    changed: (info) => {
      page.model = info;
      page.imports++;
      // The result on screen came from the previous model: the slider no longer re-decodes it.
      page.result = undefined;
      $('restyle-info').textContent = 'A new model runs: press Stylize for a result of it.';
    },
    refused: (message) => refuse(message, true),
  },
);
(window as unknown as { tpfrLive: LiveView }).tpfrLive = liveView;

function startWorker(): void {
  for (const p of pending.values()) p.reject(new Error('the worker was restarted'));
  pending.clear();
  liveView.abandon();
  worker?.terminate();
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
  worker.onerror = (e) => fail(e.message || 'the worker failed to start');
  page.result = undefined;
  page.restyling = false;
  pendingStrength = null;
  const backend = ($('backend') as HTMLSelectElement).value as PageBackend;
  setState('loading', `Setting up ${backend === 'auto' ? 'the best backend' : backend} and loading the model…`);
  post({ type: 'init', backend, modelUrl });
}

const post = (m: ToWorker, transfer: Transferable[] = []) => worker!.postMessage(m, transfer);

/** The worker cannot go on (its backend or model did not load): only a new backend choice helps. */
function fail(message: string): void {
  page.error = message;
  page.restyling = false;
  page.failed++;
  setState('error', `Error: ${message}`);
}

/**
 * A request failed or an input does not fit: said in the status line (unless `said` elsewhere,
 * as the model panel does), and the page goes on as before.
 */
function refuse(message: string, said = false): void {
  page.error = message;
  page.restyling = false;
  pendingStrength = null;
  page.failed++;
  const state = page.state === 'running' || page.state === 'loading' ? (page.result ? 'done' : 'ready') : page.state;
  setState(state, said ? undefined : `Error: ${message}`);
}

function onMessage(m: FromWorker): void {
  const waiting = 'id' in m && m.id !== undefined ? pending.get(m.id) : undefined;
  if (waiting && 'id' in m && m.id !== undefined) {
    pending.delete(m.id);
    if (m.type === 'error') waiting.reject(new Error(m.message));
    else waiting.resolve(m);
    return;
  }
  switch (m.type) {
    case 'ready': {
      page.choice = m.choice;
      page.model = m.model;
      page.multiple = m.multiple;
      const skipped = m.choice.attempts.filter((a) => !a.ok).map((a) => `${a.backend} (${a.reason})`);
      $('backend-info').textContent =
        `Running on ${m.choice.backend}: ${m.choice.reason}.${skipped.length && !m.choice.reason.includes('skipped') ? ` Not available: ${skipped.join('; ')}.` : ''}`;
      modelPanel.show(m.model, m.note);
      setState('ready', `Ready (the backend and the model in ${Math.round(m.loadMs)} ms).`);
      if (params.get('autorun') === 'samples' && page.firstResultMs === undefined) useSamples(true);
      break;
    }
    case 'progress':
      ($('progress') as HTMLProgressElement).max = m.steps;
      ($('progress') as HTMLProgressElement).value = m.step;
      $('status').textContent = `${m.step + 1}/${m.steps}: ${m.name}…`;
      break;
    case 'result':
      ($('progress') as HTMLProgressElement).value = ($('progress') as HTMLProgressElement).max;
      showResult(m.result);
      page.lastRunMs = m.totalMs;
      page.firstResultMs ??= performance.now();
      page.completed++;
      setState(
        'done',
        `Done in ${Math.round(m.totalMs)} ms on ${page.choice?.backend}. Click the result to look inside; move the strength slider to re-decode.`,
      );
      break;
    case 'restyled':
      onRestyled(m.strength, m.output, m.ms);
      break;
    case 'checked':
      checks.get(m.id)?.(m.report);
      checks.delete(m.id);
      break;
    case 'error':
      // Without a request id the worker itself failed (setting up the backend or the model).
      if (m.id === undefined) fail(m.message);
      else refuse(m.message);
      break;
  }
}

function showResult(result: JobResult): void {
  page.result = result;
  exemplarBases = result.exemplars;
  drawExemplars();
  drawResult();
  $('scale').textContent = $('scale2').textContent = String(result.latent.scale);
}

/** Draws the result on screen and refreshes its download link. */
function drawResult(): void {
  const result = page.result!;
  const canvas = $<HTMLCanvasElement>('result-canvas');
  drawPixels(canvas, toBytes(result.output, result.width, result.height));
  const link = $<HTMLAnchorElement>('download');
  canvas.toBlob((blob) => {
    if (!blob) return;
    if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(blob);
    link.hidden = false;
  }, 'image/png');
}

/** The slider moved: the result on screen is decoded again at `strength` (one in flight; the latest value waits). */
function restyle(strength: number): void {
  if (!page.result || page.state !== 'done') return;
  if (page.restyling) {
    pendingStrength = strength;
    return;
  }
  page.restyling = true;
  post({ type: 'restyle', id: nextId++, strength });
}

function onRestyled(strength: number, output: Float32Array, ms: number): void {
  page.restyling = false;
  const result = page.result;
  if (!result) return;
  result.output = output;
  result.controls = { ...result.controls, strength };
  page.lastRestyleMs = ms;
  page.restyles++;
  drawResult();
  $('restyle-info').textContent =
    `Strength ${strength.toFixed(2)}: decoded again in ${Math.round(ms)} ms (no encoding, no search; the stylization took ${Math.round(page.lastRunMs ?? 0)} ms).`;
  if (pendingStrength !== null) {
    const next = pendingStrength;
    pendingStrength = null;
    if (next !== strength) restyle(next);
  }
}

function drawExemplars(): void {
  const box = $('exemplars');
  while (box.children.length < exemplarBases.length) {
    const fig = document.createElement('figure');
    fig.innerHTML = `<canvas width="1" height="1"></canvas><figcaption></figcaption>`;
    box.appendChild(fig);
  }
  while (box.children.length > exemplarBases.length) box.lastElementChild!.remove();
  exemplarBases.forEach((p, i) => {
    drawPixels(box.children[i].querySelector('canvas')!, p);
    box.children[i].querySelector('figcaption')!.innerHTML =
      `<span class="swatch" style="background:${styleColour(i)}"></span>style ${i + 1}`;
  });
}

function run(): void {
  if (!inputs.content || inputs.styles.length === 0 || !worker) return;
  const read = controls.read();
  if ('error' in read) {
    refuse(read.error);
    return;
  }
  const masks = controls.mixMode === 'regions' ? painter.masks() : null;
  setState('running', 'Starting…');
  ($('progress') as HTMLProgressElement).value = 0;
  const size = Number(($('size') as HTMLSelectElement).value);
  post({
    type: 'stylize',
    id: nextId++,
    content: inputs.content,
    styles: inputs.styles,
    size,
    controls: { ...read.controls, ...(masks ? { masks } : {}) },
  });
}

/** New inputs: the content on screen, the painter and the weights sized to them. */
function inputsChanged(): void {
  if (inputs.content) {
    drawPixels($('content-canvas'), inputs.content);
    painter.reset(inputs.content.width, inputs.content.height, inputs.styles.length);
  }
  controls.setStyles(inputs.styles.length);
  exemplarBases = inputs.styles;
  drawExemplars();
}

function useSamples(andRun: boolean): void {
  const s = sampleImages();
  inputs.content = s.content;
  inputs.styles = s.styles;
  inputsChanged();
  setState(page.state === 'loading' ? 'loading' : page.state === 'running' ? 'running' : 'ready', 'Sample images chosen.');
  if (andRun) run();
}

async function setContent(files: FileList | File[]): Promise<void> {
  const file = Array.from(files).find((f) => f.type.startsWith('image/'));
  if (!file) return refuse(`expected an image file for the content, received ${describeFiles(files)}`);
  const decoded = await decodeFile(file).catch((e: unknown) => refuse(`could not decode ${file.name} as an image: ${String(e)}`));
  if (!decoded) return;
  inputs.content = decoded;
  inputsChanged();
  setState(page.state, `Content: ${file.name} (${inputs.content.width}×${inputs.content.height}).`);
}

async function setStyles(files: FileList | File[]): Promise<void> {
  const list = Array.from(files).filter((f) => f.type.startsWith('image/'));
  if (list.length === 0) return refuse(`expected one or more image files for the styles, received ${describeFiles(files)}`);
  const decoded = await Promise.all(list.map(decodeFile)).catch((e: unknown) =>
    refuse(`could not decode ${describeFiles(list)} as images: ${String(e)}`),
  );
  if (!decoded) return;
  inputs.styles = decoded;
  inputsChanged();
  setState(page.state, `${list.length} style image${list.length > 1 ? 's' : ''}.`);
}

const describeFiles = (files: FileList | File[]) =>
  files.length === 0
    ? 'no file'
    : Array.from(files)
        .map((f) => `${f.name} (${f.type || 'unknown type'})`)
        .join(', ');

function dropZone(id: string, onFiles: (f: File[]) => Promise<void>): void {
  const zone = $(id);
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    void onFiles(Array.from(e.dataTransfer?.files ?? []));
  });
}

$<HTMLInputElement>('content-file').addEventListener('change', (e) => void setContent((e.target as HTMLInputElement).files ?? []));
$<HTMLInputElement>('style-files').addEventListener('change', (e) => void setStyles((e.target as HTMLInputElement).files ?? []));
dropZone('content-drop', setContent);
dropZone('style-drop', setStyles);
$('samples').addEventListener('click', () => useSamples(false));
$('run').addEventListener('click', run);
$('cancel').addEventListener('click', () => {
  // Terminating the worker stops the work at once, even inside a chain of GPU kernels.
  startWorker();
  setState('loading', 'Cancelled; setting the backend up again…');
});
$('backend').addEventListener('change', startWorker);
$<HTMLCanvasElement>('result-canvas').addEventListener('click', (e) => {
  if (!page.result) return;
  const c = e.currentTarget as HTMLCanvasElement;
  const r = c.getBoundingClientRect();
  const x = Math.floor(((e.clientX - r.left) / r.width) * c.width);
  const y = Math.floor(((e.clientY - r.top) / r.height) * c.height);
  inspectAt(x, y);
});

/** Shows the neighbours of result pixel (x, y); also callable from the console. */
function inspectAt(x: number, y: number): void {
  const result = page.result!;
  const canvases = Array.from($('exemplars').querySelectorAll('canvas'));
  $('inspect').hidden = false;
  showNeighbours(result, x, y, canvases, drawExemplars, [$('stage1'), $('stage2')]);
  const ctx = $<HTMLCanvasElement>('result-canvas').getContext('2d')!;
  drawPixels($('result-canvas'), toBytes(result.output, result.width, result.height));
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 2;
  ctx.strokeRect(x - 3, y - 3, 7, 7);
}
(window as unknown as { tpfrInspect: typeof inspectAt }).tpfrInspect = inspectAt;

const checks = new Map<number, (r: KernelReport) => void>();
/** Runs the kernel checks (k-NN against brute force, attention) in the worker, on its backend. */
function checkKernels(): Promise<KernelReport> {
  const id = nextId++;
  return new Promise((resolve) => {
    checks.set(id, resolve);
    post({ type: 'check', id });
  });
}
(window as unknown as { tpfrCheckKernels: typeof checkKernels }).tpfrCheckKernels = checkKernels;

const wanted = params.get('backend');
if (wanted) ($('backend') as HTMLSelectElement).value = wanted;
const size = params.get('size');
if (size) ($('size') as HTMLSelectElement).value = size;
controls.setStyles(0);
startWorker();
