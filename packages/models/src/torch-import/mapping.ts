import type * as tfl from '@tensorflow/tfjs-layers';
import { TpfrError } from '@tpfr/core';
import { torchShapeOf, torchTpfrWeightSpecs, type TorchLayout, type TorchWeightSpec } from '@tpfr/layers/torch';
import type { TpfrModel } from '../model/model.js';

/**
 * Where every key of the authors' state dicts goes in a {@link TpfrModel} (tfjs layer names of
 * `encoder.ts`, `decoder.ts`, `discriminator.ts`):
 *
 * | authors' key | our weight |
 * |---|---|
 * | `model_enc_pre.1` (conv7) | `encoder_stem_conv` |
 * | `model_enc_pre.4` (conv3 s2) | `encoder_down1_conv` |
 * | `model_enc.0` (conv3 s2) | `encoder_down2_conv` |
 * | `model_enc.{3+i}.conv_block.{1,3,5}` | `encoder_res{i+1}` `conv1`, `prelu/alpha`, `conv2` |
 * | `model_enc.{3+n}` (conv1×1) | `encoder_latent_conv` |
 * | `model_enc_global.{0,3,6}` | `encoder_style_global` `conv1..3` |
 * | `model_peer_reg.0.*` | the TPFR layer (`torchTpfrWeightSpecs` of `@tpfr/layers/torch`) |
 * | `model_merge.0`, `model_merge_aux.0` | `main_decoder_merge_conv`, `aux_decoder_merge_conv` |
 * | `model_dec[_aux].{i}.conv_block.*` | `main|aux_decoder_res{i+1}` |
 * | `model_dec[_aux].{n}`, `.{n+3}` (ConvTranspose2d) | `…_up1_convt`, `…_up2_convt` |
 * | `model_dec[_aux].{n+7}` (conv7) | `…_out` |
 * | D: `model_pred.{0,2,5,8}`, `model_pred.11` | `discriminator_conv1..4`, `discriminator_score` |
 *
 * Conv2d `[out, in, kh, kw]` → `[kh, kw, in, out]`; ConvTranspose2d `[in, out, kh, kw]` →
 * `[kh, kw, out, in]`; PReLU `[1]` → `alpha [1]`.
 * @module
 */

function weightOf(model: tfl.LayersModel, layerName: string, suffix: string): tfl.LayerVariable {
  let layer: tfl.layers.Layer;
  try {
    layer = model.getLayer(layerName);
  } catch {
    throw new TpfrError('importTorchGenerator', `internal: no layer '${layerName}' in ${model.name}`);
  }
  const w =
    layer.weights.find((v) => v.originalName === `${layerName}/${suffix}`) ??
    layer.weights.find((v) => v.originalName.endsWith(`/${suffix}`));
  if (!w) throw new TpfrError('importTorchGenerator', `internal: no weight '${suffix}' in layer '${layerName}' of ${model.name}`);
  return w;
}

function spec(key: string, target: tfl.LayerVariable, layout: TorchLayout = 'none'): TorchWeightSpec {
  return { key, target, layout, torchShape: torchShapeOf(target.shape as number[], layout) };
}

function conv(model: tfl.LayersModel, key: string, layer: string, layout: TorchLayout = 'conv'): TorchWeightSpec[] {
  return [spec(`${key}.weight`, weightOf(model, layer, 'kernel'), layout), spec(`${key}.bias`, weightOf(model, layer, 'bias'))];
}

function block(model: tfl.LayersModel, key: string, layer: string): TorchWeightSpec[] {
  return [
    spec(`${key}.conv_block.1.weight`, weightOf(model, layer, 'conv1/kernel'), 'conv'),
    spec(`${key}.conv_block.1.bias`, weightOf(model, layer, 'conv1/bias')),
    spec(`${key}.conv_block.3.weight`, weightOf(model, layer, 'prelu/alpha')),
    spec(`${key}.conv_block.5.weight`, weightOf(model, layer, 'conv2/kernel'), 'conv'),
    spec(`${key}.conv_block.5.bias`, weightOf(model, layer, 'conv2/bias')),
  ];
}

/** The specs of every generator key (`num_batches_tracked` excepted) for `model`. */
export function generatorWeightSpecs(model: TpfrModel): TorchWeightSpec[] {
  const n = model.config.residualBlocks;
  const enc = model.encoder;
  const specs: TorchWeightSpec[] = [
    ...conv(enc, 'model_enc_pre.1', 'encoder_stem_conv'),
    ...conv(enc, 'model_enc_pre.4', 'encoder_down1_conv'),
    ...conv(enc, 'model_enc.0', 'encoder_down2_conv'),
  ];
  for (let i = 0; i < n; i++) specs.push(...block(enc, `model_enc.${3 + i}`, `encoder_res${i + 1}`));
  specs.push(...conv(enc, `model_enc.${3 + n}`, 'encoder_latent_conv'));
  [0, 3, 6].forEach((idx, i) => {
    specs.push(spec(`model_enc_global.${idx}.weight`, weightOf(enc, 'encoder_style_global', `conv${i + 1}/kernel`), 'conv'));
    specs.push(spec(`model_enc_global.${idx}.bias`, weightOf(enc, 'encoder_style_global', `conv${i + 1}/bias`)));
  });
  specs.push(...torchTpfrWeightSpecs(model.recombinationLayer, 'bidir', 'model_peer_reg.0.'));
  const decoders: [string, string, tfl.LayersModel][] = [
    ['model_dec', 'main_decoder', model.mainDecoder],
    ['model_dec_aux', 'aux_decoder', model.auxDecoder],
  ];
  specs.push(...conv(model.mainDecoder, 'model_merge.0', 'main_decoder_merge_conv'));
  specs.push(...conv(model.auxDecoder, 'model_merge_aux.0', 'aux_decoder_merge_conv'));
  for (const [key, name, dec] of decoders) {
    for (let i = 0; i < n; i++) specs.push(...block(dec, `${key}.${i}`, `${name}_res${i + 1}`));
    specs.push(...conv(dec, `${key}.${n}`, `${name}_up1_convt`, 'conv-transpose'));
    specs.push(...conv(dec, `${key}.${n + 3}`, `${name}_up2_convt`, 'conv-transpose'));
    specs.push(...conv(dec, `${key}.${n + 7}`, `${name}_out`));
  }
  return specs;
}

/** The specs of the authors' `NLayerMultiDiscriminatorNoisy` keys for `model.discriminator`. */
export function discriminatorWeightSpecs(model: TpfrModel): TorchWeightSpec[] {
  const d = model.discriminator;
  return [
    ...conv(d, 'model_pred.0', 'discriminator_conv1'),
    ...conv(d, 'model_pred.2', 'discriminator_conv2'),
    ...conv(d, 'model_pred.5', 'discriminator_conv3'),
    ...conv(d, 'model_pred.8', 'discriminator_conv4'),
    ...conv(d, 'model_pred.11', 'discriminator_score'),
  ];
}
