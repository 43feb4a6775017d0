import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { stackPeers, stackPeersPerSample, upgradePeerInputs } from './peers.js';

// Errors of the peer builders for every mismatch, and upgradePeerInputs on hand-written
// topologies (nested models, the model_config wrapper, layers without inbound nodes).

describe('stackPeers, stackPeersPerSample: every mismatch is named', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it.each([
    ['h', [1, 3, 2, 3], /stackPeers: expected exemplars\[1\] \[P, h, w, C\] with h, w, C = 2, 2, 3 as exemplars\[0\] \(resize the exemplars to one size\), received shape \[1,3,2,3\]/],
    ['w', [2, 2, 1, 3], /expected exemplars\[1\] \[P, h, w, C\] with h, w, C = 2, 2, 3 as exemplars\[0\].*, received shape \[2,2,1,3\]/],
    ['C', [1, 2, 2, 4], /expected exemplars\[1\] \[P, h, w, C\] with h, w, C = 2, 2, 3 as exemplars\[0\].*, received shape \[1,2,2,4\]/],
  ])('stackPeers: a list entry of another %s', (_, shape, message) => {
    const a = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const b = tf.zeros(shape) as tf.Tensor as tf.Tensor4D;
    expect(() => stackPeers([a, b], 2)).toThrow(message);
    tf.dispose([a, b]);
  });

  it('names the list entry of the wrong rank, and counts P over the whole list', () => {
    const a = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const bad = tf.zeros([2, 2, 3]) as unknown as tf.Tensor4D;
    expect(() => stackPeers([a, bad], 1)).toThrow(/stackPeers: expected exemplars\[1\] of rank 4 \[P, h, w, C\], received shape \[2,2,3\]/);
    const empty = tf.zeros([0, 2, 2, 3]) as tf.Tensor4D;
    expect(() => stackPeers([empty, empty], 1)).toThrow(/stackPeers: expected at least one exemplar in exemplars, received P = 0 \(shape \[0,2,2,3\]\)/);
    // An empty stack beside a full one is fine: P counts both.
    const p = stackPeers([empty, a, a], 2);
    expect(p.shape).toEqual([2, 2, 2, 2, 3]);
    expect(() => stackPeers(a, 1.5)).toThrow(/stackPeers: expected batch to be an integer >= 1, received 1\.5/);
    tf.dispose([a, bad, empty, p]);
  });

  it('batch 1 gives the exemplars with a batch axis; larger batches repeat them', () => {
    const x = tf.tensor4d(Array.from({ length: 12 }, (_, i) => i), [2, 1, 2, 3]);
    const one = stackPeers(x, 1);
    expect(one.shape).toEqual([1, 2, 1, 2, 3]);
    expect(Array.from(one.dataSync())).toEqual(Array.from(x.dataSync()));
    const two = stackPeers([tf.slice(x, [0], [1]) as tf.Tensor4D, tf.slice(x, [1], [1]) as tf.Tensor4D], 2);
    expect(Array.from(two.dataSync())).toEqual([...x.dataSync(), ...x.dataSync()]);
    tf.dispose([x, one, two]);
  });

  it('stackPeersPerSample names the sample in errors, and checks h, w and C as well as P', () => {
    const a = tf.zeros([2, 2, 2, 3]) as tf.Tensor4D;
    const fn = stackPeersPerSample;
    expect(() => fn(a as never)).toThrow(/stackPeersPerSample: expected at least one sample, received object/);
    expect(() => fn([a, []])).toThrow(/stackPeersPerSample: expected at least one exemplar in samples\[1\], received an empty list/);
    const rank3 = tf.zeros([2, 2, 3]) as unknown as tf.Tensor4D;
    expect(() => fn([a, rank3])).toThrow(/stackPeersPerSample: expected samples\[1\] of rank 4 \[P, h, w, C\], received shape \[2,2,3\]/);
    expect(() => fn([a, [rank3]])).toThrow(/stackPeersPerSample: expected samples\[1\]\[0\] of rank 4/);
    for (const shape of [[2, 3, 2, 3], [2, 2, 3, 3], [2, 2, 2, 4]]) {
      const b = tf.zeros(shape) as tf.Tensor as tf.Tensor4D;
      expect(() => fn([a, b])).toThrow(new RegExp(`stackPeersPerSample: expected samples\\[1\\]'s exemplars \\[P, h, w, C\\] of P, h, w, C = 2, 2, 2, 3 as samples\\[0\\]'s, received shape \\[${shape.join(',')}\\]`));
      tf.dispose(b);
    }
    const ok = fn([a, [tf.slice(a, [0], [1]) as tf.Tensor4D, tf.slice(a, [1], [1]) as tf.Tensor4D]]);
    expect(ok.shape).toEqual([2, 2, 2, 2, 3]);
    tf.dispose([a, rank3, ok]);
  });
});

type Json = Record<string, unknown>;
const inputLayer = (name: string, shape: (number | null)[], topName = true): Json => ({
  class_name: 'InputLayer', ...(topName ? { name } : {}), config: { name, batch_input_shape: shape, dtype: 'float32' }, inbound_nodes: [],
});
const tpfrLayer = (name: string, sources: string[]): Json => ({
  class_name: 'TpfrPeerRecombination', name, config: { name, k: 2 }, inbound_nodes: [sources.map((s) => [s, 0, 0, {}])],
});
const old4 = [null, null, null, 4];
const artifactsOf = (topology: Json): tf.io.ModelArtifacts => ({ modelTopology: topology, weightSpecs: [], weightData: new ArrayBuffer(8) });
const layersOf = (topology: Json) => ((topology.config as Json).layers as Json[]);
const shapeOf = (layers: Json[], name: string) => (layers.find((l) => (l.config as Json).name === name)!.config as Json).batch_input_shape;

describe('upgradePeerInputs on hand-written topologies', () => {
  it('upgrades only the rank-4 input layers feeding peer content and peer style, once each, on a copy', () => {
    const topology: Json = {
      class_name: 'Model',
      config: {
        name: 'm',
        layers: [
          inputLayer('c', [null, 3, 3, 4]), inputLayer('s', [null, 3, 3, 6]),
          inputLayer('pc', [null, 2, 2, 4]), inputLayer('ps', [null, 2, 2, 6]),
          inputLayer('pc5', [null, 2, 2, 2, 4]), { class_name: 'Dense', name: 'computed', config: { name: 'computed' }, inbound_nodes: [] },
          tpfrLayer('tpfr', ['c', 's', 'pc', 'ps']),
          // A second layer on the same peer input, and one on a rank-5 input and a computed one.
          tpfrLayer('tpfr2', ['c', 's', 'pc', 'pc5']),
          tpfrLayer('tpfr3', ['c', 's', 'computed', 'pc5']),
          { class_name: 'TpfrPeerRecombination', name: 'unused', config: { name: 'unused' } },
          // A layer without a config, and a TPFR layer fed by a layer the topology does not list.
          { class_name: 'Dropout', name: 'bare' },
          // Only a config with a list of layers is a nested model.
          { class_name: 'Custom', name: 'custom', config: { name: 'custom', layers: 0 } },
          // Other layers' inbound nodes are not TPFR nodes (one input here, not four).
          { class_name: 'Dense', name: 'dense', config: { name: 'dense' }, inbound_nodes: [[['pc', 0, 0, {}]]] },
          tpfrLayer('tpfr4', ['c', 's', 'ghost', 'bare']),
        ],
      },
    };
    const artifacts = artifactsOf(topology);
    const before = JSON.stringify(topology);
    const { artifacts: out, upgraded } = upgradePeerInputs(artifacts);
    expect(upgraded).toEqual(['pc', 'ps']);
    expect(JSON.stringify(topology)).toBe(before); // the caller's artifacts are left as they were
    expect(out).not.toBe(artifacts);
    expect(out.weightData).toBe(artifacts.weightData);
    const layers = layersOf(out.modelTopology as Json);
    expect(shapeOf(layers, 'pc')).toEqual([null, null, 2, 2, 4]);
    expect(shapeOf(layers, 'ps')).toEqual([null, null, 2, 2, 6]);
    expect(shapeOf(layers, 'c')).toEqual([null, 3, 3, 4]);
    expect(shapeOf(layers, 'pc5')).toEqual([null, 2, 2, 2, 4]);
  });

  it('finds the layers of nested models and under a model_config wrapper; looks sources up by their config name', () => {
    const inner: Json = {
      class_name: 'Model', name: 'inner',
      config: { name: 'inner', layers: [inputLayer('ipc', old4, false), inputLayer('ips', [null, null, null, 6]), tpfrLayer('t', ['a', 'b', 'ipc', 'ips'])] },
    };
    const topology: Json = { model_config: { class_name: 'Model', config: { name: 'outer', layers: [inputLayer('x', old4), inner] } }, format: 'layers-model' };
    const { artifacts, upgraded } = upgradePeerInputs(artifactsOf(topology));
    expect(upgraded).toEqual(['ipc', 'ips']);
    const innerOut = ((artifacts.modelTopology as Json).model_config as Json).config as Json;
    const nested = (innerOut.layers as Json[])[1].config as Json;
    expect(shapeOf(nested.layers as Json[], 'ipc')).toEqual([null, null, null, null, 4]);
    expect(shapeOf(innerOut.layers as Json[], 'x')).toEqual(old4);
  });

  it('returns the same artifacts when there is nothing to convert', () => {
    const cases: tf.io.ModelArtifacts[] = [
      {},
      { modelTopology: new ArrayBuffer(4) },
      artifactsOf({}),
      artifactsOf({ config: {} }),
      artifactsOf({ config: { layers: [inputLayer('pc', [null, null, 2, 2, 4]), tpfrLayer('t', ['c', 's', 'pc', 'pc'])] } }),
      artifactsOf({ config: { layers: [{ class_name: 'InputLayer', name: 'pc', config: { name: 'pc' } }, tpfrLayer('t', ['c', 's', 'pc', 'pc'])] } }),
    ];
    for (const a of cases) {
      const r = upgradePeerInputs(a);
      expect(r.upgraded).toEqual([]);
      expect(r.artifacts).toBe(a);
    }
  });

  it('names the layer and the inbound count when a TPFR node has not four inputs', () => {
    const three = artifactsOf({ config: { layers: [tpfrLayer('tpfr', ['c', 's', 'pc'])] } });
    expect(() => upgradePeerInputs(three)).toThrow(/upgradePeerInputs: expected four inbound tensors of TpfrPeerRecombination 'tpfr', received 3/);
    const odd = artifactsOf({ config: { layers: [{ class_name: 'TpfrPeerRecombination', name: 'odd', config: { name: 'odd' }, inbound_nodes: [{}] }] } });
    expect(() => upgradePeerInputs(odd)).toThrow(/upgradePeerInputs: expected four inbound tensors of TpfrPeerRecombination 'odd', received object/);
  });
});
