import * as tfl from '@tensorflow/tfjs-layers';
import { reflectionPadding2d, residualBlock } from '@tpfr/layers';
import { latentWidths, type TpfrModelConfig } from './config.js';
import { apply, convNormRelu, layersOf, newLayers, normRelu, type LayerSource } from './encoder.js';

type SymbolicTensor = tfl.SymbolicTensor;

/**
 * A decoder (spec §3): latent `[B, h, w, 12·ngf]` = [content | style] → image `[B, h·4, w·4, 3]`
 * in [−1, 1] (with the paper's 2 upsamplings): 1×1 merge → IN → ReLU, residual blocks,
 * transposed convolutions 4×4 stride 2 (or, with `upsampling: 'nearest'`, nearest ×2 →
 * reflect-pad 1 → conv 3×3) → IN → ReLU halving the width, reflect-pad 3, conv 7×7, tanh. IN
 * after the merge and upsampling convolutions follows `decoderNorm`. The main and auxiliary
 * decoders are two calls of this builder: same shape, own weights.
 */
export function createDecoder(cfg: TpfrModelConfig, name = 'decoder'): tfl.LayersModel {
  const w = latentWidths(cfg);
  const input = tfl.input({ shape: [null, null, w.content + w.style], name: `${name}_latent` });
  let x = decoderBeforeUpsampling(cfg, name, input, newLayers);
  for (let i = 0; i < cfg.downsamplings; i++) x = upsampling(cfg, name, i, x, newLayers);
  x = apply(reflectionPadding2d({ padding: 3, name: `${name}_pad` }), x);
  x = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 7, padding: 'valid', activation: 'tanh', name: `${name}_out` }), x);
  return tfl.model({ inputs: input, outputs: x, name });
}

/**
 * The decoder's residual blocks as a model of the existing layers of `decoder`: input the merge's
 * output `[B, h, w, ngf·2^n]` (after its norm and ReLU), output the map before the first
 * upsampling. With the merge, the upsamplings and the output convolution computed band by band,
 * this gives the decoder's result on images whose larger maps do not fit at once.
 */
export function decoderResidualStage(cfg: TpfrModelConfig, decoder: tfl.LayersModel, name: string): tfl.LayersModel {
  const w = latentWidths(cfg);
  const input = tfl.input({ shape: [null, null, w.content], name: `${name}_merge_out` });
  return tfl.model({ inputs: input, outputs: decoderResiduals(cfg, name, input, layersOf(decoder)), name: `${name}_residual_stage` });
}

function decoderBeforeUpsampling(cfg: TpfrModelConfig, name: string, input: SymbolicTensor, layer: LayerSource): SymbolicTensor {
  const w = latentWidths(cfg);
  return decoderResiduals(cfg, name, convNormRelu(input, cfg.decoderNorm, w.content, 1, 1, `${name}_merge`, 'same', layer), layer);
}

function decoderResiduals(cfg: TpfrModelConfig, name: string, merged: SymbolicTensor, layer: LayerSource): SymbolicTensor {
  let x = merged;
  for (let i = 0; i < cfg.residualBlocks; i++) x = apply(layer(`${name}_res${i + 1}`, () => residualBlock({ name: `${name}_res${i + 1}` })), x);
  return x;
}

/** Upsampling step `i` (0-based): ×2 and half the width, then norm → ReLU. */
function upsampling(cfg: TpfrModelConfig, name: string, i: number, x: SymbolicTensor, layer: LayerSource): SymbolicTensor {
  const width = latentWidths(cfg).content / 2 ** (i + 1);
  const n = `${name}_up${i + 1}`;
  let y: SymbolicTensor;
  if (cfg.upsampling === 'nearest') {
    y = apply(layer(`${n}_resize`, () => tfl.layers.upSampling2d({ size: [2, 2], interpolation: 'nearest', name: `${n}_resize` })), x);
    y = apply(layer(`${n}_pad`, () => reflectionPadding2d({ padding: 1, name: `${n}_pad` })), y);
    y = apply(layer(`${n}_conv`, () => tfl.layers.conv2d({ filters: width, kernelSize: 3, padding: 'valid', name: `${n}_conv` })), y);
  } else {
    y = apply(layer(`${n}_convt`, () => tfl.layers.conv2dTranspose({ filters: width, kernelSize: 4, strides: 2, padding: 'same', name: `${n}_convt` })), x);
  }
  return normRelu(y, cfg.decoderNorm, n, layer);
}
