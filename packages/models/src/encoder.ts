import * as tfl from '@tensorflow/tfjs-layers';
import { channelSlice, globalStyle, instanceNormalization, reflectionPadding2d, residualBlock } from '@tpfr/layers';
import { latentWidths, type TpfrModelConfig } from './config.js';

type SymbolicTensor = tfl.SymbolicTensor;

/**
 * conv → norm → ReLU, the repeated unit of the encoder and decoders. With `padding: 'symmetric'`
 * the input is zero-padded by `kernelSize >> 1` pixels on every side and the convolution is
 * valid (PyTorch's `padding=k//2`); `'same'` is tfjs' own (on even sides, stride 2 pads only the
 * bottom and right). The convolution is named `${name}_conv` either way.
 */
export function convNormRelu(x: SymbolicTensor, norm: TpfrModelConfig['norm'], filters: number, kernelSize: number, strides: number, name: string, padding: TpfrModelConfig['downsamplePadding'] = 'same'): SymbolicTensor {
  const p = kernelSize >> 1;
  const symmetric = padding === 'symmetric' && p > 0;
  const input = symmetric ? (tfl.layers.zeroPadding2d({ padding: p, name: `${name}_pad` }).apply(x) as SymbolicTensor) : x;
  let y = tfl.layers.conv2d({ filters, kernelSize, strides, padding: symmetric ? 'valid' : 'same', name: `${name}_conv` }).apply(input) as SymbolicTensor;
  if (norm === 'instance') y = instanceNormalization({ name: `${name}_in` }).apply(y) as SymbolicTensor;
  return tfl.layers.reLU({ name: `${name}_relu` }).apply(y) as SymbolicTensor;
}

/**
 * The encoder (spec §1–§2): image `[B, H, W, 3]` in [−1, 1] → `[content, style, middle]`:
 * - content `[B, H/4, W/4, 4·ngf]` (with the paper's 2 downsamplings),
 * - style `[B, H/4, W/4, 8·ngf]` = [global | local]; the global half is one vector per image
 *   (global-style branch: 3 × conv stride 2 → IN → ReLU, spatial mean, broadcast),
 * - middle `[B, H/2, W/2, 2·ngf]`, the map after the first downsampling.
 *
 * The stride-2 convolutions pad as `cfg.downsamplePadding` says (`'symmetric'`: the authors').
 * H and W must be multiples of 2^downsamplings (see `stylize`, which pads for you).
 */
export function createEncoder(cfg: TpfrModelConfig, name = 'encoder'): tfl.LayersModel {
  const w = latentWidths(cfg);
  const input = tfl.input({ shape: [null, null, 3], name: `${name}_image` });
  let x = reflectionPadding2d({ padding: 3, name: `${name}_pad` }).apply(input) as SymbolicTensor;
  x = tfl.layers.conv2d({ filters: cfg.ngf, kernelSize: 7, padding: 'valid', name: `${name}_stem_conv` }).apply(x) as SymbolicTensor;
  if (cfg.norm === 'instance') x = instanceNormalization({ name: `${name}_stem_in` }).apply(x) as SymbolicTensor;
  x = tfl.layers.reLU({ name: `${name}_stem_relu` }).apply(x) as SymbolicTensor;
  let middle: SymbolicTensor | null = null;
  for (let i = 0; i < cfg.downsamplings; i++) {
    x = convNormRelu(x, cfg.norm, cfg.ngf * 2 ** (i + 1), 3, 2, `${name}_down${i + 1}`, cfg.downsamplePadding);
    if (i === 0) middle = x;
  }
  for (let i = 0; i < cfg.residualBlocks; i++) {
    x = residualBlock({ name: `${name}_res${i + 1}` }).apply(x) as SymbolicTensor;
  }
  const z = convNormRelu(x, cfg.norm, w.content + w.style, 1, 1, `${name}_latent`);
  const content = channelSlice({ start: 0, size: w.content, name: `${name}_content` }).apply(z) as SymbolicTensor;
  let style: SymbolicTensor;
  if (cfg.globalStyle) {
    const half = w.style / 2;
    const rawGlobal = channelSlice({ start: w.content, size: half, name: `${name}_style_global_in` }).apply(z) as SymbolicTensor;
    const local = channelSlice({ start: w.content + half, size: half, name: `${name}_style_local` }).apply(z) as SymbolicTensor;
    const glob = globalStyle({ filters: half, normalize: cfg.globalStyleNorm, name: `${name}_style_global` }).apply(rawGlobal) as SymbolicTensor;
    style = tfl.layers.concatenate({ axis: -1, name: `${name}_style` }).apply([glob, local]) as SymbolicTensor;
  } else {
    style = channelSlice({ start: w.content, size: w.style, name: `${name}_style` }).apply(z) as SymbolicTensor;
  }
  return tfl.model({ inputs: input, outputs: [content, style, middle ?? x], name });
}
