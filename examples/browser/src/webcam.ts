/**
 * The page's live mode: the camera (`getUserMedia`) in a `<video>`, its frames cut to the working
 * size and sent to the worker as image bitmaps, one in flight; the results drawn as they come,
 * with the frames per second. Pause, snapshot (a PNG download) and stop (the camera released, the
 * worker's session freed and its tensor count compared with the count before the start).
 */
import { frameSize, type LiveControls } from './live.js';
import type { Pixels } from './pixels.js';
import type { FromWorker, RecordedFrame, ToWorker } from './protocol.js';

/** What the tests (and the console) can read of live mode. */
export interface LiveState {
  state: 'off' | 'starting' | 'running' | 'paused' | 'stopping';
  /** Frames stylized since the start. */
  frames: number;
  /** Frames per second over the last two seconds, and over the whole run (from the first result). */
  fps: number;
  runFps: number;
  /** The last frame's milliseconds in the worker (in to read back). */
  lastFrameMs?: number;
  /** The last frame's milliseconds on the page: waiting for a new camera frame and cutting it, and the whole round. */
  lastGrabMs?: number;
  lastRoundMs?: number;
  size?: number;
  controls?: LiveControls;
  /** The exemplars as the worker's stylizer saw them. */
  exemplars?: Pixels[];
  /** The worker's tensors before the start and after the stop (equal: nothing leaked). */
  tensorsBefore?: number;
  tensorsAfter?: number;
  /** Whether every track of the camera ended at the stop. */
  cameraReleased?: boolean;
  /** Frames kept for the check ({@link LiveView.record}). */
  recorded?: RecordedFrame[];
  /** The last snapshot: its PNG's size and type, and the image's size. */
  snapshot?: { bytes: number; type: string; width: number; height: number };
  error?: string;
}

/** What the live view needs from the page. */
export interface LiveDeps {
  /** Sends a message to the worker and resolves with its answer (or rejects with its error). */
  send(m: ToWorker, transfer?: Transferable[]): Promise<FromWorker>;
  /** The style images, the controls and the network's multiple, or a message saying what is missing. */
  inputs(): { styles: Pixels[]; controls: LiveControls; multiple: number } | { error: string };
  /** The strength for the next frame (the slider). */
  strength(): number;
  /** Says something in the live status line. */
  say(message: string): void;
}

type Els = {
  video: HTMLVideoElement;
  canvas: HTMLCanvasElement;
  size: HTMLSelectElement;
  start: HTMLButtonElement;
  pause: HTMLButtonElement;
  snapshot: HTMLButtonElement;
  stop: HTMLButtonElement;
  fps: HTMLElement;
};

export class LiveView {
  readonly live: LiveState = { state: 'off', frames: 0, fps: 0, runFps: 0 };
  private stream: MediaStream | null = null;
  private loop: Promise<void> = Promise.resolve();
  private presented = 0;
  private grabbed = -1;
  private stamps: number[] = [];
  private firstAt = 0;
  private nextId = 1_000_000;

  constructor(
    private readonly els: Els,
    private readonly deps: LiveDeps,
  ) {
    els.start.addEventListener('click', () => void this.start().catch((e: unknown) => this.fail(e)));
    els.pause.addEventListener('click', () => (this.live.state === 'paused' ? this.resume() : this.pause()));
    els.snapshot.addEventListener('click', () => void this.snapshot());
    els.stop.addEventListener('click', () => void this.stop().catch((e: unknown) => this.fail(e)));
    this.buttons();
  }

  /** Starts the camera and the worker's session at the chosen working size. */
  async start(): Promise<void> {
    if (this.live.state !== 'off') return;
    const inputs = this.deps.inputs();
    if ('error' in inputs) return this.fail(new Error(inputs.error));
    const size = Number(this.els.size.value);
    this.set('starting', `Starting the camera and encoding ${inputs.styles.length} style image(s) at ${size}²…`);
    Object.assign(this.live, { frames: 0, fps: 0, runFps: 0, error: undefined, tensorsAfter: undefined, cameraReleased: undefined, size });
    this.live.controls = inputs.controls;
    if (!navigator.mediaDevices?.getUserMedia)
      throw new Error('expected a browser with a camera API (navigator.mediaDevices.getUserMedia), received none');
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
    } catch (e) {
      throw new Error(`expected access to a camera, received ${(e as Error).name}: ${(e as Error).message}`);
    }
    const v = this.els.video;
    v.srcObject = this.stream;
    await v.play();
    this.watchFrames();
    const started = await this.deps.send({ type: 'live-start', id: this.nextId++, styles: inputs.styles, size, controls: inputs.controls });
    if (started.type !== 'live-started') throw new Error(`live: expected the session to start, received ${started.type}`);
    this.live.exemplars = started.exemplars;
    this.live.tensorsBefore = started.tensorsBefore;
    const { width, height } = frameSize(v.videoWidth, v.videoHeight, size, inputs.multiple);
    this.els.canvas.width = width;
    this.els.canvas.height = height;
    this.firstAt = 0;
    this.stamps = [];
    this.set('running', `Live at ${width}×${height} from a ${v.videoWidth}×${v.videoHeight} camera.`);
    this.loop = this.run(inputs.multiple);
  }

  pause(): void {
    if (this.live.state === 'running') this.set('paused', `Paused after ${this.live.frames} frames.`);
  }

  resume(): void {
    if (this.live.state !== 'paused') return;
    this.set('running', 'Live again.');
    this.loop = this.loop.then(() => this.run(this.multiple()));
  }

  /** The result on screen as a PNG, downloaded. */
  async snapshot(): Promise<void> {
    const c = this.els.canvas;
    const blob = await new Promise<Blob | null>((r) => c.toBlob(r, 'image/png'));
    if (!blob) return this.fail(new Error('snapshot: expected a PNG of the result, received nothing (no frame yet?)'));
    this.live.snapshot = { bytes: blob.size, type: blob.type, width: c.width, height: c.height };
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `tpfr-live-${this.live.frames}.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    this.deps.say(`Snapshot: ${a.download} (${c.width}×${c.height}).`);
  }

  /** Stops: the frame in flight finishes, the camera is released, the worker frees its session. */
  async stop(): Promise<void> {
    if (this.live.state === 'off' || this.live.state === 'stopping') return;
    this.set('stopping', 'Stopping…');
    await this.loop;
    const tracks = this.stream?.getTracks() ?? [];
    for (const t of tracks) t.stop();
    this.live.cameraReleased = tracks.every((t) => t.readyState === 'ended');
    this.els.video.srcObject = null;
    this.stream = null;
    const stopped = await this.deps.send({ type: 'live-stop', id: this.nextId++ });
    if (stopped.type === 'live-stopped') {
      this.live.tensorsBefore = stopped.tensorsBefore;
      this.live.tensorsAfter = stopped.tensorsAfter;
    }
    this.set(
      'off',
      `Stopped after ${this.live.frames} frames (${this.live.runFps.toFixed(1)} per second); camera released; the worker holds ${this.live.tensorsAfter} tensors, as before the start (${this.live.tensorsBefore}).`,
    );
  }

  /** Keeps the next `frames` frames (from a fresh start of coherence) with their inputs and graphs, for the check. */
  async record(frames: number): Promise<RecordedFrame[]> {
    const m = await this.deps.send({ type: 'live-record', id: this.nextId++, frames });
    if (m.type !== 'live-recorded') throw new Error(`live: expected recorded frames, received ${m.type}`);
    this.live.recorded = m.frames;
    return m.frames;
  }

  /** The worker is gone (cancel, another backend): the camera is released and live mode is off. */
  abandon(): void {
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
    this.els.video.srcObject = null;
    if (this.live.state !== 'off') this.set('off', 'Live mode stopped: the worker was restarted.');
  }

  private multiple(): number {
    const inputs = this.deps.inputs();
    return 'error' in inputs ? 4 : inputs.multiple;
  }

  /** Counts the frames the video presents (to grab each new one once). */
  private watchFrames(): void {
    const v = this.els.video;
    if (!('requestVideoFrameCallback' in v)) return;
    const tick = () => {
      this.presented++;
      if (this.stream) v.requestVideoFrameCallback(tick);
    };
    v.requestVideoFrameCallback(tick);
  }

  /** Waits for a frame not grabbed yet (at most 100 ms: a browser without frame callbacks grabs anyway). */
  private async newFrame(): Promise<void> {
    const t0 = performance.now();
    while (this.presented <= this.grabbed && performance.now() - t0 < 100) await new Promise((r) => setTimeout(r, 4));
    this.grabbed = this.presented;
  }

  private async run(multiple: number): Promise<void> {
    const v = this.els.video;
    const ctx = this.els.canvas.getContext('2d')!;
    while (this.live.state === 'running') {
      const t0 = performance.now();
      await this.newFrame();
      const { width, height } = frameSize(v.videoWidth, v.videoHeight, this.live.size!, multiple);
      // The centre of the camera's frame with the working size's aspect, resized to it.
      const f = Math.min(v.videoWidth / width, v.videoHeight / height);
      const [sw, sh] = [width * f, height * f];
      const frame = await createImageBitmap(v, (v.videoWidth - sw) / 2, (v.videoHeight - sh) / 2, sw, sh, {
        resizeWidth: width,
        resizeHeight: height,
        resizeQuality: 'medium',
      });
      this.live.lastGrabMs = performance.now() - t0;
      let m: FromWorker;
      try {
        m = await this.deps.send({ type: 'live-frame', id: this.nextId++, frame, strength: this.deps.strength() }, [frame]);
      } catch (e) {
        this.fail(e);
        return;
      }
      if (m.type !== 'live-frame') continue;
      if (this.els.canvas.width !== m.width || this.els.canvas.height !== m.height)
        [this.els.canvas.width, this.els.canvas.height] = [m.width, m.height];
      ctx.putImageData(new ImageData(m.rgba, m.width, m.height), 0, 0);
      this.live.lastRoundMs = performance.now() - t0;
      this.count(m.ms);
    }
  }

  private count(ms: number): void {
    const now = performance.now();
    this.live.frames++;
    this.live.lastFrameMs = ms;
    if (this.live.frames === 1) {
      this.firstAt = now;
      this.buttons();
    }
    this.stamps.push(now);
    while (this.stamps.length > 1 && now - this.stamps[0] > 2000) this.stamps.shift();
    const span = (this.stamps[this.stamps.length - 1] - this.stamps[0]) / 1000;
    this.live.fps = span > 0 ? (this.stamps.length - 1) / span : 0;
    this.live.runFps = this.live.frames > 1 ? (this.live.frames - 1) / ((now - this.firstAt) / 1000) : 0;
    this.els.fps.textContent = `${this.live.fps.toFixed(1)} frames per second (${Math.round(ms)} ms a frame in the worker; ${this.live.frames} frames)`;
  }

  private fail(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.live.error = message;
    this.deps.say(`Error: ${message}`);
    if (this.live.state === 'starting' || this.live.state === 'running') {
      for (const t of this.stream?.getTracks() ?? []) t.stop();
      this.stream = null;
      this.els.video.srcObject = null;
      // The worker may hold a session: stop it (its tensors freed).
      void this.deps.send({ type: 'live-stop', id: this.nextId++ }).catch(() => {});
      this.set('off');
    }
  }

  private set(state: LiveState['state'], message?: string): void {
    this.live.state = state;
    if (message) this.deps.say(message);
    this.buttons();
  }

  private buttons(): void {
    const s = this.live.state;
    this.els.start.disabled = s !== 'off';
    this.els.size.disabled = s !== 'off';
    this.els.pause.disabled = !(s === 'running' || s === 'paused');
    this.els.pause.textContent = s === 'paused' ? 'Resume' : 'Pause';
    this.els.snapshot.disabled = !(s === 'running' || s === 'paused') || this.live.frames === 0;
    this.els.stop.disabled = !(s === 'running' || s === 'paused' || s === 'starting');
  }
}
