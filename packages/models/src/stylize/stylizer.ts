import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';
import { canReadSync } from '@tpfr/core/internal';
import { assertFinite, timed } from '@tpfr/core/utils';
import { stackPeers } from '@tpfr/layers';
import { keepContentChroma } from '../controls/color.js';
import { codesAtStrength, combineCodes, mixCodes } from '../controls/mix.js';
import { regionWeights, uncoveredPixels } from '../controls/regions.js';
import { planInference, type InferenceOptions, type InferencePlan } from '../inference/plan.js';
import { decodeByPlan, disposeCodes, encodeByPlan, recombineByPlan, type StoredCodes } from '../inference/run.js';
import { padToMultiple, toModelBatch, toPixelRange, type PixelRange } from '../model/images.js';
import type { NeighbourGraph, TpfrModel } from '../model/model.js';
import { toModelRange } from '../model/pixel-range.js';
import { cropBorder, reflectPad } from '../pipeline/geometry.js';
import { minMaxStretch } from '../pipeline/stretch.js';
import { encodeGroups, inferenceOptions, isEncoded, type EncodedExemplars, type PoolCodes } from './exemplar-set.js';
import { resolveControls, checkStrength, type Controls, type StylizeOptions } from './options.js';
import { preparePipelineInput, resolvePipeline, type ResolvedPipeline } from './pipeline.js';
import { styleGroups, type StylesInput } from './styles.js';

/** Temporal coherence between the frames of a {@link Stylizer}. */
export interface CoherenceOptions {
  /** A pixel keeps last frame's neighbours while they are within `(1 + margin)` of its new k-th distance (default 0.05). */
  margin?: number;
  /**
   * Weight of last frame's recombined codes where the content did not change (default 0.5; 0:
   * none): a latent pixel whose content code moved by less than `stillness` (relative) takes
   * `smoothing · (1 − change / stillness)` of last frame's code.
   */
  smoothing?: number;
  /** Relative change of a latent pixel's content code under which it counts as unchanged (default 0.1). */
  stillness?: number;
}

/** The defaults of {@link CoherenceOptions}. */
export const DEFAULT_COHERENCE: Required<CoherenceOptions> = { margin: 0.05, smoothing: 0.5, stillness: 0.1 };

/** Options of {@link createStylizer}: those of `stylize`, and the frames' coherence. */
export interface StylizerOptions extends Omit<StylizeOptions, 'onMemoryEstimate'> {
  /**
   * Temporal coherence between frames (default `true`, with {@link DEFAULT_COHERENCE}): hysteresis
   * on each pixel's neighbour sets, and last frame's codes blended in where the content did not
   * change. `false`: every frame exactly as `stylize` would stylize it alone.
   */
  coherence?: boolean | CoherenceOptions;
  /** Keep the last frame's neighbour graphs for inspection ({@link Stylizer.lastGraph}; default false). */
  inspect?: boolean;
}

/** Options of one frame of {@link Stylizer.stylize}. */
export interface StylizeFrameOptions {
  /** How strongly to stylize this frame, in [0, 1] (default: the stylizer's `strength`). */
  strength?: number;
  /**
   * Neighbour graphs to replay instead of searching: per style that takes part, in the order of
   * {@link StylizerGraph.styles}, each stage's neighbours `[B, h, w, k]` (int32, rows of that
   * style's pool), as {@link Stylizer.lastGraph} gives them. The attention, mixing, coherence's
   * smoothing and decoding run as usual on them (no hysteresis: the graph is given), so a frame
   * stylized on one backend can be rendered on another and the two results compared where
   * near-ties of distances would otherwise pick other neighbours. Not freed by the stylizer.
   */
  neighbours?: tf.Tensor[][];
}

/** The last frame's neighbour graphs, per style (see {@link StylizerOptions.inspect}). */
export interface StylizerGraph {
  /** Per style that took part (its index among the styles), each stage's neighbours and weights `[B, h, w, k]`. */
  styles: { style: number; graph: NeighbourGraph }[];
  /** How the styles were mixed: one weight per style taking part, or per latent pixel `[S, h, w, 1]` (regions); null for one pool. */
  mix: number[] | tf.Tensor4D | null;
}

/**
 * Stylizes many images or frames with the same exemplars: they are encoded once (at creation,
 * or on the first frame with `preserveColor: 'histogram'`, which matches them to it), and each
 * frame costs one content encoding, the neighbour searches and one decoding. Every control of
 * `stylize` applies. Frames are kept coherent by default (see {@link StylizerOptions.coherence});
 * without coherence each result equals `stylize`'s.
 */
export interface Stylizer {
  /** The model it runs. */
  readonly model: TpfrModel;
  /**
   * Stylizes one image or frame `[H, W, 3]` (or a batch `[B, H, W, 3]`), in the range the options
   * say; returns the result in the frame's range and rank. `strength` overrides the options' for
   * this frame; `neighbours` replays graphs instead of searching (see {@link StylizeFrameOptions}).
   */
  stylize(frame: tf.Tensor3D, opts?: StylizeFrameOptions): tf.Tensor3D;
  stylize(frame: tf.Tensor4D, opts?: StylizeFrameOptions): tf.Tensor4D;
  stylize(frame: tf.Tensor3D | tf.Tensor4D, opts?: StylizeFrameOptions): tf.Tensor3D | tf.Tensor4D;
  /** The last frame again at another strength: one decoding, no encoding and no search (a strength slider). */
  restyle(strength: number): tf.Tensor3D | tf.Tensor4D;
  /** The last frame's neighbour graphs (with `inspect`), or null. Owned by the stylizer: valid until the next frame. */
  readonly lastGraph: StylizerGraph | null;
  /** Forgets the previous frame: the next one starts afresh (no coherence with what came before; histogram colours matched again). */
  reset(): void;
  /** Frees everything it holds (the exemplars' codes too, unless they were given encoded). */
  dispose(): void;
}

/** What the stylizer keeps of the last frame: its codes, to restyle and to stay coherent. */
interface LastFrame {
  /** The content's own codes and the recombined (mixed) ones, at the padded size. */
  own: StoredCodes;
  recombined: StoredCodes;
  /** Each style's graph (rows of its pool), per stage: for hysteresis and inspection. */
  graphs: (NeighbourGraph | null)[];
  /** What turns the decoder's output into the result. */
  finish: Finish;
  plan: InferencePlan;
}

/** The steps after the decoder, for one frame. */
interface Finish {
  /** The content as the network saw it (after the pipeline's resize, before any pad), model range. */
  input: tf.Tensor4D;
  height: number;
  width: number;
  range: PixelRange;
  rank: 3 | 4;
}

/** The coherence options, resolved (null: off). */
function resolveCoherence(fn: string, c: StylizerOptions['coherence']): Required<CoherenceOptions> | null {
  if (c === false) return null;
  const o = { ...DEFAULT_COHERENCE, ...(c === true || c === undefined ? {} : c) };
  for (const key of ['margin', 'smoothing', 'stillness'] as const) {
    const v = o[key];
    const ok = typeof v === 'number' && Number.isFinite(v) && v >= 0 && (key !== 'smoothing' || v <= 1) && (key !== 'stillness' || v > 0);
    if (!ok)
      throw new ValueError(fn, `coherence.${key} ${key === 'smoothing' ? 'in [0, 1]' : key === 'stillness' ? '> 0' : '>= 0'}`, String(v));
  }
  return o;
}

class FrameStylizer implements Stylizer {
  private readonly controls: Controls;
  private readonly pipeline?: ResolvedPipeline;
  private readonly inference: InferenceOptions;
  private readonly coherence: Required<CoherenceOptions> | null;
  /** Model-range exemplar groups kept for histogram matching (null once encoded for good). */
  private groups: tf.Tensor4D[][] | null;
  private codes: PoolCodes[] | null;
  private readonly ownsCodes: boolean;
  private last: LastFrame | null = null;
  private disposed = false;

  /**
   * @param names the function names errors give: of the creation and of each frame (`stylize`
   *   runs a stylizer of its own and names itself in both).
   */
  constructor(
    readonly model: TpfrModel,
    styles: StylesInput | EncodedExemplars,
    private readonly opts: StylizerOptions,
    private readonly names = { create: 'createStylizer', frame: 'Stylizer.stylize', restyle: 'Stylizer.restyle' },
  ) {
    const fn = names.create;
    this.coherence = resolveCoherence(fn, opts.coherence);
    this.pipeline = opts.pipeline === undefined ? undefined : resolvePipeline(fn, opts.pipeline);
    this.inference = inferenceOptions(opts);
    const encoded = isEncoded(styles) ? styles : undefined;
    if (encoded && encoded.model !== model)
      throw new ValueError(fn, 'exemplars encoded with this model', 'exemplars encoded with another model (encodeExemplars)');
    const perStyle = opts.styleWeights !== undefined || opts.masks !== undefined;
    if (encoded) {
      if (perStyle && !encoded.perStyle)
        throw new ValueError(
          fn,
          'exemplars encoded per style (encodeExemplars with perStyle: true) for styleWeights or masks',
          'one peer pool',
        );
      if (!perStyle && encoded.perStyle) throw new ValueError(fn, 'styleWeights or masks with exemplars encoded per style', 'neither');
      if (opts.preserveColor === 'histogram')
        throw new ValueError(
          fn,
          "the exemplars' images for preserveColor 'histogram' (it matches their colours to each content)",
          'encoded exemplars',
        );
      this.controls = resolveControls(fn, opts, encoded.styles.length);
      this.codes = [...encoded.styles];
      this.groups = null;
      this.ownsCodes = false;
      return;
    }
    const { groups, entries } = styleGroups(fn, styles as StylesInput, perStyle, opts.range ?? 'auto');
    try {
      this.controls = resolveControls(fn, opts, entries);
    } catch (e) {
      tf.dispose(groups.flat());
      throw e;
    }
    this.ownsCodes = true;
    if (this.controls.color === 'histogram') {
      this.groups = groups;
      this.codes = null;
    } else {
      this.groups = null;
      try {
        this.codes = encodeGroups(fn, model, groups, { ...this.inference, pipeline: this.pipeline });
      } catch (e) {
        this.controls.masks?.dispose();
        throw e;
      } finally {
        tf.dispose(groups.flat());
      }
    }
  }

  /** How the last frame's styles were mixed (see {@link StylizerGraph.mix}). */
  private lastMix: number[] | tf.Tensor4D | null = null;

  get lastGraph(): StylizerGraph | null {
    if (!this.opts.inspect || !this.last) return null;
    const styles = this.active().flatMap((style, i) => (this.last!.graphs[i] ? [{ style, graph: this.last!.graphs[i]! }] : []));
    return { styles, mix: this.lastMix };
  }

  /** The styles that take part: those of non-zero weight. */
  private active(): number[] {
    const w = this.controls.weights;
    return w ? w.flatMap((v, i) => (v > 0 ? [i] : [])) : [0];
  }

  stylize(frame: tf.Tensor3D, opts?: StylizeFrameOptions): tf.Tensor3D;
  stylize(frame: tf.Tensor4D, opts?: StylizeFrameOptions): tf.Tensor4D;
  stylize(frame: tf.Tensor3D | tf.Tensor4D, opts: StylizeFrameOptions = {}): tf.Tensor3D | tf.Tensor4D {
    const fn = this.names.frame;
    if (this.disposed) throw new ValueError(fn, 'a stylizer not disposed', 'a disposed one');
    const strength = opts.strength === undefined ? this.controls.strength : checkStrength(fn, opts.strength);
    const replay = this.checkReplay(fn, opts.neighbours);
    const c = toModelBatch(fn, 'content', frame, this.opts.range ?? 'auto');
    let input: tf.Tensor4D;
    try {
      input = this.pipeline ? timed('pipeline: resize and crop', () => preparePipelineInput(c.batch, this.pipeline!)) : tf.clone(c.batch);
    } finally {
      c.batch.dispose();
    }
    const finish: Finish = { input, height: input.shape[1], width: input.shape[2], range: c.range, rank: frame.rank as 3 | 4 };
    let keep = false;
    try {
      if (!this.codes) {
        const match = input;
        this.codes = encodeGroups(fn, this.model, this.groups!, { ...this.inference, pipeline: this.pipeline, matchTo: match });
      }
      const next = this.recombineFrame(fn, finish, replay);
      this.forgetLast();
      this.last = next;
      keep = true;
      return this.render(fn, next, strength);
    } finally {
      if (!keep) input.dispose();
    }
  }

  restyle(strength: number): tf.Tensor3D | tf.Tensor4D {
    const fn = this.names.restyle;
    if (!this.last) throw new ValueError(fn, 'a frame stylized first', 'no frame yet');
    return this.render(fn, this.last, checkStrength(fn, strength));
  }

  /** `neighbours` of a frame checked: one list of tensors per style that takes part (or undefined). */
  private checkReplay(fn: string, neighbours: unknown): tf.Tensor[][] | undefined {
    if (neighbours === undefined) return undefined;
    const styles = this.active().length;
    const ok =
      Array.isArray(neighbours) &&
      neighbours.length === styles &&
      neighbours.every((g) => Array.isArray(g) && g.length > 0 && g.every((t) => t instanceof tf.Tensor));
    if (!ok)
      throw new ValueError(
        fn,
        `neighbours: one graph per style taking part (${styles}), each a list of tensors [B, h, w, k] per stage`,
        Array.isArray(neighbours) ? `${neighbours.length} entr${neighbours.length === 1 ? 'y' : 'ies'}` : String(neighbours),
      );
    return neighbours as tf.Tensor[][];
  }

  /** The content encoded, recombined with each style and mixed: the frame's codes (new, owned by the result). */
  private recombineFrame(fn: string, finish: Finish, replay?: tf.Tensor[][]): LastFrame {
    const { model } = this;
    const pad = this.pipeline?.pad ?? 0;
    const { multiple, minSide } = model.widths;
    const padded = reflectPad(finish.input, pad);
    const { padded: x } = timed('prepare', () => padToMultiple(fn, padded, multiple, minSide));
    if (padded !== finish.input) padded.dispose();
    const plan = planInference(fn, model.config, [x.shape[0], x.shape[1], x.shape[2]], this.inference);
    const made: StoredCodes[] = [];
    try {
      const own = timed('encode content', () => encodeByPlan(model.encoder, x, plan, { middle: false }));
      made.push(own);
      x.dispose();
      const active = this.active();
      const coherence = this.coherence;
      const previous = this.last?.plan && this.sameShape(own) ? this.last : null;
      const graphs: (NeighbourGraph | null)[] = [];
      const parts = active.map((style, i) => {
        const pool = this.codes![this.codes!.length === 1 ? 0 : style];
        const b = own.content.shape[0];
        const peers = { content: stackPeers(pool.content, b), style: stackPeers(pool.style, b) };
        const keepGraph = coherence !== null || this.opts.inspect === true;
        const bands: NeighbourGraph[] = [];
        try {
          const z = timed('recombine', () =>
            recombineByPlan(own, plan, (rows, r0, r1) => {
              const prior = previous?.graphs[i];
              // A graph of another height goes whole to the layer, whose check names its shape.
              const given = replay?.[i].map((t) => (t.shape[1] === own.content.shape[1] ? sliceRows(t, r0, r1) : t));
              const hysteresis =
                coherence && prior && !given
                  ? { previous: prior.indices.map((t) => sliceRows(t, r0, r1)), margin: coherence.margin }
                  : undefined;
              const r = model.recombine(rows, peers, {
                stages: this.opts.stages,
                k: this.opts.k,
                hysteresis,
                neighbours: given,
                graph: keepGraph,
              });
              if (r.graph) bands.push({ indices: r.graph.indices.map((t) => tf.keep(t)), weights: r.graph.weights.map((t) => tf.keep(t)) });
              return { content: r.content, style: r.style };
            }),
          );
          graphs.push(keepGraph ? joinGraphs(bands) : null);
          return z;
        } finally {
          tf.dispose([peers.content, peers.style]);
          tf.dispose(bands.flatMap((g) => [...g.indices, ...g.weights]));
        }
      });
      made.push(...parts);
      const rows = plan.recombineRows;
      let recombined: StoredCodes;
      this.forgetMix();
      if (this.controls.masks) {
        const weights = this.regionMix(fn, active, finish, pad);
        recombined = timed('mix styles', () => mixCodes(parts, weights, rows));
        if (this.opts.inspect) this.lastMix = weights;
        else weights.dispose();
      } else if (parts.length > 1) {
        const w = active.map((i) => this.controls.weights![i]);
        const total = w.reduce((a, v) => a + v, 0);
        const normalized = w.map((v) => v / total);
        recombined = timed('mix styles', () => mixCodes(parts, normalized, rows));
        this.lastMix = normalized;
      } else {
        recombined = parts[0];
        if (this.controls.weights) this.lastMix = [1];
      }
      for (const p of parts) if (p !== recombined) disposeCodes(p);
      made.length = 0;
      if (coherence && previous && coherence.smoothing > 0) {
        const smoothed = timed('coherence', () => smoothCodes(own, previous.own, recombined, previous.recombined, coherence, rows));
        disposeCodes(recombined);
        recombined = smoothed;
      }
      return { own, recombined, graphs, finish, plan };
    } catch (e) {
      made.forEach(disposeCodes);
      if (!x.isDisposed) x.dispose();
      throw e;
    }
  }

  /** Whether the last frame's codes have the shape of these (else coherence restarts). */
  private sameShape(own: StoredCodes): boolean {
    const prev = this.last?.own.content.shape;
    return prev?.every((d, i) => d === own.content.shape[i]) ?? false;
  }

  /**
   * The styles' weights per latent pixel from their masks: resized to the content as the network
   * sees it, padded as it is, checked for pixels no style covers (where the backend reads back).
   */
  private regionMix(fn: string, active: number[], finish: Finish, pad: number): tf.Tensor4D {
    const masks = this.controls.masks!;
    const weights = active.map((i) => this.controls.weights![i]);
    return tf.tidy(() => {
      const [, h, w] = finish.input.shape;
      const picked = tf.gather(masks, active);
      const resized = tf.image.resizeBilinear(picked, [h, w], true) as tf.Tensor4D;
      if (canReadSync()) {
        const all = tf.image.resizeBilinear(masks, [h, w], true) as tf.Tensor4D;
        const uncovered = uncoveredPixels(all, this.controls.weights!);
        if (uncovered) {
          const { count, rows, columns } = uncovered;
          throw new ValueError(
            fn,
            'masks that give every content pixel a style (white where a style applies, times its weight above 0)',
            `${count} content pixel(s) with none, in rows ${rows[0]}–${rows[1]} and columns ${columns[0]}–${columns[1]} of the ${w}×${h} content`,
          );
        }
      }
      // Padded as the content is: the pipeline's pad on every side, then the multiple's at the bottom and right.
      const padded =
        pad > 0
          ? (tf.mirrorPad(
              resized,
              [
                [0, 0],
                [pad, pad],
                [pad, pad],
                [0, 0],
              ],
              'reflect',
            ) as tf.Tensor4D)
          : resized;
      const { padded: full } = padToMultiple(fn, padded, this.model.widths.multiple, 1);
      return regionWeights(full, this.model.widths.multiple, weights);
    });
  }

  /** Decodes a frame's codes at `strength` and finishes the result (crop, colour, pipeline, range). */
  private render(fn: string, frame: LastFrame, strength: number): tf.Tensor3D | tf.Tensor4D {
    const { model } = this;
    const rows = frame.plan.recombineRows;
    const z = strength === 1 ? frame.recombined : codesAtStrength(frame.own, frame.recombined, strength, rows);
    let image: tf.Tensor4D;
    try {
      image = timed('decode', () => decodeByPlan(model.mainDecoder, z, frame.plan));
    } finally {
      if (z !== frame.recombined) disposeCodes(z);
    }
    const f = frame.finish;
    try {
      return tf.tidy(() => {
        // A model whose weights hold NaN (or overflow) would give a NaN image, which encodes as black:
        // refuse it instead (one reduction; skipped where the backend cannot read synchronously).
        assertFinite(fn, "the network's output (NaN or infinite values: check the model's weights)", image);
        const pad = this.pipeline?.pad ?? 0;
        let out = cropBorder(tf.slice(image, [0, 0, 0, 0], [image.shape[0], f.height + 2 * pad, f.width + 2 * pad, 3]) as tf.Tensor4D, pad);
        if (this.controls.color === 'luminance') out = timed('preserve colour', () => keepContentChroma(out, f.input) as tf.Tensor4D);
        let result: tf.Tensor4D;
        if (this.pipeline?.stretch) {
          const levels = timed('pipeline: stretch', () => minMaxStretch(out, { unitInterval: 'imageio' }));
          const fl = tf.cast(levels, 'float32');
          result = (f.range === '0-255' ? fl : toModelRange(fl)) as tf.Tensor4D;
        } else {
          result = toPixelRange(out, f.range);
        }
        return f.rank === 3 ? (tf.squeeze(result, [0]) as tf.Tensor3D) : result;
      });
    } finally {
      image.dispose();
    }
  }

  private forgetLast(): void {
    if (!this.last) return;
    disposeCodes(this.last.own);
    disposeCodes(this.last.recombined);
    tf.dispose(this.last.graphs.flatMap((g) => (g ? [...g.indices, ...g.weights] : [])));
    this.last.finish.input.dispose();
    this.last = null;
  }

  private forgetMix(): void {
    if (this.lastMix && !Array.isArray(this.lastMix)) this.lastMix.dispose();
    this.lastMix = null;
  }

  reset(): void {
    this.forgetLast();
    this.forgetMix();
    if (this.controls.color === 'histogram' && this.codes) {
      tf.dispose(this.codes.flatMap((p) => [p.content, p.style]));
      this.codes = null;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.reset();
    this.disposed = true;
    if (this.ownsCodes && this.codes) tf.dispose(this.codes.flatMap((p) => [p.content, p.style]));
    this.codes = null;
    if (this.groups) tf.dispose(this.groups.flat());
    this.groups = null;
    this.controls.masks?.dispose();
  }
}

/** Rows `[r0, r1)` of a graph map `[B, h, w, k]`. */
function sliceRows(t: tf.Tensor, r0: number, r1: number): tf.Tensor {
  return r0 === 0 && r1 === t.shape[1] ? t : tf.slice(t, [0, r0, 0, 0], [t.shape[0], r1 - r0, t.shape[2]!, t.shape[3]!]);
}

/** The bands' graphs joined along the rows (new tensors). */
function joinGraphs(bands: NeighbourGraph[]): NeighbourGraph {
  const join = (key: 'indices' | 'weights') =>
    bands[0][key].map((_, s) =>
      bands.length === 1
        ? tf.clone(bands[0][key][s])
        : (tf.concat(
            bands.map((b) => b[key][s]),
            1,
          ) as tf.Tensor4D),
    );
  return { indices: join('indices'), weights: join('weights') };
}

/**
 * Last frame's recombined codes blended into this frame's where the content's codes did not
 * change: per latent pixel, `α = smoothing · max(0, 1 − change / stillness)` with `change` the
 * relative change of the content code, and `z ← z + α · (z_prev − z)`.
 */
function smoothCodes(
  own: StoredCodes,
  ownBefore: StoredCodes,
  z: StoredCodes,
  zBefore: StoredCodes,
  o: Required<CoherenceOptions>,
  rows: number,
): StoredCodes {
  return combineCodes([own, ownBefore, z, zBefore], rows, ([c, cb, r, rb]) =>
    tf.tidy(() => {
      const change = tf.div(
        tf.norm(tf.sub(c.content, cb.content), 'euclidean', -1, true),
        tf.add(tf.norm(cb.content, 'euclidean', -1, true), 1e-6),
      );
      const alpha = tf.mul(tf.relu(tf.sub(1, tf.div(change, o.stillness))), o.smoothing);
      const blend = (now: tf.Tensor4D, before: tf.Tensor4D) => tf.add(now, tf.mul(tf.sub(before, now), alpha)) as tf.Tensor4D;
      return { content: blend(r.content, rb.content), style: blend(r.style, rb.style) };
    }),
  );
}

/**
 * A stylizer for many images or the frames of a video with the same exemplars (see
 * {@link Stylizer}): `createStylizer(model, paintings).stylize(frame)` for each frame, then
 * `dispose()`.
 * @param styles as `stylize` takes them, or exemplars encoded by `encodeExemplars` (not freed by the stylizer).
 */
export function createStylizer(model: TpfrModel, styles: StylesInput | EncodedExemplars, opts: StylizerOptions = {}): Stylizer {
  return new FrameStylizer(model, styles, opts);
}

/** A stylizer whose errors name `fn` (what `stylize` runs for one call). */
export function stylizerNamed(fn: string, model: TpfrModel, styles: StylesInput | EncodedExemplars, opts: StylizerOptions): Stylizer {
  return new FrameStylizer(model, styles, opts, { create: fn, frame: fn, restyle: fn });
}
