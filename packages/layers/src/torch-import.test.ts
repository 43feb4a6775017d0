import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { PeerRecombination } from './tpfr-layer.js';
import { detectTorchTpfrVariant, loadTorchTpfrWeights, torchImageToNhwc, type TorchStateDict } from './torch-import.js';

function linear(out: number, inp: number, base: number) {
  return {
    weight: { shape: [out, inp], dtype: 'float32', data: Array.from({ length: out * inp }, (_, i) => base + i) },
    bias: { shape: [out], dtype: 'float32', data: Array.from({ length: out }, (_, i) => -i) },
  };
}

function stateDict(prefix: string, convs: [string, string], d: number): TorchStateDict {
  const sd: TorchStateDict = {};
  const l0 = linear(d / 2, d, 1);
  const l3 = linear(d / 4, d / 2, 100);
  sd[`${prefix}.0.weight`] = l0.weight;
  sd[`${prefix}.0.bias`] = l0.bias;
  sd[`${prefix}.3.weight`] = l3.weight;
  sd[`${prefix}.3.bias`] = l3.bias;
  for (const [i, n] of [
    [1, d / 2],
    [4, d / 4],
  ] as const) {
    for (const p of ['weight', 'bias', 'running_mean', 'running_var'])
      sd[`${prefix}.${i}.${p}`] = { shape: [n], dtype: 'float32', data: Array(n).fill(p === 'running_var' ? 2 : 0.5) };
    sd[`${prefix}.${i}.num_batches_tracked`] = { shape: [], dtype: 'int64', data: [7] };
  }
  for (const c of convs) {
    sd[`${c}.weight`] = { shape: [1, 1, d / 4], dtype: 'float32', data: Array.from({ length: d / 4 }, (_, i) => i / 10) };
    sd[`${c}.bias`] = { shape: [1], dtype: 'float32', data: [0.25] };
  }
  return sd;
}

describe('loadTorchTpfrWeights', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('maps the one-stage state_dict: Linear weights transposed, Conv1d kernels as columns', () => {
    const layer = new PeerRecombination({ stages: 'style-only', k: 2 });
    layer.build([
      [null, null, null, 8],
      [null, null, null, 16],
      [null, null, null, null, 8],
      [null, null, null, null, 16],
    ]);
    const sd = stateDict('transf_att', ['conv_att1', 'conv_att2'], 8);
    expect(detectTorchTpfrVariant(sd)).toBe('att');
    loadTorchTpfrWeights(layer, sd);
    const w = layer.contentAttention!;
    expect(w.dense1Kernel.read().shape).toEqual([8, 4]);
    // kernel[i][o] = W[o][i] = 1 + o·8 + i
    expect(w.dense1Kernel.read().arraySync()).toEqual(
      Array.from({ length: 8 }, (_, i) => Array.from({ length: 4 }, (_, o) => 1 + o * 8 + i)),
    );
    expect(w.queryKernel.read().shape).toEqual([2, 1]);
    expect(Array.from(w.queryKernel.read().dataSync())).toEqual([0, Math.fround(0.1)]);
    expect(Array.from(w.bn1MovingVariance.read().dataSync())).toEqual([2, 2, 2, 2]);
  });

  it('rejects a state_dict that does not fit the layer, naming the function', () => {
    const layer = new PeerRecombination({ k: 2 });
    layer.build([
      [null, null, null, 8],
      [null, null, null, 16],
      [null, null, null, null, 8],
      [null, null, null, null, 16],
    ]);
    expect(() => loadTorchTpfrWeights(layer, stateDict('transf_att', ['conv_att1', 'conv_att2'], 8))).toThrow(
      /loadTorchTpfrWeights: expected a 'style-only' layer/,
    );
    const sd = {
      ...stateDict('transf_att_cont', ['conv_att1_cont', 'conv_att2_cont'], 8),
      ...stateDict('transf_att_sty', ['conv_att1_sty', 'conv_att2_sty'], 8),
    };
    expect(() => loadTorchTpfrWeights(layer, sd)).toThrow(/loadTorchTpfrWeights: expected 'transf_att_sty.0.weight' with 128 values/);
  });

  it('converts NCHW tensors to NHWC', () => {
    const x = torchImageToNhwc({ shape: [1, 2, 1, 2], dtype: 'float32', data: [1, 2, 3, 4] });
    expect(x.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(x.dataSync())).toEqual([1, 3, 2, 4]);
    tf.dispose(x);
  });
});
