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
export function convNormRelu(
  x: SymbolicTensor,
  norm: TpfrModelConfig['norm'],
  filters: number,
  kernelSize: number,
  strides: number,
  name: string,
  padding: TpfrModelConfig['downsamplePadding'] = 'same',
): SymbolicTensor {
  const p = kernelSize >> 1;
  const symmetric = padding === 'symmetric' && p > 0;
  const input = symmetric ? apply(tfl.layers.zeroPadding2d({ padding: p, name: `${name}_pad` }), x) : x;
  const y = apply(tfl.layers.conv2d({ filters, kernelSize, strides, padding: symmetric ? 'valid' : 'same', name: `${name}_conv` }), input);
  return normRelu(y, norm, name);
}

/** norm → ReLU after the convolution `${name}_conv`. */
export function normRelu(y: SymbolicTensor, norm: TpfrModelConfig['norm'], name: string): SymbolicTensor {
  const n = norm === 'instance' ? apply(instanceNormalization({ name: `${name}_in` }), y) : y;
  return apply(tfl.layers.reLU({ name: `${name}_relu` }), n);
}

/** `layer.apply(x)` as one symbolic tensor. */
export function apply(layer: tfl.layers.Layer, x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
  return layer.apply(x) as SymbolicTensor;
}

/**
 * The encoder (method §1–§2): image `[B, H, W, 3]` in [−1, 1] → `[content, style, middle]`:
 * - content `[B, H/4, W/4, 4·ngf]` (with the paper's 2 downsamplings),
 * - style `[B, H/4, W/4, 8·ngf]` = [global | local]; the global half is one vector per image
 *   (global-style branch: 3 × conv stride 2 → IN → ReLU, spatial mean, broadcast),
 * - middle `[B, H/2, W/2, 2·ngf]`, the map after the first downsampling.
 *
 * The stride-2 convolutions pad as `cfg.downsamplePadding` says (`'symmetric'`: the authors').
 * H and W must be multiples of 2^downsamplings (see `stylize`, which pads for you).
 */
export function createEncoder(cfg: TpfrModelConfig, name = 'encoder'): tfl.LayersModel {
  const input = tfl.input({ shape: [null, null, 3], name: `${name}_image` });
  let x = apply(reflectionPadding2d({ padding: 3, name: `${name}_pad` }), input);
  x = apply(tfl.layers.conv2d({ filters: cfg.ngf, kernelSize: 7, padding: 'valid', name: `${name}_stem_conv` }), x);
  x = normRelu(x, cfg.norm, `${name}_stem`);
  const first = convNormRelu(x, cfg.norm, cfg.ngf * 2, 3, 2, `${name}_down1`, cfg.downsamplePadding);
  return tfl.model({ inputs: input, outputs: encoderFromMiddle(cfg, name, first), name });
}

/** From the map after the first downsampling (`middle`) to `[content, style, middle]`. */
function encoderFromMiddle(cfg: TpfrModelConfig, name: string, middle: SymbolicTensor): SymbolicTensor[] {
  let x = middle;
  for (let i = 1; i < cfg.downsamplings; i++) {
    x = convNormRelu(x, cfg.norm, cfg.ngf * 2 ** (i + 1), 3, 2, `${name}_down${i + 1}`, cfg.downsamplePadding);
  }
  return [...encoderCodes(cfg, name, x), middle];
}

/** From the map after the last downsampling to `[content, style]`: residual blocks, latent, split. */
function encoderCodes(cfg: TpfrModelConfig, name: string, after: SymbolicTensor): SymbolicTensor[] {
  const w = latentWidths(cfg);
  const x = encoderResiduals(cfg, name, after);
  return encoderSplit(cfg, name, convNormRelu(x, cfg.norm, w.content + w.style, 1, 1, `${name}_latent`, 'same'));
}

/** The residual blocks. */
function encoderResiduals(cfg: TpfrModelConfig, name: string, after: SymbolicTensor): SymbolicTensor {
  let x = after;
  for (let i = 0; i < cfg.residualBlocks; i++) {
    x = apply(residualBlock({ name: `${name}_res${i + 1}` }), x);
  }
  return x;
}

/** The latent map `z` split into content and style (the global half through the global branch). */
function encoderSplit(cfg: TpfrModelConfig, name: string, z: SymbolicTensor): SymbolicTensor[] {
  const w = latentWidths(cfg);
  const slice = (start: number, size: number, n: string) => apply(channelSlice({ start, size, name: n }), z);
  const content = slice(0, w.content, `${name}_content`);
  let style: SymbolicTensor;
  if (cfg.globalStyle) {
    const half = w.style / 2;
    const rawGlobal = slice(w.content, half, `${name}_style_global_in`);
    const local = slice(w.content + half, half, `${name}_style_local`);
    const glob = apply(globalStyle({ filters: half, normalize: cfg.globalStyleNorm, name: `${name}_style_global` }), rawGlobal);
    style = apply(tfl.layers.concatenate({ axis: -1, name: `${name}_style` }), [glob, local]);
  } else {
    style = slice(w.content, w.style, `${name}_style`);
  }
  return [content, style];
}
