import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';
import { assertFinite, formatMiB, timed } from '@tpfr/core/utils';
import { stackPeers, type TpfrStages } from '@tpfr/layers';
import { padToMultiple, toModelBatch, toPixelRange, type PixelRange } from './images.js';
import { fromModelRange, toModelRange } from './pixel-range.js';
import type { HostCodes, Latent, PeerCodes, RecombineOptions, TpfrModel } from './model.js';
import { latentWidths } from './config.js';
import { hostMap, hostRows, writeHostRows } from './host-map.js';
import { BAND_THRESHOLD_BYTES } from './banded.js';
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

/** Options of {@link stylize}. */
export interface StylizeOptions {
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
   * Refuse the call, before the networks allocate anything, when its estimated peak memory
   * ({@link estimateStylizeMemory}) is above this many bytes. The error gives the estimate.
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
  if (size !== undefined && !(Number.isInteger(size) && size >= 1)) throw new ValueError(fn, 'pipeline.size a positive integer', String(size));
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
function runNetwork(fn: string, model: TpfrModel, content: tf.Tensor4D, exemplars: tf.Tensor4D[] | EncodedExemplars, opts: StylizeOptions): tf.Tensor4D {
  const { multiple, minSide } = model.widths;
  // Before anything is allocated: the memory estimate (reported, checked against the budget).
  checkBudget(fn, model, content, exemplars, opts);
  return tf.tidy(() => {
    const { padded, height, width } = timed('prepare', () => padToMultiple(fn, content, multiple, minSide));
    const b = padded.shape[0];
    // Very large images (above about 1500² with ngf 64): the codes stay in JS memory, each stage
    // reads and writes them band by band. Otherwise each code is freed as soon as it is used.
    const host = keepCodesOnHost(model, padded);
    const zc = timed('encode content', () => (host ? model.hostCodes(padded) : model.codes(padded)));
    padded.dispose();
    const zs = Array.isArray(exemplars) ? timed('encode exemplars', () => encodePool(fn, model, exemplars)) : exemplars;
    // Every content sample meets the same P exemplars.
    const peers = { content: stackPeers(zs.content, b), style: stackPeers(zs.style, b) };
    // Stryker disable next-line ConditionalExpression,ArrayDeclaration: an early free inside this tidy, which frees the codes anyway
    if (Array.isArray(exemplars)) tf.dispose([zs.content, zs.style]);
    const recombine = { stages: opts.stages, k: opts.k };
    let image: tf.Tensor4D;
    if (host) {
      const z = timed('recombine', () => recombineOnHost(model, zc as HostCodes, peers, recombine));
      tf.dispose([peers.content, peers.style]);
      image = timed('decode', () => model.decodeHost(z));
    } else {
      const z = timed('recombine', () => recombineInBands(model, zc as Pick<Latent, 'content' | 'style'>, peers, recombine));
      tf.dispose([peers.content, peers.style]);
      image = timed('decode', () => model.decode(z, 'main'));
      tf.dispose([z.content, z.style]);
    }
    // A model whose weights hold NaN (or overflow) would give a NaN image, which encodes as black:
    // refuse it instead (one reduction; skipped where the backend cannot read synchronously).
    assertFinite(fn, 'the network\'s output (NaN or infinite values: check the model\'s weights)', image);
    return tf.slice(image, [0, 0, 0, 0], [b, height, width, 3]) as tf.Tensor4D;
  });
}

/** The exemplars (model range, resized to the first one's size) as one pool's codes. */
function encodePool(fn: string, model: TpfrModel, exemplars: tf.Tensor4D[]): Pick<Latent, 'content' | 'style'> {
  const { multiple, minSide } = model.widths;
  const [eh, ew] = exemplars[0].shape.slice(1, 3);
  const style = tf.tidy(() => {
    const pool = tf.concat(exemplars.map((e) => (e.shape[1] === eh && e.shape[2] === ew ? e : tf.image.resizeBilinear(e, [eh, ew], true))), 0) as tf.Tensor4D;
    return padToMultiple(fn, pool, multiple, minSide).padded;
  });
  try {
    return model.codes(style);
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
export type EncodeExemplarsOptions = Pick<StylizeOptions, 'range' | 'pipeline'>;

/**
 * Encodes style exemplars once, so that stylizing many content images with them skips their
 * encoder pass (`tpfr stylize` over several contents does this): `stylize(model, content,
 * encodeExemplars(model, styles))` equals `stylize(model, content, styles)`. With a `pipeline`,
 * its exemplar steps (resize and crop, `styleSize`) apply here, and `stylize` then applies only
 * the content's.
 * @param styles one or more exemplars, `[h, w, 3]` each or stacked `[P, h, w, 3]`, as {@link stylize} takes them.
 */
export function encodeExemplars(model: TpfrModel, styles: tf.Tensor3D | tf.Tensor4D | tf.Tensor3D[], opts: EncodeExemplarsOptions = {}): EncodedExemplars {
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
    const z = encodePool(fn, model, pool);
    return new EncodedPool(z.content, z.style, model);
  } finally {
    tf.dispose(owned);
  }
}

/** What {@link encodeExemplars} returns. */
class EncodedPool implements EncodedExemplars {
  constructor(readonly content: tf.Tensor4D, readonly style: tf.Tensor4D, readonly model: TpfrModel) {}
  dispose(): void {
    tf.dispose([this.content, this.style]);
  }
}

function isEncoded(x: unknown): x is EncodedExemplars {
  return x instanceof EncodedPool;
}

/**
 * The call's memory estimate, given to `opts.onMemoryEstimate`; throws when `opts.memoryBudgetBytes`
 * is set and the estimated peak is above it.
 */
function checkBudget(fn: string, model: TpfrModel, input: tf.Tensor4D, pool: tf.Tensor4D[] | EncodedExemplars, opts: StylizeOptions): void {
  const budget = opts.memoryBudgetBytes;
  if (budget === undefined && !opts.onMemoryEstimate) return;
  if (budget !== undefined && !(budget > 0)) throw new ValueError(fn, 'memoryBudgetBytes > 0', String(budget));
  const [b, h, w] = input.shape;
  const sizes: ExemplarSizes = isEncoded(pool)
    ? { encoded: { pixels: pool.content.shape[0] * pool.content.shape[1] * pool.content.shape[2] } }
    : { images: pool.flatMap((p) => Array.from({ length: p.shape[0] }, () => [p.shape[1], p.shape[2]] as [number, number])) };
  const e = estimateStylizeMemory(model, [h, w], sizes, { k: opts.k, batch: b });
  opts.onMemoryEstimate?.(e);
  if (budget !== undefined && e.peakBytes > budget) {
    const exemplars = 'images' in sizes ? `${sizes.images.length} exemplar(s) of ${sizes.images[0][1]}×${sizes.images[0][0]}` : 'encoded exemplars';
    throw new MemoryBudgetError(fn, `a call within memoryBudgetBytes = ${formatMiB(budget)}`, `an estimated peak of ${formatMiB(e.peakBytes)} (in ${e.peakPhase}) for ${b > 1 ? `${b} contents` : 'a content'} of ${w}×${h} and ${exemplars}; use a smaller size or fewer exemplars`, e, budget);
  }
}

/** Bytes of latent rows each recombination call may take when the latent is large (32 MiB). */
const LATENT_BAND_BYTES = 32 * 2 ** 20;

/**
 * `model.recombine` over bands of latent rows when the latent is large (above the band-wise
 * inference threshold), else in one call. Each query pixel's result depends only on its own code
 * and the pool, so the bands give the whole call's result; the layer's temporaries then stay the
 * size of a band. Frees `z` (both codes) as it goes.
 */
function recombineInBands(model: TpfrModel, z: Pick<Latent, 'content' | 'style'>, peers: PeerCodes, opts: RecombineOptions): Pick<Latent, 'content' | 'style'> {
  const [b, h, w, cc] = z.content.shape;
  const cs = z.style.shape[3];
  const rowBytes = 4 * b * w * (cc + cs);
  // Stryker disable next-line all: an optimisation; one call or bands give the same result (each pixel's recombination depends only on its code and the pool), the choice bounds memory only
  if (rowBytes * h <= BAND_THRESHOLD_BYTES) {
    const out = model.recombine(z, peers, opts);
    tf.dispose([z.content, z.style]);
    return out;
  }
  const band = Math.max(1, Math.floor(LATENT_BAND_BYTES / rowBytes));
  const parts: Pick<Latent, 'content' | 'style'>[] = [];
  for (let r0 = 0; r0 < h; r0 += band) {
    const rows = Math.min(band, h - r0);
    const slice = (t: tf.Tensor4D) => tf.slice(t, [0, r0, 0, 0], [b, rows, w, t.shape[3]]);
    parts.push(tf.tidy(() => model.recombine({ content: slice(z.content), style: slice(z.style) }, peers, opts)));
  }
  tf.dispose([z.content, z.style]);
  const join = (key: 'content' | 'style') => {
    const x = tf.concat(parts.map((p) => p[key]), 1) as tf.Tensor4D;
    tf.dispose(parts.map((p) => p[key]));
    return x;
  };
  return { content: join('content'), style: join('style') };
}

/** Whether the codes of `images` `[B, H, W, 3]` would take more than the band threshold (and bands apply). */
function keepCodesOnHost(model: TpfrModel, images: tf.Tensor4D): boolean {
  if (!model.supportsBands) return false;
  const [b, h, w] = images.shape;
  const { content, style } = latentWidths(model.config);
  const pixels = (b * h * w) / 4 ** model.config.downsamplings;
  return 4 * pixels * (content + style) > BAND_THRESHOLD_BYTES;
}

/**
 * `model.recombine` of codes in JS memory, over bands of latent rows (see {@link recombineInBands}),
 * each band's result written back to JS memory.
 */
function recombineOnHost(model: TpfrModel, z: HostCodes, peers: PeerCodes, opts: RecombineOptions): HostCodes {
  const [b, h, w, cc] = z.content.shape;
  const cs = z.style.shape[3];
  const out: HostCodes = { content: hostMap([b, h, w, cc]), style: hostMap([b, h, w, cs]) };
  const band = Math.max(1, Math.floor(LATENT_BAND_BYTES / (4 * b * w * (cc + cs))));
  for (let r0 = 0; r0 < h; r0 += band) {
    const r1 = Math.min(h, r0 + band);
    tf.tidy(() => {
      const y = model.recombine({ content: hostRows(z.content, r0, r1), style: hostRows(z.style, r0, r1) }, peers, opts);
      writeHostRows(out.content, r0, y.content);
      writeHostRows(out.style, r0, y.style);
    });
  }
  return out;
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
export function stylize(model: TpfrModel, content: tf.Tensor3D, styles: tf.Tensor3D | tf.Tensor4D | tf.Tensor3D[] | EncodedExemplars, opts?: StylizeOptions): tf.Tensor3D;
export function stylize(model: TpfrModel, content: tf.Tensor4D, styles: tf.Tensor3D | tf.Tensor4D | tf.Tensor3D[] | EncodedExemplars, opts?: StylizeOptions): tf.Tensor4D;
export function stylize(model: TpfrModel, content: tf.Tensor3D | tf.Tensor4D, styles: tf.Tensor3D | tf.Tensor4D | tf.Tensor3D[] | EncodedExemplars, opts?: StylizeOptions): tf.Tensor3D | tf.Tensor4D;
export function stylize(model: TpfrModel, content: tf.Tensor3D | tf.Tensor4D, styles: tf.Tensor3D | tf.Tensor4D | tf.Tensor3D[] | EncodedExemplars, opts: StylizeOptions = {}): tf.Tensor3D | tf.Tensor4D {
  const fn = 'stylize';
  const encoded = isEncoded(styles) ? styles : undefined;
  if (encoded && encoded.model !== model) throw new ValueError(fn, 'exemplars encoded with this model', 'exemplars encoded with another model (encodeExemplars)');
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
    const pool = encoded ?? exemplars.map((e) => {
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
