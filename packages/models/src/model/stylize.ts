import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';
import { assertFinite, formatMiB, timed } from '@tpfr/core/utils';
import { stackPeers, type TpfrStages } from '@tpfr/layers';
import { padToMultiple, toModelBatch, toPixelRange, type PixelRange } from './images.js';
import { fromModelRange, toModelRange } from './pixel-range.js';
import type { Latent, TpfrModel } from './model.js';
import { DEFAULT_MAP_BUDGET_BYTES, describePlan, type InferenceOptions, type InferencePlan } from '../inference/plan.js';
import { decodeByPlan, disposeCodes, encodeByPlan, recombineByPlan } from '../inference/run.js';
import { estimateStylizeMemory, MemoryBudgetError, type ExemplarSizes, type StylizeMemoryEstimate } from './memory-estimate.js';
import { authorsContentPad, centerCrop, cropBorder, reflectPad } from '../pipeline/geometry.js';
import { resizeShorterSide } from '../pipeline/resize.js';
import { minMaxStretch } from '../pipeline/stretch.js';

/**
 * The authors' test-time pipeline (nnaisense/conditional-style-transfer `test.py`) around the
 * network, for {@link StylizeOptions.pipeline}. `{ size: S }` alone is their `test.py` at
 * `loadSize = fineSize = S`.
 */
export interface StylizePipelineOptions {
  /**
   * `S`: the shorter side of the content and of every exemplar is resized to `S`, the longer to
   * `int(S · long / short)` (torchvision's `Resize(S, Image.BICUBIC)`, with Pillow's bicubic, bit
   * for bit; the images are taken as 8-bit, values rounded). The authors' `loadSize`. Omitted: no
   * resize (and no crop unless `crop` gives a size).
   */
  size?: number;
  /**
   * Centre crop after the resize (torchvision's `CenterCrop`, its rounding): `true` (the default
   * when `size` is given) crops `S × S`; a side or `[height, width]` crops that (the authors'
   * `fineSize`); `false` keeps the resized image whole.
   */
  crop?: boolean | number | [number, number];
  /**
   * Reflect pad of the content on every side before the network, cropped off its output:
   * `'authors'` (the default when `size` is given) is `8·⌊S/256⌋`; a number of pixels; 0 (the
   * default without `size`) pads nothing. Exemplars are never padded.
   */
  pad?: number | 'authors';
  /**
   * `true` (default): each result is min–max stretched to 0–255 over all its channels, as
   * `imageio.imwrite` writes a float image (see `minMaxStretch` with `unitInterval: 'imageio'`);
   * `false`: the plain mapping of [−1, 1] to 0–255 (clipped), as without the pipeline.
   */
  stretch?: boolean;
  /**
   * The exemplars' `S` when it differs from the content's (default: `size`): they are resized to
   * it and, with the default crop, centre-cropped to `styleSize × styleSize`. Their code then has
   * fewer pixels: the neighbour search's cost is proportional to it (e.g. content 1024, style 512).
   */
  styleSize?: number;
}

/** Options of {@link stylize}; the inference options say how large images run (see `planInference`). */
export interface StylizeOptions extends InferenceOptions {
  /** `'two-stage'` (default) or `'style-only'` (content code kept, one-stage PeerNets variant). */
  stages?: TpfrStages;
  /** Neighbours per pixel (default: the model's, 5). */
  k?: number;
  /**
   * Range of the input images: `'auto'` (default: int32 or any value > 1 means 0–255, else
   * −1…1), `'0-255'` or `'-1-1'`. The result comes back in the content image's range. On WebGPU,
   * give it for float32 images: `'auto'` would read the maximum back synchronously.
   */
  range?: PixelRange | 'auto';
  /**
   * Runs the authors' test-time pipeline around the network (resize, centre crop, content pad,
   * crop back, stretch): `{ size: 512 }` reproduces their `test.py` at 512. Omitted: the images go
   * in as they are (see {@link stylize}).
   */
  pipeline?: StylizePipelineOptions;
  /**
   * The call's memory budget: its plan keeps fewer and smaller maps on the backend (more stages in
   * bands) until its estimated peak ({@link estimateStylizeMemory}) fits; when none fits, the call
   * is refused before the networks allocate anything, with a {@link MemoryBudgetError} that gives
   * the estimate.
   */
  memoryBudgetBytes?: number;
  /**
   * Called with the call's memory estimate ({@link estimateStylizeMemory}, from the sizes the
   * networks will see, after any pipeline) before the networks run: to report it.
   */
  onMemoryEstimate?: (estimate: StylizeMemoryEstimate) => void;
}

/** A pipeline with every default filled in. */
interface ResolvedPipeline {
  size?: number;
  crop?: number | [number, number];
  pad: number;
  stretch: boolean;
  /** The resize and crop of the exemplars. */
  style: { size?: number; crop?: number | [number, number] };
}

function resolvePipeline(fn: string, p: StylizePipelineOptions): ResolvedPipeline {
  if (typeof p !== 'object' || p === null) throw new ValueError(fn, 'pipeline an object { size?, crop?, pad?, stretch? }', String(p));
  const { size } = p;
  if (size !== undefined && !(Number.isInteger(size) && size >= 1))
    throw new ValueError(fn, 'pipeline.size a positive integer', String(size));
  let crop: number | [number, number] | undefined;
  const c = p.crop ?? size !== undefined;
  if (c === true) {
    if (size === undefined) throw new ValueError(fn, 'pipeline.crop true only with pipeline.size (or a crop size)', 'no size');
    crop = size;
  } else if (c !== false) {
    const sides: unknown = typeof c === 'number' ? [c, c] : c;
    if (!Array.isArray(sides) || sides.length !== 2 || !sides.every((s) => Number.isInteger(s) && s >= 1)) {
      throw new ValueError(fn, 'pipeline.crop a boolean, a positive integer or [height, width]', JSON.stringify(c) ?? String(c));
    }
    crop = c as number | [number, number];
  }
  let pad: number;
  const pd = p.pad ?? (size !== undefined ? 'authors' : 0);
  if (pd === 'authors') {
    if (size === undefined) throw new ValueError(fn, "pipeline.pad 'authors' only with pipeline.size", "'authors' without a size");
    pad = authorsContentPad(size);
  } else if (Number.isInteger(pd) && pd >= 0) {
    pad = pd;
  } else {
    throw new ValueError(fn, "pipeline.pad 'authors' or an integer >= 0", JSON.stringify(pd) ?? String(pd));
  }
  const stretch = p.stretch ?? true;
  if (typeof stretch !== 'boolean') throw new ValueError(fn, 'pipeline.stretch a boolean', String(stretch));
  const { styleSize } = p;
  if (styleSize !== undefined && !(Number.isInteger(styleSize) && styleSize >= 1 && size !== undefined)) {
    throw new ValueError(fn, 'pipeline.styleSize a positive integer, with pipeline.size', String(styleSize));
  }
  const style = styleSize === undefined ? { size, crop } : { size: styleSize, crop: crop === size ? styleSize : crop };
  return { size, crop, pad, stretch, style };
}

/**
 * The network on model-range batches: the exemplars (resized to the first one's size) form one
 * pool, images are reflect-padded bottom/right to the network's multiple and cropped back.
 * @returns `[B, H, W, 3]`, the decoder's output (about [−1, 1], unclipped).
 */
function runNetwork(
  fn: string,
  model: TpfrModel,
  content: tf.Tensor4D,
  exemplars: tf.Tensor4D[] | EncodedExemplars,
  opts: StylizeOptions,
): tf.Tensor4D {
  const { multiple, minSide } = model.widths;
  // Before anything is allocated: the plan, and its memory estimate (reported, checked against the budget).
  const { plan, inference } = planCall(fn, model, content, exemplars, opts);
  return tf.tidy(() => {
    const { padded, height, width } = timed('prepare', () => padToMultiple(fn, content, multiple, minSide));
    const b = padded.shape[0];
    // Each code is freed as soon as it is used; very large codes wait in JS memory (see the plan).
    const zc = timed('encode content', () => encodeByPlan(model.encoder, padded, plan, { middle: false }));
    padded.dispose();
    const zs = Array.isArray(exemplars) ? timed('encode exemplars', () => encodePeerPool(fn, model, exemplars, inference)) : exemplars;
    // Every content sample meets the same P exemplars.
    const peers = { content: stackPeers(zs.content, b), style: stackPeers(zs.style, b) };
    // Stryker disable next-line ConditionalExpression,ArrayDeclaration: an early free inside this tidy, which frees the codes anyway
    if (Array.isArray(exemplars)) tf.dispose([zs.content, zs.style]);
    const recombine = { stages: opts.stages, k: opts.k };
    const z = timed('recombine', () => recombineByPlan(zc, plan, (rows) => model.recombine(rows, peers, recombine)));
    disposeCodes(zc);
    tf.dispose([peers.content, peers.style]);
    const image = timed('decode', () => decodeByPlan(model.mainDecoder, z, plan));
    disposeCodes(z);
    // A model whose weights hold NaN (or overflow) would give a NaN image, which encodes as black:
    // refuse it instead (one reduction; skipped where the backend cannot read synchronously).
    assertFinite(fn, "the network's output (NaN or infinite values: check the model's weights)", image);
    return tf.slice(image, [0, 0, 0, 0], [b, height, width, 3]) as tf.Tensor4D;
  });
}

/** The exemplars (model range, resized to the first one's size) as the codes of one peer pool. */
function encodePeerPool(fn: string, model: TpfrModel, exemplars: tf.Tensor4D[], opts: InferenceOptions): Pick<Latent, 'content' | 'style'> {
  const { multiple, minSide } = model.widths;
  const [eh, ew] = exemplars[0].shape.slice(1, 3);
  const style = tf.tidy(() => {
    const pool = tf.concat(
      exemplars.map((e) => (e.shape[1] === eh && e.shape[2] === ew ? e : tf.image.resizeBilinear(e, [eh, ew], true))),
      0,
    ) as tf.Tensor4D;
    return padToMultiple(fn, pool, multiple, minSide).padded;
  });
  try {
    return model.codes(style, inferenceOptions(opts));
  } finally {
    style.dispose();
  }
}

/**
 * Style exemplars encoded once, for many {@link stylize} calls with the same model: their content
 * codes `[P, h′, w′, Cc]` and style codes `[P, h′, w′, Cs]`. Made by {@link encodeExemplars};
 * `dispose()` frees them.
 */
export interface EncodedExemplars {
  readonly content: tf.Tensor4D;
  readonly style: tf.Tensor4D;
  /** The model they were encoded with (stylize refuses another). */
  readonly model: TpfrModel;
  dispose(): void;
}

/** Options of {@link encodeExemplars}: the exemplars' range and the pipeline's exemplar steps. */
export type EncodeExemplarsOptions = Pick<StylizeOptions, 'range' | 'pipeline' | 'mapBudgetBytes' | 'bands' | 'bandRows'>;

/**
 * Encodes style exemplars once, so that stylizing many content images with them skips their
 * encoder pass (`tpfr stylize` over several contents does this): `stylize(model, content,
 * encodeExemplars(model, styles))` equals `stylize(model, content, styles)`. With a `pipeline`,
 * its exemplar steps (resize and crop, `styleSize`) apply here, and `stylize` then applies only
 * the content's.
 * @param styles one or more exemplars, `[h, w, 3]` each or stacked `[P, h, w, 3]`, as {@link stylize} takes them.
 */
export function encodeExemplars(
  model: TpfrModel,
  styles: tf.Tensor3D | tf.Tensor4D | tf.Tensor3D[],
  opts: EncodeExemplarsOptions = {},
): EncodedExemplars {
  const fn = 'encodeExemplars';
  const list = Array.isArray(styles) ? styles : [styles];
  if (list.length === 0) throw new ValueError(fn, 'at least one style exemplar', 'an empty list');
  const pipeline = opts.pipeline === undefined ? undefined : resolvePipeline(fn, opts.pipeline);
  const owned: tf.Tensor4D[] = [];
  const pool: tf.Tensor4D[] = [];
  try {
    list.forEach((s, i) => {
      const e = toModelBatch(fn, `styles[${i}]`, s, opts.range ?? 'auto').batch;
      owned.push(e);
      const p = pipeline ? timed('pipeline: resize and crop', () => prepare(e, pipeline.style)) : e;
      if (p !== e) owned.push(p);
      pool.push(p);
    });
    const z = encodePeerPool(fn, model, pool, opts);
    return new EncodedExemplarSet(z.content, z.style, model);
  } finally {
    tf.dispose(owned);
  }
}

/** What {@link encodeExemplars} returns. */
class EncodedExemplarSet implements EncodedExemplars {
  constructor(
    readonly content: tf.Tensor4D,
    readonly style: tf.Tensor4D,
    readonly model: TpfrModel,
  ) {}
  dispose(): void {
    tf.dispose([this.content, this.style]);
  }
}

function isEncoded(x: unknown): x is EncodedExemplars {
  return x instanceof EncodedExemplarSet;
}

/**
 * The call's plan and its memory estimate, given to `opts.onMemoryEstimate`. With
 * `memoryBudgetBytes`, the first plan whose estimated peak fits it, halving the map budget (smaller
 * maps on the backend, more of them in bands) from the call's own down to bands of one row; throws
 * when none fits.
 * @returns the plan, and the inference options that give it (the exemplars are encoded with them).
 */
function planCall(
  fn: string,
  model: TpfrModel,
  input: tf.Tensor4D,
  pool: tf.Tensor4D[] | EncodedExemplars,
  opts: StylizeOptions,
): { plan: InferencePlan; inference: InferenceOptions } {
  const budget = opts.memoryBudgetBytes;
  if (budget !== undefined && !(budget > 0)) throw new ValueError(fn, 'memoryBudgetBytes > 0', String(budget));
  const [b, h, w] = input.shape;
  const sizes: ExemplarSizes = isEncoded(pool)
    ? { encoded: { pixels: pool.content.shape[0] * pool.content.shape[1] * pool.content.shape[2] } }
    : { images: pool.flatMap((p) => Array.from({ length: p.shape[0] }, () => [p.shape[1], p.shape[2]] as [number, number])) };
  let inference = inferenceOptions(opts);
  let e = estimateStylizeMemory(model, [h, w], sizes, { ...inference, k: opts.k, batch: b });
  if (budget !== undefined && inference.bands !== 'never') {
    let mapBudget = inference.mapBudgetBytes ?? DEFAULT_MAP_BUDGET_BYTES;
    // Down to bands of one row of a full-resolution map.
    const smallest = 8 * 4 * b * w * model.config.ngf;
    while (e.peakBytes > budget && mapBudget / 2 >= smallest) {
      mapBudget /= 2;
      const tighter = { ...inference, mapBudgetBytes: mapBudget };
      const next = estimateStylizeMemory(model, [h, w], sizes, { ...tighter, k: opts.k, batch: b });
      if (next.peakBytes < e.peakBytes) [e, inference] = [next, tighter];
    }
  }
  opts.onMemoryEstimate?.(e);
  if (budget !== undefined && e.peakBytes > budget) {
    const exemplars =
      'images' in sizes ? `${sizes.images.length} exemplar(s) of ${sizes.images[0][1]}×${sizes.images[0][0]}` : 'encoded exemplars';
    throw new MemoryBudgetError(
      fn,
      `a call within memoryBudgetBytes = ${formatMiB(budget)}`,
      `an estimated peak of ${formatMiB(e.peakBytes)} (in ${e.peakPhase}, ${describePlan(e.plan)}) for ${b > 1 ? `${b} contents` : 'a content'} of ${w}×${h} and ${exemplars}; use a smaller size or fewer exemplars`,
      e,
      budget,
    );
  }
  return { plan: e.plan, inference };
}

/** The inference options among `opts`. */
function inferenceOptions(opts: InferenceOptions): InferenceOptions {
  return { mapBudgetBytes: opts.mapBudgetBytes, bands: opts.bands, bandRows: opts.bandRows };
}

/**
 * The pipeline's input step for one image or batch (already in model range, as `toModelBatch`
 * gives it): to 8-bit levels, resized and centre-cropped, back to [−1, 1] as torchvision's
 * `ToTensor` + `Normalize(0.5, 0.5)` (`(x / 255 − 0.5) / 0.5`).
 */
function prepare(batch: tf.Tensor4D, p: { size?: number; crop?: number | [number, number] }): tf.Tensor4D {
  if (p.size === undefined && p.crop === undefined) return tf.clone(batch);
  let x: tf.Tensor4D = batch;
  const owned: tf.Tensor[] = [];
  try {
    if (p.size !== undefined) {
      const levels = tf.tidy(() => tf.cast(tf.round(fromModelRange(batch)), 'int32') as tf.Tensor4D);
      owned.push(levels);
      x = resizeShorterSide(levels, p.size);
      owned.push(x);
      if (p.crop !== undefined) {
        x = centerCrop(x, p.crop);
        owned.push(x);
      }
      const y = x;
      return tf.tidy(() => tf.div(tf.sub(tf.div(tf.cast(y, 'float32'), 255), 0.5), 0.5) as tf.Tensor4D);
    }
    return centerCrop(batch, p.crop as number | [number, number]);
  } finally {
    tf.dispose(owned);
  }
}

/**
 * Stylizes `content` in the style of the exemplars `styles`, zero-shot: the exemplars' latent
 * pixels form one peer pool, the TPFR layer recombines the content's code with it, and the main
 * decoder renders the result. Works at any image size: images are reflect-padded to the
 * network's multiple and the result cropped back; memory grows with the number of pixels, never
 * with their product (the neighbour search is streamed).
 *
 * With `opts.pipeline` the authors' test-time steps run around the network (`test.py`): content
 * and exemplars resized (shorter side to `S`, Pillow's bicubic) and centre-cropped, the content
 * reflect-padded by `8·⌊S/256⌋` and that pad cropped off the output, each result min–max stretched
 * to 0–255 as `imageio.imwrite` does. The result is then `S × S` (or the crop's size); exemplars
 * of different sizes after these steps are still resized to the first one's size.
 *
 * @param content `[H, W, 3]` or `[B, H, W, 3]`, 0–255 or −1…1 (see `range`).
 * @param styles one or more exemplars, `[h, w, 3]` each or stacked `[P, h, w, 3]`; exemplars of
 *   different sizes are resized to the first one's size. Or exemplars encoded once by
 *   {@link encodeExemplars}, for many content images.
 * @returns the stylized image(s), float32, same rank and range as `content`; same height and
 *   width too, unless a pipeline resizes or crops. With a stretching pipeline the values are
 *   whole levels 0–255 (or `level / 127.5 − 1` for content in −1…1).
 * @throws ValueError for content or exemplars holding NaN or infinite values, and when the
 *   network's output does (a model with NaN weights, say) rather than returning a NaN image.
 */
export function stylize(
  model: TpfrModel,
  content: tf.Tensor3D,
  styles: tf.Tensor3D | tf.Tensor4D | tf.Tensor3D[] | EncodedExemplars,
  opts?: StylizeOptions,
): tf.Tensor3D;
export function stylize(
  model: TpfrModel,
  content: tf.Tensor4D,
  styles: tf.Tensor3D | tf.Tensor4D | tf.Tensor3D[] | EncodedExemplars,
  opts?: StylizeOptions,
): tf.Tensor4D;
export function stylize(
  model: TpfrModel,
  content: tf.Tensor3D | tf.Tensor4D,
  styles: tf.Tensor3D | tf.Tensor4D | tf.Tensor3D[] | EncodedExemplars,
  opts?: StylizeOptions,
): tf.Tensor3D | tf.Tensor4D;
export function stylize(
  model: TpfrModel,
  content: tf.Tensor3D | tf.Tensor4D,
  styles: tf.Tensor3D | tf.Tensor4D | tf.Tensor3D[] | EncodedExemplars,
  opts: StylizeOptions = {},
): tf.Tensor3D | tf.Tensor4D {
  const fn = 'stylize';
  const encoded = isEncoded(styles) ? styles : undefined;
  if (encoded && encoded.model !== model)
    throw new ValueError(fn, 'exemplars encoded with this model', 'exemplars encoded with another model (encodeExemplars)');
  const list = encoded ? [] : Array.isArray(styles) ? styles : [styles as tf.Tensor3D | tf.Tensor4D];
  if (!encoded && list.length === 0) throw new ValueError(fn, 'at least one style exemplar', 'an empty list');
  const pipeline = opts.pipeline === undefined ? undefined : resolvePipeline(fn, opts.pipeline);
  const c = toModelBatch(fn, 'content', content, opts.range ?? 'auto');
  const exemplars: tf.Tensor4D[] = [];
  const owned: tf.Tensor[] = [c.batch];
  try {
    list.forEach((s, i) => {
      const e = toModelBatch(fn, `styles[${i}]`, s, opts.range ?? 'auto').batch;
      owned.push(e);
      exemplars.push(e);
    });
    if (!pipeline) {
      return tf.tidy(() => {
        const out = toPixelRange(runNetwork(fn, model, c.batch, encoded ?? exemplars, opts), c.range);
        return content.rank === 3 ? (tf.squeeze(out, [0]) as tf.Tensor3D) : out;
      });
    }
    const input = timed('pipeline: resize and crop', () => prepare(c.batch, pipeline));
    owned.push(input);
    const pool =
      encoded ??
      exemplars.map((e) => {
        const p = timed('pipeline: resize and crop', () => prepare(e, pipeline.style));
        owned.push(p);
        return p;
      });
    const padded = reflectPad(input, pipeline.pad);
    owned.push(padded);
    const raw = runNetwork(fn, model, padded, pool, opts);
    owned.push(raw);
    const image = cropBorder(raw, pipeline.pad);
    owned.push(image);
    let out: tf.Tensor4D;
    if (pipeline.stretch) {
      const levels = timed('pipeline: stretch', () => minMaxStretch(image, { unitInterval: 'imageio' }));
      owned.push(levels);
      out = tf.tidy(() => {
        const f = tf.cast(levels, 'float32');
        return (c.range === '0-255' ? f : toModelRange(f)) as tf.Tensor4D;
      });
    } else {
      out = toPixelRange(image, c.range);
    }
    if (content.rank === 4) return out;
    owned.push(out);
    return tf.squeeze(out, [0]) as tf.Tensor3D;
  } finally {
    tf.dispose(owned);
  }
}
