/**
 * The evaluation anyone can run on a model's outputs: style distance reduction (style score) and
 * edge correlation (content score) over content / style / result triples.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';
import { edgeCorrelation } from './edge-correlation.js';
import { disposeStyleStatistics, styleDistance, styleStatistics } from './style-statistics.js';

/**
 * Style score of one result: `1 − d(result, style) / d(content, style)` with d the
 * {@link styleDistance}. 0: the result is as far from the style as its content; 1: the result has
 * exactly the style's statistics; negative: farther than the content. Returns 0 when
 * `d(content, style) = 0` (the content already has the style's statistics). Images are
 * `[H, W, 3]` in `[-1, 1]`, H, W ≥ 16, sizes may differ.
 */
export function styleDistanceReduction(result: tf.Tensor3D, content: tf.Tensor3D, style: tf.Tensor3D): number {
  const s = styleStatistics(style);
  try {
    const base = styleDistance(content, s);
    if (!(base > 0)) return 0;
    return 1 - styleDistance(result, s) / base;
  } finally {
    disposeStyleStatistics(s);
  }
}

/** One stylisation to evaluate: images `[H, W, 3]` in `[-1, 1]`. */
export interface StylizationTriple {
  /** The content image, `[H, W, 3]`. */
  content: tf.Tensor3D;
  /** The style image, `[H, W, 3]`. */
  style: tf.Tensor3D;
  /** The model's result for (content, style), `[H, W, 3]`. */
  result: tf.Tensor3D;
}

/** Scores of one triple (plain numbers). */
export interface StylizationScores {
  /** {@link styleDistanceReduction} of the triple. */
  styleDistanceReduction: number;
  /** {@link edgeCorrelation} of result vs content. */
  edgeCorrelation: number;
  /** `d(result, style)`. */
  resultStyleDistance: number;
  /** `d(content, style)`. */
  contentStyleDistance: number;
}

/** Result of {@link evaluateStylization}: means over the triples, and the scores of each. */
export interface StylizationReport {
  /** Mean style distance reduction (higher is better, 1 at best). */
  styleDistanceReduction: number;
  /** Mean edge correlation (higher is better, 1 at best). */
  edgeCorrelation: number;
  /** Scores of each triple, in order. */
  perItem: StylizationScores[];
}

/**
 * Evaluates stylisations: for each triple its style distance reduction and edge correlation, and
 * their means. Input tensors are not disposed.
 * @throws ValueError for an empty list; ShapeError for images that are not `[H, W, 3]` (≥ 16 px).
 */
export function evaluateStylization(triples: readonly StylizationTriple[]): StylizationReport {
  if (triples.length === 0) throw new ValueError('evaluateStylization', 'at least one {content, style, result} triple', 'an empty list');
  const perItem = triples.map(({ content, style, result }) => {
    const s = styleStatistics(style);
    try {
      const contentStyleDistance = styleDistance(content, s);
      const resultStyleDistance = styleDistance(result, s);
      return {
        styleDistanceReduction: contentStyleDistance > 0 ? 1 - resultStyleDistance / contentStyleDistance : 0,
        edgeCorrelation: edgeCorrelation(result, content),
        resultStyleDistance,
        contentStyleDistance,
      };
    } finally {
      disposeStyleStatistics(s);
    }
  });
  const mean = (k: 'styleDistanceReduction' | 'edgeCorrelation') => perItem.reduce((acc, p) => acc + p[k], 0) / perItem.length;
  return { styleDistanceReduction: mean('styleDistanceReduction'), edgeCorrelation: mean('edgeCorrelation'), perItem };
}
