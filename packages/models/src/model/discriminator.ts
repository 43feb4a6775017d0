import * as tfl from '@tensorflow/tfjs-layers';
import { instanceNormalization } from '@tpfr/layers';
import type { TpfrModelConfig } from './config.js';

type SymbolicTensor = tfl.SymbolicTensor;

/**
 * The conditional patch discriminator (method §4): inputs the image to judge `[B, H, W, 3]` and a
 * conditioning exemplar of the style class `[B, H, W, 3]`, concatenated to 6 channels; then
 * conv 4×4 s2 (ndf) LReLU 0.2, conv 4×4 s2 (2ndf) IN LReLU, conv 4×4 s1 (4ndf) IN LReLU,
 * conv 4×4 s1 (8ndf) IN LReLU, conv 4×4 s1 (1). Output: a patch map of scores
 * `[B, H/4, W/4, 1]`. The Gaussian input noise of training (std `discriminatorNoise`) is added
 * by the trainer with a seeded generator, so runs are reproducible; at inference there is none.
 */
export function createDiscriminator(cfg: TpfrModelConfig, name = 'discriminator'): tfl.LayersModel {
  const image = tfl.input({ shape: [null, null, 3], name: `${name}_image` });
  const condition = tfl.input({ shape: [null, null, 3], name: `${name}_condition` });
  let x = tfl.layers.concatenate({ axis: -1, name: `${name}_concat` }).apply([image, condition]) as SymbolicTensor;
  const specs: [number, number, boolean][] = [
    [cfg.ndf, 2, false],
    [cfg.ndf * 2, 2, true],
    [cfg.ndf * 4, 1, true],
    [cfg.ndf * 8, 1, true],
  ];
  specs.forEach(([filters, strides, norm], i) => {
    x = tfl.layers.conv2d({ filters, kernelSize: 4, strides, padding: 'same', name: `${name}_conv${i + 1}` }).apply(x) as SymbolicTensor;
    if (norm && cfg.norm === 'instance') x = instanceNormalization({ name: `${name}_in${i + 1}` }).apply(x) as SymbolicTensor;
    x = tfl.layers.leakyReLU({ alpha: 0.2, name: `${name}_lrelu${i + 1}` }).apply(x) as SymbolicTensor;
  });
  x = tfl.layers.conv2d({ filters: 1, kernelSize: 4, strides: 1, padding: 'same', name: `${name}_score` }).apply(x) as SymbolicTensor;
  return tfl.model({ inputs: [image, condition], outputs: x, name });
}
