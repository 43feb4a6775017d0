import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { channelSlice, globalStyle, instanceNormalization, peerRecombination, reflectionPadding2d, residualBlock } from '../index.js';
import { fileSystemIO } from './index.js';

/** A small model that uses every layer of the package; one 8×8 exemplar per sample. */
function buildModel(): tfl.LayersModel {
  const img = tfl.input({ shape: [null, null, 3] });
  const peer = tfl.input({ shape: [8, 8, 3] });
  const enc = (x: tfl.SymbolicTensor, tag: string) => {
    let h = reflectionPadding2d({ padding: 1, name: `${tag}_pad` }).apply(x) as tfl.SymbolicTensor;
    h = tfl.layers.conv2d({ filters: 12, kernelSize: 3, name: `${tag}_conv` }).apply(h) as tfl.SymbolicTensor;
    h = instanceNormalization({ affine: true, name: `${tag}_in` }).apply(h) as tfl.SymbolicTensor;
    h = residualBlock({ name: `${tag}_res` }).apply(h) as tfl.SymbolicTensor;
    const content = channelSlice({ start: 0, size: 4, name: `${tag}_content` }).apply(h) as tfl.SymbolicTensor;
    const glob = globalStyle({ filters: 4, name: `${tag}_global` }).apply(
      channelSlice({ start: 4, size: 4, name: `${tag}_gin` }).apply(h) as tfl.SymbolicTensor,
    ) as tfl.SymbolicTensor;
    const local = channelSlice({ start: 8, size: 4, name: `${tag}_local` }).apply(h) as tfl.SymbolicTensor;
    const style = tfl.layers.concatenate({ name: `${tag}_style` }).apply([glob, local]) as tfl.SymbolicTensor;
    return [content, style];
  };
  const [c, s] = enc(img, 'img');
  // The peer codes [B, 8, 8, C] with the exemplar axis, P = 1: [B, 1, 8, 8, C].
  const [pc, ps] = enc(peer, 'peer').map(
    (t, i) => tfl.layers.reshape({ targetShape: [1, 8, 8, 4 * (i + 1)], name: `peer_axis${i}` }).apply(t) as tfl.SymbolicTensor,
  );
  const [c2, s2] = peerRecombination({ k: 3, name: 'tpfr' }).apply([c, s, pc, ps]);
  const out = tfl.layers.concatenate().apply([c2, s2]) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [img, peer], outputs: out });
}

describe('saving and loading a model of @tpfr/layers', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  const dir = mkdtempSync(join(tmpdir(), 'tpfr-layers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips through fileSystemIO (node:fs) and tf.io.withSaveHandler with identical outputs', async () => {
    const model = buildModel();
    const n = model.countParams();
    const lines: string[] = [];
    model.summary(150, undefined, (l: string) => lines.push(l));
    expect(lines.join('\n')).toMatch(new RegExp(`Total params: ${n}\\b`));
    const xs = [tf.randomNormal([2, 10, 9, 3], 0, 1, 'float32', 1), tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 2)];
    const want = model.predict(xs, { batchSize: 1 }) as tf.Tensor;

    await model.save(fileSystemIO(dir));
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const fromDisk = await tfl.loadLayersModel(fileSystemIO(dir));
    expect(fromDisk.countParams()).toBe(n);
    const got = fromDisk.predict(xs) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBe(0);

    let artifacts: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const fromMemory = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    const got2 = fromMemory.predict(xs) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(got2, want))).dataSync()[0]).toBe(0);
    expect(JSON.stringify(artifacts!.modelTopology)).toContain('TpfrPeerRecombination');
    tf.dispose([...xs, want, got, got2]);
  });
});
