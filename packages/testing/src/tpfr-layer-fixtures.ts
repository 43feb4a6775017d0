import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { PeerRecombination, type PeerRecombinationArgs } from '@tpfr/layers';

/**
 * The TPFR layer's four symbolic input shapes, with unknown batch, sizes and exemplars: content
 * `[B, H, W, cc]`, style `[B, H, W, cs]`, peer content `[B, P, h, w, cc]`, peer style `[B, P, h, w, cs]`.
 */
export function symbolicPeerInputs(cc: number, cs: number): tfl.Shape[] {
  return [
    [null, null, null, cc],
    [null, null, null, cs],
    [null, null, null, null, cc],
    [null, null, null, null, cs],
  ];
}

/**
 * A TPFR layer built for channels `cc` and `cs`, its i-th weight drawn with seed `seed + i` (give
 * `seed` ≥ 1: tfjs takes seed 0 as unseeded): kernels and biases N(0, 0.7), the BatchNorm moving
 * variances U(0.5, 2), so that every weight matters.
 */
export function seededTpfrLayer(args: PeerRecombinationArgs, seed: number, cc: number, cs: number): PeerRecombination {
  const layer = new PeerRecombination(args);
  layer.build(symbolicPeerInputs(cc, cs));
  tf.tidy(() =>
    layer.weights.forEach((v, i) => {
      const shape = v.shape as number[];
      const s = seed + i;
      v.write(v.name.includes('variance') ? tf.randomUniform(shape, 0.5, 2, 'float32', s) : tf.randomNormal(shape, 0, 0.7, 'float32', s));
    }),
  );
  return layer;
}

/** Frees the weights of a layer applied eagerly (it has no graph node to dispose it). */
export function freeLayer(layer: tfl.layers.Layer): void {
  layer.weights.forEach((v) => v.dispose());
}
