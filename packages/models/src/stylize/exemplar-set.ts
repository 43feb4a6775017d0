import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';
import { timed } from '@tpfr/core/utils';
import { matchColors } from '../controls/color.js';
import type { InferenceOptions } from '../inference/plan.js';
import { padToMultiple } from '../model/images.js';
import type { Latent, TpfrModel } from '../model/model.js';
import type { StylizeOptions } from './options.js';
import { preparePipelineInput, resolvePipeline, type ResolvedPipeline } from './pipeline.js';
import { styleGroups, type StylesInput } from './styles.js';

/** The codes of one peer pool: content `[P, h′, w′, Cc]` and style `[P, h′, w′, Cs]`. */
export type PoolCodes = Pick<Latent, 'content' | 'style'>;

/**
 * Style exemplars encoded once, for many {@link stylize} calls (or frames) with the same model:
 * the codes of one peer pool of every exemplar, or of each style on its own (`perStyle`, for
 * style weights and regions). Made by {@link encodeExemplars}; `dispose()` frees them.
 */
export interface EncodedExemplars {
  /** The model they were encoded with (stylize refuses another). */
  readonly model: TpfrModel;
  /** Each style's codes (`perStyle`), or one entry: the pool of every exemplar. */
  readonly styles: readonly PoolCodes[];
  /** Whether each entry of the styles was encoded as a style of its own. */
  readonly perStyle: boolean;
  dispose(): void;
}

/** Options of {@link encodeExemplars}: the exemplars' range, the pipeline's exemplar steps, how large images run. */
export interface EncodeExemplarsOptions extends Pick<StylizeOptions, 'range' | 'pipeline' | 'mapBudgetBytes' | 'bands' | 'bandRows'> {
  /** Encode each entry of `styles` as a style of its own, for `styleWeights` and `masks` (default false: one peer pool). */
  perStyle?: boolean;
}

/** What {@link encodeExemplars} returns. */
export class EncodedExemplarSet implements EncodedExemplars {
  constructor(
    readonly model: TpfrModel,
    readonly styles: readonly PoolCodes[],
    readonly perStyle: boolean,
  ) {}
  dispose(): void {
    tf.dispose(this.styles.flatMap((s) => [s.content, s.style]));
  }
}

/** Whether `x` was made by {@link encodeExemplars}. */
export function isEncoded(x: unknown): x is EncodedExemplars {
  return x instanceof EncodedExemplarSet;
}

/** The inference options among `opts`. */
export function inferenceOptions(opts: InferenceOptions): InferenceOptions {
  return { mapBudgetBytes: opts.mapBudgetBytes, bands: opts.bands, bandRows: opts.bandRows };
}

/**
 * One pool's exemplars (model range `[n, h, w, 3]` each) as the encoder takes them: resized to the
 * first one's size, stacked `[P, h, w, 3]` and padded to the network's multiple (a new tensor).
 */
export function peerPoolImages(fn: string, model: TpfrModel, exemplars: tf.Tensor4D[]): tf.Tensor4D {
  const { multiple, minSide } = model.widths;
  const [eh, ew] = exemplars[0].shape.slice(1, 3);
  return tf.tidy(() => {
    const pool = tf.concat(
      exemplars.map((e) => (e.shape[1] === eh && e.shape[2] === ew ? e : tf.image.resizeBilinear(e, [eh, ew], true))),
      0,
    ) as tf.Tensor4D;
    return padToMultiple(fn, pool, multiple, minSide).padded;
  });
}

/**
 * One pool's exemplars (model range `[n, h, w, 3]` each, resized to the first one's size) as the
 * codes of one peer pool.
 */
export function encodePeerPool(fn: string, model: TpfrModel, exemplars: tf.Tensor4D[], opts: InferenceOptions): PoolCodes {
  const style = peerPoolImages(fn, model, exemplars);
  try {
    return model.codes(style, inferenceOptions(opts));
  } finally {
    style.dispose();
  }
}

/**
 * A group's exemplars (model range) after the pipeline's exemplar steps and, with `matchTo` (a
 * content batch), their colours matched to its mean and covariance: new tensors where a step
 * applies, the given ones where none does.
 */
export function prepareExemplars(group: tf.Tensor4D[], opts: { pipeline?: ResolvedPipeline; matchTo?: tf.Tensor4D }): tf.Tensor4D[] {
  return group.map((e) => {
    const p = opts.pipeline ? timed('pipeline: resize and crop', () => preparePipelineInput(e, opts.pipeline!.style)) : e;
    if (!opts.matchTo) return p;
    const target = opts.matchTo;
    const matched = timed('preserve colour', () =>
      tf.tidy(
        () =>
          tf.concat(
            tf
              .unstack(p)
              .map((x) => matchColors(x, target) as tf.Tensor3D)
              .map((x) => tf.expandDims(x, 0)),
            0,
          ) as tf.Tensor4D,
      ),
    );
    if (p !== e) p.dispose();
    return matched;
  });
}

/**
 * Encodes groups of exemplars (model range), each as one peer pool, after the pipeline's
 * exemplar steps and, with `matchTo` (a content batch), their colours matched to its mean and
 * covariance (`preserveColor: 'histogram'`). Frees nothing it was given.
 */
export function encodeGroups(
  fn: string,
  model: TpfrModel,
  groups: tf.Tensor4D[][],
  opts: InferenceOptions & { pipeline?: ResolvedPipeline; matchTo?: tf.Tensor4D },
): PoolCodes[] {
  const done: PoolCodes[] = [];
  try {
    for (const group of groups) {
      const prepared = prepareExemplars(group, opts);
      try {
        done.push(timed('encode exemplars', () => encodePeerPool(fn, model, prepared, opts)));
      } finally {
        tf.dispose(prepared.filter((p, i) => p !== group[i]));
      }
    }
    return done;
  } catch (e) {
    tf.dispose(done.flatMap((d) => [d.content, d.style]));
    throw e;
  }
}

/**
 * Encodes style exemplars once, so that stylizing many content images with them skips their
 * encoder pass (`tpfr stylize` over several contents does this): `stylize(model, content,
 * encodeExemplars(model, styles))` equals `stylize(model, content, styles)`. With a `pipeline`,
 * its exemplar steps (resize and crop, `styleSize`) apply here, and `stylize` then applies only
 * the content's. For `styleWeights` or `masks`, encode with `perStyle: true`.
 * @param styles the exemplars as {@link stylize} takes them.
 */
export function encodeExemplars(model: TpfrModel, styles: StylesInput, opts: EncodeExemplarsOptions = {}): EncodedExemplars {
  const fn = 'encodeExemplars';
  if (opts.perStyle !== undefined && typeof opts.perStyle !== 'boolean')
    throw new ValueError(fn, 'perStyle a boolean', String(opts.perStyle));
  const pipeline = opts.pipeline === undefined ? undefined : resolvePipeline(fn, opts.pipeline);
  const perStyle = opts.perStyle === true;
  const { groups } = styleGroups(fn, styles, perStyle, opts.range ?? 'auto');
  try {
    return new EncodedExemplarSet(model, encodeGroups(fn, model, groups, { ...inferenceOptions(opts), pipeline }), perStyle);
  } finally {
    tf.dispose(groups.flat());
  }
}
