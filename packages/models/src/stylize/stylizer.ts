import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';
import { canReadSync } from '@tpfr/core/internal';
import { assertFinite, holdWinogradFilters, timed } from '@tpfr/core/utils';
import { stackPeers } from '@tpfr/layers';
import { keepContentChroma } from '../controls/color.js';
import { codesAtStrength, mixCodes } from '../controls/mix.js';
import { regionWeights, uncoveredPixels } from '../controls/regions.js';
import { planInference, type InferenceOptions, type InferencePlan } from '../inference/plan.js';
import { decodeByPlan, disposeCodes, encodeByPlan, recombineByPlan, type StoredCodes } from '../inference/run.js';
import { padToMultiple, toModelBatch, toPixelRange, type PixelRange } from '../model/images.js';
import type { NeighbourGraph, TpfrModel } from '../model/model.js';
import { toModelRange } from '../model/pixel-range.js';
import { cropBorder, reflectPad } from '../pipeline/geometry.js';
import { minMaxStretch } from '../pipeline/stretch.js';
import {
  encodeGroups,
  inferenceOptions,
  isEncoded,
  peerPoolImages,
  prepareExemplars,
  type EncodedExemplars,
  type PoolCodes,
} from './exemplar-set.js';
import { jointEncodePlan } from '../inference/joint-plan.js';
import { resolveControls, checkStrength, type Controls } from './options.js';
import { preparePipelineInput, resolvePipeline, type ResolvedPipeline } from './pipeline.js';
import { styleGroups, type StylesInput } from './styles.js';
import { holdCodes, holdGraph, holdReference, resolveCoherence, stillPixels } from './coherence.js';
import type { CoherenceOptions, Stylizer, StylizeFrameOptions, StylizerGraph, StylizerOptions } from './stylizer-types.js';

export type { CoherenceOptions, Stylizer, StylizeFrameOptions, StylizerGraph, StylizerOptions } from './stylizer-types.js';

/** What the stylizer keeps of the last frame: its codes, to restyle and to stay coherent. */
interface LastFrame {
  /** The content's own codes and the recombined (mixed) ones, at the padded size. */
  own: StoredCodes;
  recombined: StoredCodes;
  /** Each style's graph (rows of its pool), per stage: for hysteresis and inspection. */
  graphs: (NeighbourGraph | null)[];
  /**
   * The input each latent pixel's codes were computed on (the padded frame `[B, H, W, 3]`, model
   * range): a still pixel keeps its codes until its input moves away from this (coherence).
   */
  reference: tf.Tensor4D | null;
  /** `[B, h, w, 1]`: 1 where the latent pixel was still and held (coherence), or null. */
  still: tf.Tensor4D | null;
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
  /** Lets go of the convolutions' transformed filters, kept from the first frame on (frames only). */
  private releaseFilters: (() => void) | null = null;

  /**
   * @param names the function names errors give: of the creation and of each frame (`stylize`
   *   runs a stylizer of its own and names itself in both).
   */
  constructor(
    readonly model: TpfrModel,
    styles: StylesInput | EncodedExemplars,
    private readonly opts: StylizerOptions,
    private readonly names = { create: 'createStylizer', frame: 'Stylizer.stylize', restyle: 'Stylizer.restyle' },
    /** One image, then disposed (`stylize`): every code is freed as soon as it has been used. */
    private readonly oneShot = false,
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
    if (this.controls.color === 'histogram' || (oneShot && !perStyle && groups.length === 1)) {
      // Encoded with the first frame: its colours matched to it (histogram), or in one batch with it (one shot).
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
    // The same filters convolve every frame: their Winograd transforms are kept until dispose().
    if (!this.oneShot && !this.disposed) this.releaseFilters ??= holdWinogradFilters();
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
      if (!this.codes && this.controls.color === 'histogram') {
        const match = input;
        this.codes = encodeGroups(fn, this.model, this.groups!, { ...this.inference, pipeline: this.pipeline, matchTo: match });
        // Kept past a tf.tidy the caller may run this frame in.
        for (const p of this.codes) tf.keep(p.content) && tf.keep(p.style);
      }
      const next = this.recombineFrame(fn, finish, replay);
      if (this.oneShot) {
        // One image and done (`stylize`): nothing is kept for a next frame, so the codes go as soon as they are used.
        keep = true;
        return this.render(fn, next, strength, true);
      }
      this.forgetLast();
      this.last = keepFrame(next);
      if (this.lastMix && !Array.isArray(this.lastMix)) tf.keep(this.lastMix);
      keep = true;
      return this.render(fn, next, strength, false, this.coherence !== null);
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
    let x: tf.Tensor4D;
    try {
      x = timed('prepare', () => padToMultiple(fn, padded, multiple, minSide)).padded;
    } finally {
      if (padded !== finish.input) padded.dispose();
    }
    const plan = planInference(fn, model.config, [x.shape[0], x.shape[1], x.shape[2]], this.inference);
    const made: StoredCodes[] = [];
    let still: tf.Tensor4D | null = null;
    try {
      // A one-shot call's pool is encoded now: with the content where they fit one batch.
      const together = this.codes ? null : this.encodePool(fn, x);
      let own = together ?? timed('encode content', () => encodeByPlan(model.encoder, x, plan, { middle: false }));
      made.push(own);
      const active = this.active();
      const coherence = this.coherence;
      const previous = this.last?.plan && this.sameShape(own) ? this.last : null;
      // Coherence: the latent pixels whose input did not move (beyond its noise) since their codes were computed.
      still =
        coherence && coherence.stillness > 0 && previous?.reference
          ? timed('coherence', () => stillPixels(x, previous.reference!, multiple, coherence.stillness))
          : null;
      const graphs: (NeighbourGraph | null)[] = [];
      const parts = active.map((style, i) => {
        const pool = this.codes![this.codes!.length === 1 ? 0 : style];
        const b = own.content.shape[0];
        const peers = { content: stackPeers(pool.content, b), style: stackPeers(pool.style, b) };
        // A one-shot call needs each pool's codes once: freed as soon as its peers are stacked.
        if (this.oneShot && this.ownsCodes) tf.dispose([pool.content, pool.style]);
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
      if (this.oneShot && this.ownsCodes) this.codes = null;
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
      let reference: tf.Tensor4D | null = coherence ? x : null;
      if (still && previous) {
        // Still pixels keep their codes, their graphs and the input they were computed on.
        const held = timed('coherence', () => {
          const keep = (now: StoredCodes, before: StoredCodes) => holdCodes(still!, now, before, rows);
          return { own: keep(own, previous.own), recombined: keep(recombined, previous.recombined) };
        });
        disposeCodes(own);
        disposeCodes(recombined);
        [own, recombined] = [held.own, held.recombined];
        graphs.forEach((g, i) => {
          const prior = previous.graphs[i];
          if (g && prior) graphs[i] = holdGraph(still!, g, prior);
        });
        reference = holdReference(still!, x, previous.reference!, multiple);
        x.dispose();
      } else if (!coherence) {
        x.dispose();
      }
      return { own, recombined, graphs, finish, plan, reference, still };
    } catch (e) {
      made.forEach(disposeCodes);
      if (!x.isDisposed) x.dispose();
      still?.dispose();
      throw e;
    }
  }

  /**
   * A one-shot call's pool encoded (`this.codes`), in one encoder batch with the content `x` where
   * {@link jointEncodePlan} allows: then the content's codes too, else null (the content is
   * encoded on its own). Frees the exemplars.
   */
  private encodePool(fn: string, x: tf.Tensor4D): StoredCodes | null {
    const { model } = this;
    const group = this.groups![0];
    this.groups = null;
    try {
      const prepared = prepareExemplars(group, { pipeline: this.pipeline });
      let pool: tf.Tensor4D;
      try {
        pool = peerPoolImages(fn, model, prepared);
      } finally {
        tf.dispose(prepared.filter((p, i) => p !== group[i]));
      }
      try {
        const [b, h, w] = x.shape;
        const joint = jointEncodePlan(model.config, [b, h, w], [pool.shape[0], pool.shape[1], pool.shape[2]], this.inference);
        if (!joint) {
          this.codes = [timed('encode exemplars', () => model.codes(pool, this.inference))];
          return null;
        }
        return timed('encode content and exemplars', () =>
          tf.tidy(() => {
            const { content, style } = encodeByPlan(model.encoder, tf.concat([x, pool], 0) as tf.Tensor4D, joint, { middle: false }) as {
              content: tf.Tensor4D;
              style: tf.Tensor4D;
            };
            const rows = (t: tf.Tensor4D, from: number, count: number) => tf.slice(t, [from, 0, 0, 0], [count, -1, -1, -1]) as tf.Tensor4D;
            const p = pool.shape[0];
            this.codes = [{ content: tf.keep(rows(content, b, p)), style: tf.keep(rows(style, b, p)) }];
            return { content: rows(content, 0, b), style: rows(style, 0, b) };
          }),
        );
      } finally {
        pool.dispose();
      }
    } finally {
      tf.dispose(group);
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

  /**
   * Decodes a frame's codes at `strength` and finishes the result (crop, colour, pipeline, range).
   * With `release`, the frame is freed as it goes (its codes before the decoder runs).
   */
  private render(fn: string, frame: LastFrame, strength: number, release = false, hold = false): tf.Tensor3D | tf.Tensor4D {
    const { model } = this;
    const rows = frame.plan.recombineRows;
    const z = strength === 1 ? frame.recombined : codesAtStrength(frame.own, frame.recombined, strength, rows);
    if (release) {
      disposeCodes(frame.own);
      if (z !== frame.recombined) disposeCodes(frame.recombined);
      tf.dispose(frame.graphs.flatMap((g) => (g ? [...g.indices, ...g.weights] : [])));
      frame.reference?.dispose();
      frame.still?.dispose();
    }
    let image: tf.Tensor4D;
    try {
      image = timed('decode', () => decodeByPlan(model.mainDecoder, z, frame.plan));
    } finally {
      if (z !== frame.recombined || release) disposeCodes(z);
    }
    if (hold) image = this.holdImage(frame, image);
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
      if (release) f.input.dispose();
    }
  }

  /** The last frame's decoded image (padded, model range): still pixels keep it (coherence). */
  private lastImage: tf.Tensor4D | null = null;

  /**
   * A frame's decoded image with last frame's pixels kept under its still latent pixels (the
   * decoder's instance norms see the whole image, so a still region's output would otherwise move
   * with the rest); remembered for the next frame. Frees `image` when it returns another.
   */
  private holdImage(frame: LastFrame, image: tf.Tensor4D): tf.Tensor4D {
    const before = this.lastImage;
    let out = image;
    if (frame.still && before?.shape.every((d, i) => d === image.shape[i])) {
      const multiple = this.model.widths.multiple;
      out = tf.tidy(() => {
        const [, h, w] = frame.still!.shape;
        const m = tf.cast(tf.image.resizeNearestNeighbor(frame.still!, [h * multiple, w * multiple]), 'bool');
        return tf.where(tf.broadcastTo(m, image.shape), before, image) as tf.Tensor4D;
      });
      image.dispose();
    }
    before?.dispose();
    this.lastImage = tf.keep(tf.clone(out));
    return out;
  }

  private forgetLast(): void {
    if (!this.last) return;
    disposeCodes(this.last.own);
    disposeCodes(this.last.recombined);
    tf.dispose(this.last.graphs.flatMap((g) => (g ? [...g.indices, ...g.weights] : [])));
    this.last.finish.input.dispose();
    this.last.reference?.dispose();
    this.last.still?.dispose();
    this.last = null;
  }

  private forgetMix(): void {
    if (this.lastMix && !Array.isArray(this.lastMix)) this.lastMix.dispose();
    this.lastMix = null;
  }

  reset(): void {
    this.forgetLast();
    this.forgetMix();
    this.lastImage?.dispose();
    this.lastImage = null;
    if (this.controls.color === 'histogram' && this.codes) {
      tf.dispose(this.codes.flatMap((p) => [p.content, p.style]));
      this.codes = null;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.reset();
    this.disposed = true;
    this.releaseFilters?.();
    this.releaseFilters = null;
    if (this.ownsCodes && this.codes) tf.dispose(this.codes.flatMap((p) => [p.content, p.style]));
    this.codes = null;
    if (this.groups) tf.dispose(this.groups.flat());
    this.groups = null;
    this.controls.masks?.dispose();
  }
}

/** The frame's tensors kept past any tf.tidy the caller runs `stylize` in (the stylizer frees them itself). */
function keepFrame(frame: LastFrame): LastFrame {
  const codes = [frame.own, frame.recombined].flatMap((c) => [c.content, c.style]).filter((m): m is tf.Tensor4D => m instanceof tf.Tensor);
  const graphs = frame.graphs.flatMap((g) => (g ? [...g.indices, ...g.weights] : []));
  const extra = [frame.reference, frame.still].filter((t): t is tf.Tensor4D => t !== null);
  for (const t of [...codes, ...graphs, frame.finish.input, ...extra]) tf.keep(t);
  return frame;
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
 * A stylizer for many images or the frames of a video with the same exemplars (see
 * {@link Stylizer}): `createStylizer(model, paintings).stylize(frame)` for each frame, then
 * `dispose()`.
 * @param styles as `stylize` takes them, or exemplars encoded by `encodeExemplars` (not freed by the stylizer).
 */
export function createStylizer(model: TpfrModel, styles: StylesInput | EncodedExemplars, opts: StylizerOptions = {}): Stylizer {
  return new FrameStylizer(model, styles, opts);
}

/** A one-shot stylizer whose errors name `fn` (what `stylize` runs for one call): it frees each code as soon as it is used. */
export function stylizerNamed(fn: string, model: TpfrModel, styles: StylesInput | EncodedExemplars, opts: StylizerOptions): Stylizer {
  return new FrameStylizer(model, styles, opts, { create: fn, frame: fn, restyle: fn }, true);
}
