import * as tfl from '@tensorflow/tfjs-layers';
import { reflectionPadding2d, residualBlock } from '@tpfr/layers';
import { latentWidths, type TpfrModelConfig } from './config.js';
import { apply, convNormRelu, normRelu } from './encoder.js';

type SymbolicTensor = tfl.SymbolicTensor;

/**
 * A decoder (method §3): latent `[B, h, w, Cc + Cs]` = [content | style] → image `[B, h·2^d, w·2^d, 3]`
 * in [−1, 1] (d = `downsamplings` upsamplings, 2 in the paper): 1×1 merge → IN → ReLU, residual blocks,
 * transposed convolutions 4×4 stride 2 (or, with `upsampling: 'nearest'`, nearest ×2 →
 * reflect-pad 1 → conv 3×3) → IN → ReLU halving the width, reflect-pad 3, conv 7×7, tanh. IN
 * after the merge and upsampling convolutions follows `decoderNorm`. The main and auxiliary
 * decoders are two calls of this builder: same shape, own weights.
 */
export function createDecoder(cfg: TpfrModelConfig, name = 'decoder'): tfl.LayersModel {
  const w = latentWidths(cfg);
  const input = tfl.input({ shape: [null, null, w.content + w.style], name: `${name}_latent` });
  let x = decoderBeforeUpsampling(cfg, name, input);
  for (let i = 0; i < cfg.downsamplings; i++) x = upsampling(cfg, name, i, x);
  x = apply(reflectionPadding2d({ padding: 3, name: `${name}_pad` }), x);
  x = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 7, padding: 'valid', activation: 'tanh', name: `${name}_out` }), x);
  return tfl.model({ inputs: input, outputs: x, name });
}

function decoderBeforeUpsampling(cfg: TpfrModelConfig, name: string, input: SymbolicTensor): SymbolicTensor {
  const w = latentWidths(cfg);
  return decoderResiduals(cfg, name, convNormRelu(input, cfg.decoderNorm, w.content, 1, 1, `${name}_merge`, 'same'));
}

function decoderResiduals(cfg: TpfrModelConfig, name: string, merged: SymbolicTensor): SymbolicTensor {
  let x = merged;
  for (let i = 0; i < cfg.residualBlocks; i++) x = apply(residualBlock({ name: `${name}_res${i + 1}` }), x);
  return x;
}

/** Upsampling step `i` (0-based): ×2 and half the width, then norm → ReLU. */
function upsampling(cfg: TpfrModelConfig, name: string, i: number, x: SymbolicTensor): SymbolicTensor {
  const width = latentWidths(cfg).content / 2 ** (i + 1);
  const n = `${name}_up${i + 1}`;
  let y: SymbolicTensor;
  if (cfg.upsampling === 'nearest') {
    y = apply(tfl.layers.upSampling2d({ size: [2, 2], interpolation: 'nearest', name: `${n}_resize` }), x);
    y = apply(reflectionPadding2d({ padding: 1, name: `${n}_pad` }), y);
    y = apply(tfl.layers.conv2d({ filters: width, kernelSize: 3, padding: 'valid', name: `${n}_conv` }), y);
  } else {
    y = apply(tfl.layers.conv2dTranspose({ filters: width, kernelSize: 4, strides: 2, padding: 'same', name: `${n}_convt` }), x);
  }
  return normRelu(y, cfg.decoderNorm, n);
}
