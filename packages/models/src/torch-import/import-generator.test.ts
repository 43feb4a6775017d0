import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TpfrError, initBackend } from '@tpfr/core';
import { stackPeers, type StateDictTensor } from '@tpfr/layers';
import type { TpfrModel } from '../model/model.js';
import { loadModel, saveModel } from '../node/model-folder.js';
import {
  TorchStateDictError,
  authorsDiscriminatorKeys,
  authorsGeneratorKeys,
  authorsParameterCount,
  importTorchGenerator,
  syntheticAuthorsStateDict,
} from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'tpfr-torch-import-'));
beforeAll(async () => {
  await initBackend('cpu');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NGF = 4;
const BLOCKS = 1;
const keys = authorsGeneratorKeys({ ngf: NGF, residualBlocks: BLOCKS });
const sd = syntheticAuthorsStateDict(keys, 1);
const get = (key: string) => sd.get(key)!.data as Float32Array;

/** Value of a C-order tensor of `shape` at `idx`. */
function at(data: ArrayLike<number>, shape: readonly number[], idx: readonly number[]): number {
  let off = 0;
  for (let i = 0; i < shape.length; i++) off = off * shape[i] + idx[i];
  return data[off];
}

function weight(
  model: TpfrModel,
  part: 'encoder' | 'recombination' | 'mainDecoder' | 'auxDecoder' | 'discriminator',
  name: string,
): tf.Tensor {
  const w = model[part].weights.find((v) => v.originalName === name);
  if (!w) throw new Error(`no ${name}`);
  return w.read();
}

describe('authorsGeneratorKeys', () => {
  it("lists the 156 keys of the authors' generator and counts their 25,519,580 parameters at ngf 64", () => {
    const full = authorsGeneratorKeys({ ngf: 64 });
    expect(full).toHaveLength(156);
    expect(new Set(full.map((k) => k.key)).size).toBe(156);
    expect(full.filter((k) => k.role === 'ignored').map((k) => k.key)).toEqual([
      'model_peer_reg.0.transf_att_cont.1.num_batches_tracked',
      'model_peer_reg.0.transf_att_cont.4.num_batches_tracked',
      'model_peer_reg.0.transf_att_sty.1.num_batches_tracked',
      'model_peer_reg.0.transf_att_sty.4.num_batches_tracked',
    ]);
    expect(authorsParameterCount(full)).toBe(25_519_580);
    expect(full.filter((k) => k.role === 'buffer').reduce((n, k) => n + k.shape[0], 0)).toBe(1152);
    const byKey = new Map(full.map((k) => [k.key, k.shape]));
    expect(byKey.get('model_enc_pre.1.weight')).toEqual([64, 3, 7, 7]);
    expect(byKey.get('model_enc.9.weight')).toEqual([768, 256, 1, 1]);
    expect(byKey.get('model_dec.6.weight')).toEqual([256, 128, 4, 4]);
    expect(byKey.get('model_dec_aux.13.weight')).toEqual([3, 64, 7, 7]);
    expect(byKey.get('model_peer_reg.0.transf_att_sty.0.weight')).toEqual([256, 512]);
    expect(byKey.get('model_peer_reg.0.conv_att2_sty.weight')).toEqual([1, 1, 128]);
    expect(authorsGeneratorKeys({ ngf: 8, residualBlocks: 2 })).toHaveLength(66 + 15 * 2);
    expect(() => authorsGeneratorKeys({ ngf: 0 })).toThrow(/authorsGeneratorKeys: expected ngf/);
  });
});

describe('importTorchGenerator', () => {
  it('infers the size, maps every key with the layouts converted, and leaks no tensor', () => {
    const before = tf.memory().numTensors;
    const { model, report } = importTorchGenerator(sd);
    expect(report).toMatchObject({
      ngf: NGF,
      residualBlocks: BLOCKS,
      ndf: 64,
      keys: keys.length,
      mapped: keys.length - 4,
      modulePrefixed: 0,
      discriminator: null,
    });
    expect(report.ignored).toHaveLength(4);
    expect(report.parameterCount).toBe(authorsParameterCount(keys));
    expect(model.generatorParameterCount()).toBe(report.parameterCount);
    expect(model.config).toMatchObject({
      ngf: NGF,
      residualBlocks: BLOCKS,
      downsamplePadding: 'symmetric',
      ties: 'include',
      k: 5,
      norm: 'instance',
      globalStyle: true,
      upsampling: 'transposed',
    });

    // Conv2d [out, in, kh, kw] → [kh, kw, in, out].
    const stem = weight(model, 'encoder', 'encoder_stem_conv/kernel');
    expect(stem.shape).toEqual([7, 7, 3, NGF]);
    const stemV = stem.dataSync();
    for (const [o, i, y, x] of [
      [0, 0, 0, 0],
      [3, 2, 6, 1],
      [1, 2, 4, 5],
    ]) {
      expect(at(stemV, [7, 7, 3, NGF], [y, x, i, o])).toBe(at(get('model_enc_pre.1.weight'), [NGF, 3, 7, 7], [o, i, y, x]));
    }
    // ConvTranspose2d [in, out, kh, kw] → [kh, kw, out, in].
    const c = NGF * 4;
    const up1 = weight(model, 'auxDecoder', 'aux_decoder_up1_convt/kernel');
    expect(up1.shape).toEqual([4, 4, c / 2, c]);
    for (const [i, o, y, x] of [
      [0, 0, 0, 0],
      [15, 7, 3, 2],
      [5, 1, 0, 3],
    ]) {
      expect(at(up1.dataSync(), [4, 4, c / 2, c], [y, x, o, i])).toBe(
        at(get(`model_dec_aux.${BLOCKS}.weight`), [c, c / 2, 4, 4], [i, o, y, x]),
      );
    }
    // Residual block convs, PReLU slope, biases.
    const res = weight(model, 'mainDecoder', 'main_decoder_res1/conv2/kernel');
    expect(at(res.dataSync(), [3, 3, c, c], [2, 1, 5, 9])).toBe(at(get('model_dec.0.conv_block.5.weight'), [c, c, 3, 3], [9, 5, 2, 1]));
    expect(Array.from(weight(model, 'encoder', 'encoder_res1/prelu/alpha').dataSync())).toEqual(
      Array.from(get('model_enc.3.conv_block.3.weight')),
    );
    expect(Array.from(weight(model, 'encoder', 'encoder_latent_conv/bias').dataSync())).toEqual(
      Array.from(get(`model_enc.${3 + BLOCKS}.bias`)),
    );
    expect(Array.from(weight(model, 'encoder', 'encoder_style_global/conv3/bias').dataSync())).toEqual(
      Array.from(get('model_enc_global.6.bias')),
    );
    // Linear [out, in] → [in, out]; BatchNorm running stats; Conv1d [1, 1, n2] → [n2, 1].
    const d1 = weight(model, 'recombination', 'tpfr/style_attention/dense1/kernel');
    expect(d1.shape).toEqual([2 * c, c]);
    expect(at(d1.dataSync(), [2 * c, c], [20, 3])).toBe(at(get('model_peer_reg.0.transf_att_sty.0.weight'), [c, 2 * c], [3, 20]));
    expect(Array.from(weight(model, 'recombination', 'tpfr/content_attention/bn2/moving_variance').dataSync())).toEqual(
      Array.from(get('model_peer_reg.0.transf_att_cont.4.running_var')),
    );
    expect(Array.from(weight(model, 'recombination', 'tpfr/style_attention/peer_score/kernel').dataSync())).toEqual(
      Array.from(get('model_peer_reg.0.conv_att2_sty.weight')),
    );
    const merge = weight(model, 'auxDecoder', 'aux_decoder_merge_conv/kernel');
    expect(at(merge.dataSync(), [1, 1, 3 * c, c], [0, 0, 40, 2])).toBe(
      at(get('model_merge_aux.0.weight'), [c, 3 * c, 1, 1], [2, 40, 0, 0]),
    );
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('computes what PyTorch computes: a valid Conv2d and a ConvTranspose2d(k4, s2, p1) checked against direct sums', () => {
    const { model } = importTorchGenerator(sd);
    const c = NGF * 4;
    const [h, w] = [3, 2];
    const input = Float32Array.from({ length: h * w * c }, (_, i) => Math.sin(i * 0.37));
    // ConvTranspose2d: out[o, y·2 − 1 + ky, x·2 − 1 + kx] += in[i, y, x] · W[i, o, ky, kx].
    const W = get(`model_dec.${BLOCKS}.weight`);
    const b = get(`model_dec.${BLOCKS}.bias`);
    const co = c / 2;
    const ref = new Float64Array(2 * h * 2 * w * co);
    for (let o = 0; o < co; o++) for (let Y = 0; Y < 2 * h; Y++) for (let X = 0; X < 2 * w; X++) ref[(Y * 2 * w + X) * co + o] = b[o];
    for (let i = 0; i < c; i++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let o = 0; o < co; o++)
            for (let ky = 0; ky < 4; ky++)
              for (let kx = 0; kx < 4; kx++) {
                const Y = y * 2 - 1 + ky;
                const X = x * 2 - 1 + kx;
                if (Y < 0 || X < 0 || Y >= 2 * h || X >= 2 * w) continue;
                ref[(Y * 2 * w + X) * co + o] += input[(y * w + x) * c + i] * at(W, [c, co, 4, 4], [i, o, ky, kx]);
              }
    const layer = model.mainDecoder.getLayer('main_decoder_up1_convt');
    const out = tf.tidy(() => (layer.apply(tf.tensor4d(input, [1, h, w, c])) as tf.Tensor).dataSync());
    expect(out.length).toBe(ref.length);
    expect(Math.max(...Array.from(out, (v, i) => Math.abs(v - ref[i])))).toBeLessThan(1e-5);
    // Conv2d 7×7 valid: out[o, y, x] = b[o] + Σ in[i, y + ky, x + kx] · W[o, i, ky, kx].
    const img = Float32Array.from({ length: 8 * 9 * 3 }, (_, i) => Math.cos(i * 0.11));
    const Ws = get('model_enc_pre.1.weight');
    const bs = get('model_enc_pre.1.bias');
    const stem = model.encoder.getLayer('encoder_stem_conv');
    const got = tf.tidy(() => (stem.apply(tf.tensor4d(img, [1, 8, 9, 3])) as tf.Tensor).dataSync());
    for (const [o, y, x] of [
      [0, 0, 0],
      [3, 1, 2],
      [2, 1, 0],
    ]) {
      let s = bs[o];
      for (let i = 0; i < 3; i++)
        for (let ky = 0; ky < 7; ky++)
          for (let kx = 0; kx < 7; kx++) s += img[((y + ky) * 9 + x + kx) * 3 + i] * at(Ws, [NGF, 3, 7, 7], [o, i, ky, kx]);
      expect(got[(y * 3 + x) * NGF + o]).toBeCloseTo(s, 4);
    }
    model.dispose();
  });

  it('accepts a module. prefix, a record, JSON arrays and a readTorchCheckpoint-style result', () => {
    const prefixed = new Map([...sd].map(([k, v]) => [`module.${k}`, v]));
    const a = importTorchGenerator(prefixed);
    expect(a.report.modulePrefixed).toBe(keys.length);
    const json = Object.fromEntries(
      [...sd].map(([k, v]) => [k, { shape: [...v.shape], dtype: v.dtype, data: Array.from(v.data as ArrayLike<number | bigint>, Number) }]),
    );
    const b = importTorchGenerator(json);
    const tensors = [...sd].map(([name, v]) => ({ name, ...v }));
    const c = importTorchGenerator({ format: 'zip', tensors });
    expect(c.report.format).toBe('zip');
    for (const name of ['main_decoder_out/kernel', 'encoder_down2_conv/kernel']) {
      const part = name.startsWith('main') ? 'mainDecoder' : 'encoder';
      const ref = Array.from(weight(a.model, part, name).dataSync());
      expect(Array.from(weight(b.model, part, name).dataSync())).toEqual(ref);
      expect(Array.from(weight(c.model, part, name).dataSync())).toEqual(ref);
    }
    for (const r of [a, b, c]) r.model.dispose();
  });

  it('names every missing, unexpected and mis-shaped key in one error, before building anything', () => {
    const bad = new Map(sd);
    bad.delete('model_dec.0.conv_block.5.bias');
    bad.delete('model_peer_reg.0.transf_att_sty.4.running_mean');
    bad.set('model_enc.1.running_mean', { shape: [16], dtype: 'float32', data: new Float32Array(16) });
    bad.set('model_merge.0.weight', { shape: [16, 48, 3, 3], dtype: 'float32', data: new Float32Array(16 * 48 * 9) });
    bad.set('model_enc_global.3.bias', { shape: [16], dtype: 'int64', data: new BigInt64Array(16) });
    const before = tf.memory().numTensors;
    let err: unknown;
    try {
      importTorchGenerator(bad);
    } catch (e) {
      err = e;
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(err).toBeInstanceOf(TorchStateDictError);
    expect(err).toBeInstanceOf(TpfrError);
    const e = err as TorchStateDictError;
    expect(e.fn).toBe('importTorchGenerator');
    expect(e.missing).toEqual(['model_peer_reg.0.transf_att_sty.4.running_mean', 'model_dec.0.conv_block.5.bias']);
    expect(e.unexpected).toEqual(['model_enc.1.running_mean']);
    expect(e.misShaped).toEqual([{ key: 'model_merge.0.weight', expected: [16, 48, 1, 1], received: [16, 48, 3, 3] }]);
    expect(e.wrongDtype).toEqual([{ key: 'model_enc_global.3.bias', expected: 'a float tensor', received: 'int64' }]);
    expect(e.message).toMatch(
      /^importTorchGenerator: the state_dict does not fit the authors' ResnetGeneratorResidual \(ngf 4, 1 residual blocks/,
    );
    expect(e.message).toContain(`2 missing keys: 'model_peer_reg.0.transf_att_sty.4.running_mean', 'model_dec.0.conv_block.5.bias'`);
    expect(e.message).toContain(`1 unexpected key: 'model_enc.1.running_mean'`);
    expect(e.message).toContain(`1 mis-shaped key: 'model_merge.0.weight' expected [16,48,1,1], received [16,48,3,3]`);
    // A decoder with a block more than the encoder: the encoder's missing block is named.
    const extra = new Map(sd);
    for (const k of authorsGeneratorKeys({ ngf: NGF, residualBlocks: 2 }))
      if (k.key.startsWith('model_dec.1.conv_block'))
        extra.set(k.key, { shape: k.shape, dtype: 'float32', data: new Float32Array(k.shape.reduce((p, q) => p * q, 1)) });
    expect(() => importTorchGenerator(extra)).toThrow(/2 residual blocks[\s\S]*missing keys: 'model_enc.4.conv_block.1.weight'/);
    expect(() => importTorchGenerator(new Map([['foo', { shape: [1], data: [1] }]]))).toThrow(
      /importTorchGenerator: expected the authors' ResnetGeneratorResidual state_dict with 'model_enc_pre.1.weight'.*received 1 keys: 'foo'/,
    );
    expect(() => importTorchGenerator(sd, { k: 0 })).toThrow(/importTorchGenerator: expected opts.k/);
  });

  it('maps a discriminator that fits and keeps a fresh one otherwise', () => {
    const dKeys = authorsDiscriminatorKeys({ ndf: 4 });
    const dsd = syntheticAuthorsStateDict(dKeys, 3);
    const { model, report } = importTorchGenerator(sd, { discriminator: new Map([...dsd].map(([k, v]) => [`module.${k}`, v])) });
    expect(report.discriminator).toEqual({ mapped: true, ndf: 4, keys: 10, parameterCount: authorsParameterCount(dKeys) });
    expect(report.ndf).toBe(4);
    expect(model.discriminator.countParams()).toBe(authorsParameterCount(dKeys));
    const k3 = weight(model, 'discriminator', 'discriminator_conv3/kernel');
    expect(at(k3.dataSync(), [4, 4, 8, 16], [1, 2, 5, 11])).toBe(
      at(dsd.get('model_pred.5.weight')!.data as Float32Array, [16, 8, 4, 4], [11, 5, 1, 2]),
    );
    model.dispose();
    const broken = new Map(dsd);
    broken.delete('model_pred.11.bias');
    const r = importTorchGenerator(sd, { discriminator: broken, ndf: 8 });
    expect(r.report.discriminator).toEqual({ mapped: false, reason: `1 missing key: 'model_pred.11.bias'` });
    expect(r.report.ndf).toBe(8);
    expect(r.model.config.ndf).toBe(8);
    r.model.dispose();
  });

  it('saves and loads like any other model', async () => {
    const { model } = importTorchGenerator(sd);
    const out = join(dir, 'imported');
    await saveModel(model, out);
    const loaded = await loadModel(out);
    expect(loaded.config).toEqual(model.config);
    for (const [part, name] of [
      ['recombination', 'tpfr/style_attention/bn1/moving_mean'],
      ['encoder', 'encoder_res1/conv1/kernel'],
      ['auxDecoder', 'aux_decoder_up2_convt/kernel'],
    ] as const) {
      expect(Array.from(weight(loaded, part, name).dataSync())).toEqual(Array.from(weight(model, part, name).dataSync()));
    }
    const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    const [a, b] = [model, loaded].map((m) =>
      tf.tidy(() => {
        const z = m.encode(x);
        const r = m.recombine(z, { content: stackPeers(z.content, 1), style: stackPeers(z.style, 1) });
        return m.decode(r);
      }),
    );
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });
});

// Type check only: the reader's tensors (name, dtype, shape, typed data) are accepted as they are.
export const _readerShape: StateDictTensor & { name: string } = { name: 'x', dtype: 'float32', shape: [1], data: new Float32Array(1) };
