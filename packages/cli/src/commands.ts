import * as tf from '@tensorflow/tfjs-core';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { totalmem } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { initBackend, type BackendName } from '@tpfr/core';
import { formatMiB } from '@tpfr/core/utils';
import type { HeldOutReport } from '@tpfr/models/eval';
import {
  readImage,
  writeImage,
  writeFileAtomicallySync,
  formatFromPath,
  IMAGE_EXTENSIONS,
  MODEL_MANIFEST,
  loadModel,
  saveModel,
  recoverDir,
} from '@tpfr/models/node';
import {
  type TpfrModel,
  MemoryBudgetError,
  createStylizer,
  encodeExemplars,
  stylize,
  type StylizeOptions,
  type StylizePipelineOptions,
} from '@tpfr/models';
import type { ResumeOptions, TpfrTrainer, TrainMemoryEstimate } from '@tpfr/models/train';
import { CliError, nonNegativeInt, positiveInt } from './errors.js';
import { parseMemorySize } from './memory-size.js';
import { lossSummary, startProgress } from './progress.js';
import { isStylizeWorker, ownEntry, reportDone, runWorkers } from './stylize-workers.js';
import { mark } from './marks.js';

/** Options every command takes. */
export interface CommonOptions {
  backend: string;
  quiet?: boolean;
}

const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

/** Sets up the backend named by `--backend` and says which one runs. */
export async function setUp(opts: CommonOptions): Promise<string> {
  if (!BACKENDS.includes(opts.backend))
    throw new CliError(`option --backend: expected one of ${BACKENDS.join(', ')}, received '${opts.backend}'`, 2);
  const choice = await initBackend(opts.backend as 'auto' | BackendName);
  if (!opts.quiet) process.stderr.write(`backend: ${choice.backend}\n`);
  return choice.backend;
}

async function openModel(dir: string): Promise<TpfrModel> {
  // The authors' checkpoint, imported on the fly.
  if (extname(dir).toLowerCase() === '.pth' && statSync(dir, { throwIfNoEntry: false })?.isFile()) return importOnTheFly(dir);
  await recoverDir(dir, '--model'); // a writer killed mid-replace may have left the old folder aside
  if (!existsSync(join(dir, MODEL_MANIFEST))) {
    throw new CliError(`--model ${dir}: not a model directory (no ${MODEL_MANIFEST}); train one with 'tpfr train' or 'pnpm demo'`);
  }
  return loadModel(dir);
}

/** `--model file.pth`: the authors' generator imported in memory, with a hint that importing once is faster. */
async function importOnTheFly(file: string): Promise<TpfrModel> {
  const t0 = performance.now();
  const { importGeneratorFile } = await import('./import-torch.js');
  const model = importGeneratorFile('--model', file);
  process.stderr.write(
    `tpfr: imported ${basename(file)} on the fly in ${((performance.now() - t0) / 1000).toFixed(1)} s; for many calls, 'tpfr import-torch ${file} --out <dir>' once and then --model <dir> is faster\n`,
  );
  return model;
}

/** `tpfr train` options. */
export interface TrainOptions extends CommonOptions {
  data: string;
  preset: string;
  steps: string;
  size: string;
  renderSize?: string;
  batch: string;
  peerPaintings: string;
  seed: string;
  checkpoint: string;
  every: string;
  warmup: string;
  lr: string;
  ema: string;
  resume?: boolean;
  /** `--memory-budget <MiB|GiB>`: refuse a run whose estimated step is above it (default on wasm: its 4 GiB heap). */
  memoryBudget?: string;
  /** `--recompute auto|on|off`: gradient checkpointing (auto: when the plain step is above the budget). */
  recompute?: string;
  /** The options given on the command line (not defaults): what `--resume` changes. */
  explicit?: Set<string>;
}

/** `tpfr train`: trains on the synthetic set or image folders, checkpointing as it goes. */
export async function trainCommand(o: TrainOptions): Promise<void> {
  const given = o.explicit ?? new Set<string>();
  const checkpoint = resolve(o.checkpoint);
  if (o.resume) {
    await recoverDir(checkpoint, '--resume'); // as for --model
    if (!existsSync(join(checkpoint, 'trainer.json'))) throw new CliError(`--resume: no checkpoint in ${checkpoint}`);
    // The data flags not given on this command line are the checkpoint's: a resumed run trains on
    // the same data unless told otherwise (and then the trainer refuses the change).
    let stored: { data?: Record<string, unknown>; options?: { seed?: number } } | null;
    try {
      stored = JSON.parse(readFileSync(join(checkpoint, 'trainer.json'), 'utf8'));
    } catch (e) {
      throw new CliError(
        `--resume: expected a checkpoint in ${checkpoint}, could not read ${join(checkpoint, 'trainer.json')}: ${(e as Error).message}`,
      );
    }
    const d = stored?.data ?? {};
    if (!given.has('data') && d.kind === 'folders' && typeof d.root === 'string') o = { ...o, data: d.root };
    if (!given.has('size') && typeof d.size === 'number') o = { ...o, size: String(d.size) };
    if (!given.has('renderSize') && d.kind === 'synthetic' && typeof d.renderSize === 'number' && d.renderSize !== d.size)
      o = { ...o, renderSize: String(d.renderSize) };
    if (!given.has('seed') && typeof stored?.options?.seed === 'number') o = { ...o, seed: String(stored.options.seed) };
  }
  const steps = positiveInt('--steps', o.steps);
  const size = positiveInt('--size', o.size);
  const batchSize = positiveInt('--batch', o.batch);
  const renderSize = o.renderSize === undefined ? undefined : positiveInt('--render-size', o.renderSize);
  if (renderSize !== undefined && o.data !== 'synthetic')
    throw new CliError(`option --render-size: only the synthetic set is rendered (image folders are cropped at random scales already)`, 2);
  if ((renderSize ?? size) < size)
    throw new CliError(`option --render-size: expected an integer >= --size (${size}), received '${o.renderSize}'`, 2);
  const peerPaintings = positiveInt('--peer-paintings', o.peerPaintings);
  if (peerPaintings > 2) throw new CliError(`option --peer-paintings: expected 1 or 2, received '${o.peerPaintings}'`, 2);
  const seed = nonNegativeInt('--seed', o.seed);
  const every = positiveInt('--every', o.every);
  const warmupSteps = nonNegativeInt('--warmup', o.warmup);
  const learningRate = Number(o.lr);
  if (!(learningRate > 0)) throw new CliError(`option --lr: expected a positive number, received '${o.lr}'`, 2);
  const emaDecay = Number(o.ema);
  if (!(emaDecay >= 0 && emaDecay < 1)) throw new CliError(`option --ema: expected a decay in [0, 1), received '${o.ema}'`, 2);
  if (o.preset !== 'tiny' && o.preset !== 'paper')
    throw new CliError(`option --preset: expected 'tiny' or 'paper', received '${o.preset}'`, 2);
  if (o.data !== 'synthetic' && !existsSync(o.data))
    throw new CliError(`--data ${o.data}: no such folder (use 'synthetic' or a folder with a photo folder and one folder per style class)`);
  const askedBudget = o.memoryBudget === undefined ? undefined : parseMemorySize('--memory-budget', o.memoryBudget);
  const recomputeMode = o.recompute ?? 'auto';
  if (recomputeMode !== 'auto' && recomputeMode !== 'on' && recomputeMode !== 'off')
    throw new CliError(`option --recompute: expected auto, on or off, received '${o.recompute}'`, 2);
  const backend = await setUp(o);
  // What only training needs, loaded here: the other commands start without it.
  const [{ TpfrTrainer, estimateTrainStepMemory }, { openDataset }] = await Promise.all([
    import('@tpfr/models/train'),
    import('./datasets.js'),
  ]);
  // On wasm a step's tensors cannot exceed its heap (4 GiB less 64 KiB); elsewhere no default.
  const budget = askedBudget ?? (backend === 'wasm' ? WASM_HEAP_MAX : undefined);
  let recompute = recomputeMode === 'on';
  if (!o.resume) {
    // Before the model or anything else is allocated (a preset's estimate allocates nothing).
    const estimate = (withRecompute: boolean) =>
      estimateTrainStepMemory(o.preset as 'tiny' | 'paper', {
        size,
        batch: batchSize,
        peerPaintings: peerPaintings as 1 | 2,
        warmupSteps,
        emaDecay,
        recompute: withRecompute,
      });
    recompute = chooseRecompute(recomputeMode, estimate, budget, o.quiet);
    checkTrainBudget(estimate(recompute), budget, o.quiet, recomputeMode === 'off');
  }
  const data = openDataset(o.data, size, seed, renderSize);
  let trainer: TpfrTrainer;
  if (o.resume) {
    // Only the flags given on this command line change the run; the rest is the checkpoint's.
    const changes: ResumeOptions = {};
    if (given.has('steps')) changes.steps = steps;
    if (given.has('batch')) changes.batchSize = batchSize;
    if (given.has('lr')) changes.learningRate = learningRate;
    if (given.has('ema')) changes.emaDecay = emaDecay;
    if (given.has('warmup')) changes.warmupSteps = warmupSteps;
    if (given.has('peerPaintings')) changes.peerPaintings = peerPaintings as 1 | 2;
    if (given.has('seed')) changes.seed = seed;
    if (recomputeMode !== 'auto') changes.recompute = recompute;
    trainer = await TpfrTrainer.resume(checkpoint, data, changes);
    if (recomputeMode === 'auto' && !trainer.options.recompute) {
      // The checkpoint's run kept its activations: recompute them when that is what fits.
      const t = trainer;
      if (chooseRecompute('auto', (recompute) => t.estimateStepMemory({ recompute }), budget, o.quiet)) {
        trainer.dispose();
        trainer.model.dispose();
        trainer = await TpfrTrainer.resume(checkpoint, data, { ...changes, recompute: true });
      }
    }
    process.stderr.write(`resumed at step ${trainer.step} of ${trainer.options.steps} from ${checkpoint}\n`);
    for (const note of trainer.notes) process.stderr.write(`  ${note}\n`);
    try {
      checkTrainBudget(trainer.estimateStepMemory(), budget, o.quiet);
    } catch (e) {
      trainer.dispose();
      trainer.model.dispose();
      throw e;
    }
  } else {
    const model = TpfrTrainer.createModel(o.preset as 'tiny' | 'paper', seed);
    trainer = new TpfrTrainer(model, data, {
      steps,
      batchSize,
      seed,
      warmupSteps,
      learningRate,
      emaDecay,
      peerPaintings: peerPaintings as 1 | 2,
      recompute,
    });
  }
  const bar = startProgress('train', trainer.options.steps, o.quiet);
  bar.update(trainer.step);
  // Ctrl-C stops after the step in progress, with a checkpoint to resume from.
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  let stoppedBy: string;
  try {
    ({ stoppedBy } = await trainer.fit({
      signal: stop.signal,
      checkpointDir: checkpoint,
      checkpointEvery: every,
      memoryBudgetBytes: budget,
      onStep: (info) => bar.update(info.step, lossSummary(info.losses)),
    }));
  } finally {
    process.off('SIGINT', onSigint);
    bar.stop();
  }
  if (stoppedBy === 'signal') process.stderr.write(`interrupted at step ${trainer.step}: resume with --resume\n`);
  // The checkpoint written at the last step already holds the model in DIR/model.
  console.log(`model: ${join(checkpoint, 'model')}`);
  // The averaged weights go to their own folder: DIR/model must stay the checkpoint's for --resume.
  if (trainer.applyAveragedWeights()) {
    await saveModel(trainer.model, join(checkpoint, 'model-averaged'), {
      averagedSteps: trainer.averagedSteps,
      emaDecay: trainer.options.emaDecay,
    });
    console.log(`model with averaged weights (${trainer.averagedSteps} steps): ${join(checkpoint, 'model-averaged')}`);
  }
  trainer.dispose();
  trainer.model.dispose();
}

/** The largest wasm heap (4 GiB less 64 KiB): tfjs-backend-wasm cannot grow it further. */
const WASM_HEAP_MAX = 4 * 2 ** 30 - 2 ** 16;

/**
 * Whether a run recomputes its activations: as asked (`on`, `off`), or with `auto` when the plain
 * step's estimate is above the budget and the recomputing one is not (said unless quiet).
 */
function chooseRecompute(
  mode: 'auto' | 'on' | 'off',
  estimate: (recompute: boolean) => TrainMemoryEstimate,
  budget: number | undefined,
  quiet?: boolean,
): boolean {
  if (mode !== 'auto') return mode === 'on';
  if (budget === undefined) return false;
  const plain = estimate(false);
  if (plain.peakBytes <= budget || estimate(true).peakBytes > budget) return false;
  if (!quiet)
    process.stderr.write(
      `recomputing activations in the backward pass (--recompute auto): a step that keeps them needs an estimated ${formatMiB(plain.peakBytes)}, above the budget of ${formatMiB(budget)}\n`,
    );
  return true;
}

/** Says the estimated memory of a step (unless quiet) and refuses a run above the budget (exit 1). */
function checkTrainBudget(e: TrainMemoryEstimate, budget: number | undefined, quiet?: boolean, recomputeOff?: boolean): void {
  const parts = `weights ${formatMiB(e.weightsBytes)}, Adam states ${formatMiB(e.optimizerBytes)}, activations ${formatMiB(e.activationBytes)}, history ${formatMiB(e.historyBytes)}`;
  if (budget !== undefined && e.peakBytes > budget) {
    throw new CliError(
      `a training step needs an estimated ${formatMiB(e.peakBytes)} (${parts}), above the memory budget of ${formatMiB(budget)} (--memory-budget; on wasm by default its 4 GiB heap): use ${recomputeOff ? '--recompute on, or ' : ''}a smaller --size or --batch`,
      1,
    );
  }
  if (!quiet) process.stderr.write(`estimated memory of a step: ${formatMiB(e.peakBytes)} (${parts})\n`);
}

/** `tpfr stylize` options. */
export interface StylizeCommandOptions extends CommonOptions {
  model: string;
  /** Content images or folders of them (repeatable). */
  content: string[];
  style: string[];
  out: string;
  stages: string;
  k?: string;
  /** `--size <S>`: the authors' pipeline at S. */
  size?: string;
  /** `--pad <px>`: the content's reflect pad. */
  pad?: string;
  /** `false` with `--no-crop`. */
  crop?: boolean;
  /** `false` with `--no-stretch`. */
  stretch?: boolean;
  /** `--memory-budget <MiB>`: refuse an image whose estimated peak is above it. */
  memoryBudget?: string;
  /** `--jobs <n>`: worker processes for several contents (default 1). */
  jobs?: string;
  /** `--strength <s>`: in [0, 1]. */
  strength?: string;
  /** `--style-weights <w,…>`: one weight per `--style`. */
  styleWeights?: string;
  /** `--preserve-color <mode>`: luminance or histogram. */
  preserveColor?: string;
  /** `--mask <img>` (repeatable): one per `--style`. */
  mask?: string[];
  /** `--frames`: the content is one sequence of frames. */
  frames?: boolean;
  /** `false` with `--no-coherence`. */
  coherence?: boolean;
  /** `--animation <file.gif>`: also an animated GIF of the frames. */
  animation?: string;
  /** `--fps <n>`: the animation's rate. */
  fps?: string;
  /** How a `--jobs` worker is started (default: the command that runs now); tests give the TypeScript entry. */
  workerEntry?: string[];
}

/**
 * The memory a stylize call may take: `--memory-budget` in MiB, else on wasm its 4 GiB heap less
 * what tensors hold now (the model, the exemplars), on cpu and tensorflow 90 % of the machine's
 * memory less the same; none on the GPU backends.
 */
function memoryBudget(askedMiB: number | undefined, backend: string): number | undefined {
  if (askedMiB !== undefined) return askedMiB * 2 ** 20;
  const held = tf.memory().numBytes;
  if (backend === 'wasm') return 4 * 2 ** 30 - held;
  if (backend === 'cpu' || backend === 'tensorflow') return 0.9 * totalmem() - held;
  return undefined;
}

function parseStages(s: string): NonNullable<StylizeOptions['stages']> {
  if (s !== 'two-stage' && s !== 'style-only')
    throw new CliError(`option --stages: expected 'two-stage' or 'style-only', received '${s}'`, 2);
  return s;
}

/**
 * `tpfr stylize`: one content image, one or more style exemplars, any size; with `--size S` the
 * authors' test pipeline (resize, centre crop, content pad, min–max stretch), `--pad` alone pads
 * the content and crops the pad off the result.
 */
export async function stylizeCommand(o: StylizeCommandOptions): Promise<void> {
  const stages = parseStages(o.stages);
  const k = o.k === undefined ? undefined : positiveInt('--k', o.k);
  const size = o.size === undefined ? undefined : positiveInt('--size', o.size);
  const pad = o.pad === undefined ? undefined : nonNegativeInt('--pad', o.pad);
  if (size === undefined && o.crop === false)
    throw new CliError(`option --no-crop: expected together with --size <S>, received no --size`, 2);
  const budgetMiB = o.memoryBudget === undefined ? undefined : positiveInt('--memory-budget', o.memoryBudget);
  // Without --size: the content's own size and the plain mapping, padded by --pad (none: 0, which changes nothing).
  const pipeline: StylizePipelineOptions =
    size !== undefined ? { size, crop: o.crop !== false, pad: pad ?? 'authors', stretch: o.stretch !== false } : { pad, stretch: false };
  if (o.frames) return stylizeFrames(o, stages, k, pipeline);
  for (const [flag, given] of [
    ['--no-coherence', o.coherence === false],
    ['--animation', o.animation !== undefined],
    ['--fps', o.fps !== undefined],
  ] as const) {
    if (given) throw new CliError(`option ${flag}: expected together with --frames, received no --frames`, 2);
  }
  const contents = o.content.flatMap((p) => contentFiles(p));
  // With one content path, `some` and `every` agree: the mutant that swaps them is equivalent.
  const several = isStylizeWorker() || contents.length > 1 || o.content.some((p) => isFolder(p));
  if (several && IMAGE_EXTENSIONS.includes(extname(o.out).toLowerCase())) {
    throw new CliError(`option --out: expected a folder for ${contents.length} content images, received the image path '${o.out}'`, 2);
  }
  if (!several) formatFromPath(o.out, 'tpfr stylize --out');
  const controls = parseControls(o);
  const jobs = o.jobs === undefined ? 1 : positiveInt('--jobs', o.jobs);
  if (jobs > 1 && contents.length > 1 && !isStylizeWorker()) return stylizeWithWorkers(o, contents, jobs);
  const backend = await setUp(o);
  mark('backend');
  const model = await openModel(o.model);
  mark('model');
  const perStyle = controls.styleWeights !== undefined || o.mask !== undefined;
  // Each --style is a file, or a folder of one style's images (one pool, or one style with weights or masks).
  const styles = o.style.map((s) => (isFolder(s) ? contentFiles(s).map((f) => readImage(f)) : readImage(s)));
  const masks = readMasks(o.mask);
  // The exemplars are encoded once, whatever the number of contents (with histogram colours, for each content).
  const encoded = controls.preserveColor === 'histogram' ? null : encodeExemplars(model, styles, { pipeline, perStyle });
  if (encoded) tf.dispose(styles.flat());
  mark('exemplars');
  const bar = several ? startProgress('stylize', contents.length, o.quiet || isStylizeWorker()) : undefined;
  try {
    for (const [i, file] of contents.entries()) {
      const out = several ? join(o.out, `${basename(file, extname(file))}.png`) : o.out;
      const content = readImage(file);
      // The content's shorter side when it reaches the pad: S after --size, its own without.
      const side = size ?? Math.min(content.shape[0], content.shape[1]);
      if ((pad ?? 0) > side - 1) {
        content.dispose();
        throw new CliError(
          `option --pad: expected an integer <= ${side - 1} (the content's shorter side${size === undefined ? '' : ' at --size'} − 1), received '${o.pad}'`,
          2,
        );
      }
      const t0 = performance.now();
      let result: tf.Tensor3D;
      let peak = 0;
      try {
        result = stylize(model, content, encoded ?? styles, {
          stages,
          k,
          ...controls,
          masks,
          pipeline,
          memoryBudgetBytes: memoryBudget(budgetMiB, backend),
          onMemoryEstimate: (e) => {
            peak = e.peakBytes;
          },
        }) as tf.Tensor3D;
      } catch (e) {
        content.dispose();
        if (e instanceof MemoryBudgetError) {
          throw new CliError(`${file} cannot fit: ${e.message.replace(/^stylize: /, '')} (--memory-budget <MiB> to change the budget)`, 1);
        }
        throw e;
      }
      mark('stylize');
      writeImage(out, result);
      mark('png');
      const line = `${out}: ${result.shape[1]}×${result.shape[0]} in ${((performance.now() - t0) / 1000).toFixed(1)} s (estimated peak memory ${formatMiB(peak)})`;
      if (isStylizeWorker()) reportDone(file, line);
      else if (bar) bar.update(i + 1, basename(file));
      else console.log(line);
      tf.dispose([content, result]);
    }
  } finally {
    bar?.stop();
    encoded?.dispose();
    if (!encoded) tf.dispose(styles.flat());
    tf.dispose(masks ?? []);
    model.dispose();
  }
  if (several && !isStylizeWorker()) console.log(`${o.out}: ${contents.length} images`);
}

/**
 * `tpfr stylize --frames`: the one --content (a folder of frames or an animated GIF) as a
 * sequence through one stylizer (exemplars encoded once, frames coherent unless --no-coherence),
 * each frame written into the --out folder under its name, with a progress bar and the frames per
 * second; with --animation, an animated GIF of the results too.
 */
async function stylizeFrames(
  o: StylizeCommandOptions,
  stages: StylizeOptions['stages'],
  k: number | undefined,
  pipeline: StylizePipelineOptions,
): Promise<void> {
  if (o.content.length !== 1)
    throw new CliError(
      `option --content: expected one folder of frames or one animated GIF with --frames, received ${o.content.length}`,
      2,
    );
  if (o.jobs !== undefined && o.jobs !== '1')
    throw new CliError(`option --jobs: expected none with --frames (each frame follows the one before), received '${o.jobs}'`, 2);
  if (IMAGE_EXTENSIONS.includes(extname(o.out).toLowerCase()))
    throw new CliError(`option --out: expected a folder for the frames, received the image path '${o.out}'`, 2);
  if (o.animation !== undefined && extname(o.animation).toLowerCase() !== '.gif')
    throw new CliError(`option --animation: expected a .gif file, received '${o.animation}'`, 2);
  const fps = o.fps === undefined ? undefined : positiveInt('--fps', o.fps);
  const controls = parseControls(o);
  const { encodeGif, readFrames } = await import('./frames.js');
  const sequence = readFrames(o.content[0], (file) => {
    const img = readImage(file);
    const [height, width] = img.shape;
    const rgb = Uint8Array.from(img.dataSync());
    img.dispose();
    return { name: basename(file), width, height, rgb };
  });
  const backend = await setUp(o);
  const model = await openModel(o.model);
  const styles = o.style.map((s) => (isFolder(s) ? contentFiles(s).map((f) => readImage(f)) : readImage(s)));
  const masks = readMasks(o.mask);
  const stylizer = createStylizer(model, styles, {
    stages,
    k,
    ...controls,
    masks,
    pipeline,
    coherence: o.coherence !== false,
    memoryBudgetBytes: memoryBudget(o.memoryBudget === undefined ? undefined : positiveInt('--memory-budget', o.memoryBudget), backend),
  });
  tf.dispose(styles.flat());
  mkdirSync(o.out, { recursive: true });
  const n = sequence.names.length;
  const bar = startProgress('frames', n, o.quiet);
  const animation: Uint8Array[] = [];
  let [width, height] = [0, 0];
  const t0 = performance.now();
  try {
    for (let i = 0; i < n; i++) {
      const f = sequence.frame(i);
      const result = tf.tidy(() => stylizer.stylize(tf.tensor3d(f.rgb, [f.height, f.width, 3], 'int32')) as tf.Tensor3D);
      writeImage(join(o.out, f.name), result);
      if (o.animation) {
        animation.push(Uint8Array.from(result.dataSync(), (v) => Math.round(v)));
        [height, width] = result.shape;
      }
      result.dispose();
      bar.update(i + 1, `${f.name}, ${((1000 * (i + 1)) / (performance.now() - t0)).toFixed(2)} frames/s`);
    }
  } finally {
    bar.stop();
    stylizer.dispose();
    tf.dispose(masks ?? []);
    model.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  if (o.animation) {
    const delayMs = fps !== undefined ? 1000 / fps : (sequence.delayMs ?? 100);
    mkdirSync(dirname(resolve(o.animation)), { recursive: true });
    writeFileAtomicallySync(o.animation, encodeGif(animation, width, height, delayMs));
  }
  console.log(
    `${o.out}: ${n} frames in ${seconds.toFixed(1)} s (${(n / seconds).toFixed(2)} frames/s)${o.animation ? `; ${o.animation}` : ''}`,
  );
}

/** The controls of `tpfr stylize`, checked before any work (usage errors: exit 2). */
function parseControls(o: StylizeCommandOptions): Pick<StylizeOptions, 'strength' | 'styleWeights' | 'preserveColor'> {
  const controls: Pick<StylizeOptions, 'strength' | 'styleWeights' | 'preserveColor'> = {};
  if (o.strength !== undefined) {
    const s = o.strength.trim() === '' ? Number.NaN : Number(o.strength);
    if (!(s >= 0 && s <= 1)) throw new CliError(`option --strength: expected a number in [0, 1], received '${o.strength}'`, 2);
    controls.strength = s;
  }
  if (o.styleWeights !== undefined) {
    const given = o.styleWeights;
    const w = given.split(',').map((v) => (v.trim() === '' ? Number.NaN : Number(v)));
    if (w.length !== o.style.length) {
      throw new CliError(
        `option --style-weights: expected one weight per --style (${o.style.length}), received ${w.length} in '${given}'`,
        2,
      );
    }
    w.forEach((v, i) => {
      if (!(Number.isFinite(v) && v >= 0))
        throw new CliError(`option --style-weights: expected finite weights >= 0, received '${given.split(',')[i]}' (weight ${i + 1})`, 2);
    });
    if (w.every((v) => v === 0))
      throw new CliError(`option --style-weights: expected weights that do not sum to 0, received '${given}'`, 2);
    controls.styleWeights = w;
  }
  if (o.preserveColor !== undefined) {
    if (o.preserveColor !== 'luminance' && o.preserveColor !== 'histogram') {
      throw new CliError(`option --preserve-color: expected luminance or histogram, received '${o.preserveColor}'`, 2);
    }
    controls.preserveColor = o.preserveColor;
  }
  if (o.mask !== undefined && o.mask.length !== o.style.length) {
    throw new CliError(`option --mask: expected one mask per --style (${o.style.length}), received ${o.mask.length}`, 2);
  }
  return controls;
}

/** The `--mask` files as masks (int32 0–255, as decoded), or undefined without any; an unreadable file fails (exit 1) naming it. */
function readMasks(files: string[] | undefined): tf.Tensor3D[] | undefined {
  if (files === undefined) return undefined;
  const masks: tf.Tensor3D[] = [];
  try {
    for (const f of files) {
      try {
        masks.push(readImage(f));
      } catch (e) {
        throw new CliError(`option --mask: cannot read '${f}': ${(e as Error).message}`, 1);
      }
    }
    return masks;
  } catch (e) {
    tf.dispose(masks);
    throw e;
  }
}

/** `tpfr stylize --jobs N` with several contents: the same command in N worker processes, one share of the contents each. */
async function stylizeWithWorkers(o: StylizeCommandOptions, contents: string[], jobs: number): Promise<void> {
  const flag = (name: string, v: string | undefined) => (v === undefined ? [] : [name, v]);
  const args = (files: string[]) => [
    'stylize',
    '--model',
    o.model,
    ...files.flatMap((f) => ['--content', f]),
    ...o.style.flatMap((s) => ['--style', s]),
    '--out',
    o.out,
    '--stages',
    o.stages,
    ...flag('--k', o.k),
    ...flag('--size', o.size),
    ...flag('--pad', o.pad),
    ...(o.crop === false ? ['--no-crop'] : []),
    ...(o.stretch === false ? ['--no-stretch'] : []),
    ...flag('--memory-budget', o.memoryBudget),
    ...flag('--strength', o.strength),
    ...flag('--style-weights', o.styleWeights),
    ...flag('--preserve-color', o.preserveColor),
    ...(o.mask ?? []).flatMap((m) => ['--mask', m]),
    '--backend',
    o.backend,
    '--quiet',
  ];
  const used = Math.min(jobs, contents.length);
  if (!o.quiet) process.stderr.write(`stylize: ${used} worker processes\n`);
  const bar = startProgress('stylize', contents.length, o.quiet);
  let done = 0;
  try {
    await runWorkers({
      jobs: used,
      files: contents,
      args,
      entry: o.workerEntry ?? ownEntry(),
      onDone: (file) => bar.update(++done, basename(file)),
    });
  } finally {
    bar.stop();
  }
  console.log(`${o.out}: ${contents.length} images`);
}

function isFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/**
 * A content path as files: itself, or a folder's images (PNG, JPEG) in name order. Other files
 * and sub-folders (even named like images) are skipped; an image that cannot be read (a broken
 * link, no read permission) is refused here, before any result is written.
 */
function contentFiles(path: string): string[] {
  if (!isFolder(path)) return [path];
  const files = readdirSync(path)
    .filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()))
    .sort()
    .map((f) => join(path, f))
    .filter((f) => !isFolder(f));
  if (files.length === 0)
    throw new CliError(`option --content: expected a folder with PNG or JPEG images, received '${path}' with none`, 2);
  for (const f of files) {
    try {
      accessSync(f, constants.R_OK);
    } catch (e) {
      throw new CliError(
        `option --content: expected readable images in '${path}', cannot read '${f}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  return files;
}

/** `tpfr eval` options. */
export interface EvalOptions extends CommonOptions {
  model: string;
  images: string;
  size: string;
  seed: string;
  exemplars: string;
  stages: string;
  k?: string;
  out?: string;
}

/** `tpfr eval`: style and content scores of a model on the held-out synthetic classes. */
export async function evalCommand(o: EvalOptions): Promise<void> {
  const [{ HELD_OUT_STYLE_CLASSES }, { evaluateHeldOut, MAX_HELD_OUT_EXEMPLARS, MIN_STYLE_IMAGE_SIDE }] = await Promise.all([
    import('@tpfr/models/data'),
    import('@tpfr/models/eval'),
  ]);
  const images = positiveInt('--images', o.images);
  const size = positiveInt('--size', o.size);
  if (size < MIN_STYLE_IMAGE_SIDE)
    throw new CliError(`option --size: expected an integer >= ${MIN_STYLE_IMAGE_SIDE}, received '${o.size}'`, 2);
  const seed = nonNegativeInt('--seed', o.seed);
  const exemplars = positiveInt('--exemplars', o.exemplars);
  if (exemplars > MAX_HELD_OUT_EXEMPLARS)
    throw new CliError(`option --exemplars: expected an integer in [1, ${MAX_HELD_OUT_EXEMPLARS}], received '${o.exemplars}'`, 2);
  const stages = parseStages(o.stages);
  const k = o.k === undefined ? undefined : positiveInt('--k', o.k);
  await setUp(o);
  const model = await openModel(o.model);
  const bar = startProgress('eval', images * HELD_OUT_STYLE_CLASSES.length, o.quiet);
  let report: HeldOutReport;
  try {
    report = await evaluateHeldOut(model, {
      images,
      size,
      seed,
      exemplars,
      stages,
      k,
      onItem: (done, _total, cls) => bar.update(done, cls),
    });
  } finally {
    bar.stop();
    model.dispose();
  }
  const summary = {
    styleDistanceReduction: report.styleDistanceReduction,
    edgeCorrelation: report.edgeCorrelation,
    heldOutClasses: HELD_OUT_STYLE_CLASSES,
    images: report.perItem.length,
    exemplars,
    stages,
  };
  if (o.out) {
    mkdirSync(dirname(resolve(o.out)), { recursive: true });
    writeFileAtomicallySync(
      o.out,
      `${JSON.stringify({ ...summary, perItem: report.perItem.map((p, i) => ({ styleClass: report.styleClasses[i], ...p })) }, null, 2)}\n`,
    );
  }
  console.log(JSON.stringify(summary));
}

/**
 * The version in `package.json` of `name`: @tpfr/cli's own beside `dist/` and `src/` alike
 * (`../package.json`), @tpfr/models's where it resolves from here; `'unknown'` when unreadable.
 */
function versionOf(name: '@tpfr/cli' | '@tpfr/models'): string {
  try {
    const file =
      name === '@tpfr/cli' ? new URL('../package.json', import.meta.url) : createRequire(import.meta.url).resolve(`${name}/package.json`);
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === name && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // not there, or not JSON
  }
  return 'unknown';
}

/** `tpfr info`: versions, the backend, and a model's configuration and size. */
export async function infoCommand(o: CommonOptions & { model?: string }): Promise<void> {
  const backend = await setUp({ ...o, quiet: true });
  const lines = [
    `@tpfr/cli ${versionOf('@tpfr/cli')}`,
    `@tpfr/models ${versionOf('@tpfr/models')}`,
    `@tensorflow/tfjs-core ${tf.version_core}`,
    `backend ${backend}`,
    `node ${process.versions.node}`,
  ];
  if (o.model) {
    const model = await openModel(o.model);
    lines.push(
      `model ${resolve(o.model)}`,
      `config ${JSON.stringify(model.config)}`,
      `generator parameters ${model.generatorParameterCount().toLocaleString('en')}`,
      `discriminator parameters ${model.discriminator.countParams().toLocaleString('en')}`,
    );
    model.dispose();
  }
  console.log(lines.join('\n'));
}
