import * as tfl from '@tensorflow/tfjs-layers';
import { instanceNormalization, reflectionPadding2d, residualBlock } from '@tpfr/layers';
import { latentWidths, type TpfrModelConfig } from './config.js';
import { convNormRelu } from './encoder.js';

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
  let x = convNormRelu(input, cfg.decoderNorm, w.content, 1, 1, `${name}_merge`);
  for (let i = 0; i < cfg.residualBlocks; i++) x = residualBlock({ name: `${name}_res${i + 1}` }).apply(x) as SymbolicTensor;
  let width = w.content;
  for (let i = 0; i < cfg.downsamplings; i++) {
    width /= 2;
    if (cfg.upsampling === 'nearest') {
      x = tfl.layers.upSampling2d({ size: [2, 2], interpolation: 'nearest', name: `${name}_up${i + 1}_resize` }).apply(x) as SymbolicTensor;
      x = reflectionPadding2d({ padding: 1, name: `${name}_up${i + 1}_pad` }).apply(x) as SymbolicTensor;
      x = tfl.layers.conv2d({ filters: width, kernelSize: 3, padding: 'valid', name: `${name}_up${i + 1}_conv` }).apply(x) as SymbolicTensor;
    } else {
      x = tfl.layers.conv2dTranspose({ filters: width, kernelSize: 4, strides: 2, padding: 'same', name: `${name}_up${i + 1}_convt` }).apply(x) as SymbolicTensor;
    }
    if (cfg.decoderNorm === 'instance') x = instanceNormalization({ name: `${name}_up${i + 1}_in` }).apply(x) as SymbolicTensor;
    x = tfl.layers.reLU({ name: `${name}_up${i + 1}_relu` }).apply(x) as SymbolicTensor;
  }
  x = reflectionPadding2d({ padding: 3, name: `${name}_pad` }).apply(x) as SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 3, kernelSize: 7, padding: 'valid', activation: 'tanh', name: `${name}_out` }).apply(x) as SymbolicTensor;
  return tfl.model({ inputs: input, outputs: x, name });
}
