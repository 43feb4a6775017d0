import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectNoLeaks } from '@tpfr/testing';
import { initBackend, ShapeError, ValueError } from '@tpfr/core';
import { stackPeers, stackPeersPerSample } from '@tpfr/layers';
import { stylize, TpfrModel } from '@tpfr/models';
import { loadModel, saveModel } from '@tpfr/models/node';
import { TpfrTrainer } from '@tpfr/models/train';

let model: TpfrModel;
const dir = mkdtempSync(join(tmpdir(), 'tpfr-model-'));

beforeAll(async () => {
  await initBackend('wasm');
  model = TpfrTrainer.createModel('tiny', 3);
});
afterAll(() => {
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

it('stylizes images of any size, alone or batched, in either range', async () => {
  const content = tf.randomUniform([37, 45, 3], 0, 255, 'float32', 1) as tf.Tensor3D;
  const styleA = tf.randomUniform([33, 40, 3], 0, 255, 'float32', 2) as tf.Tensor3D;
  const styleB = tf.randomUniform([50, 34, 3], 0, 255, 'float32', 3) as tf.Tensor3D;
  const batch = tf.randomUniform([2, 32, 36, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
  await expectNoLeaks(() => {
    const one = stylize(model, content, [styleA, styleB]);
    expect(one.shape).toEqual([37, 45, 3]);
    const v = one.dataSync();
    expect(v.every((x) => x >= 0 && x <= 255)).toBe(true);
    const two = stylize(model, batch, styleA, { stages: 'style-only', k: 3 });
    expect(two.shape).toEqual([2, 32, 36, 3]);
    expect(two.dataSync().every((x) => x >= -1 && x <= 1)).toBe(true);
    return [one, two];
  }, 'stylize');
  // Repeated calls keep nothing.
  await expectNoLeaks(() => {
    for (let i = 0; i < 3; i++) stylize(model, batch, styleA).dispose();
  }, 'repeated stylize');
  tf.dispose([content, styleA, styleB, batch]);
});

it('rejects wrong channels, non-finite pixels, an empty style set and images too small', async () => {
  const ok = tf.zeros([32, 32, 3]) as tf.Tensor3D;
  const gray = tf.zeros([32, 32, 1]) as tf.Tensor3D;
  const nan = tf.fill([32, 32, 3], NaN) as tf.Tensor3D;
  const small = tf.zeros([16, 40, 3]) as tf.Tensor3D;
  expect(() => stylize(model, gray, ok)).toThrow(ShapeError);
  expect(() => stylize(model, gray, ok)).toThrow(
    /stylize: expected content with 3 \(RGB\) channels, \[H, W, 3\] or \[B, H, W, 3\], received shape \[32,32,1\]/,
  );
  expect(() => stylize(model, ok, nan)).toThrow(/stylize: expected styles\[0\] to be finite/);
  // A bad exemplar after good ones leaves nothing behind.
  await expectNoLeaks(() => {
    expect(() => stylize(model, ok, [ok, nan])).toThrow(/stylize: expected styles\[1\] to be finite/);
  }, 'stylize error path');
  expect(() => stylize(model, ok, [])).toThrow(/stylize: expected at least one style exemplar, received an empty list/);
  expect(() => stylize(model, small, ok)).toThrow(ValueError);
  expect(() => stylize(model, small, ok)).toThrow(/stylize: expected images of at least 32×32 pixels for this network, received 16×40/);
  tf.dispose([ok, gray, nan, small]);
});

it('saves and loads through a folder, an IOHandler and a URL, with identical outputs', async () => {
  const content = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
  const style = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 6) as tf.Tensor4D;
  const before = stylize(model, content, style);
  const path = join(dir, 'model');
  await saveModel(model, path, { note: 'kept' });
  expect(JSON.parse(readFileSync(join(path, 'tpfr-model.json'), 'utf8'))).toMatchObject({ format: 'tpfr-model', version: 2, note: 'kept' });
  // In memory, through any IOHandler: what a browser does with indexeddb:// or http://.
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  // Over HTTP, as the folder's static files: TpfrModel.load(url) with tfjs' http handler.
  const files: Record<string, Uint8Array> = Object.fromEntries(['model.json', 'weights.bin'].map((f) => [f, readFileSync(join(path, f))]));
  const fetchFiles = (async (url: string) => {
    const name = String(url).split('/').pop()!;
    return new Response(files[name] ? new Uint8Array(files[name]) : null, { status: files[name] ? 200 : 404 });
  }) as unknown as typeof fetch;
  const loadedAll = [
    await loadModel(path),
    await TpfrModel.load(tf.io.fromMemory(saved!)),
    await TpfrModel.load(tf.io.http('http://127.0.0.1/m/model.json', { fetchFunc: fetchFiles })),
  ];
  for (const loaded of loadedAll) {
    expect(loaded.config).toEqual(model.config);
    const after = stylize(loaded, content, style);
    expect(Array.from(after.dataSync())).toEqual(Array.from(before.dataSync()));
    expect(loaded.generatorParameterCount()).toBe(model.generatorParameterCount());
    loaded.dispose();
    after.dispose();
  }
  tf.dispose([content, style, before]);
});

it('explains a missing or corrupt model folder, a plain path without the Node entry, and a newer format', async () => {
  await expect(loadModel(join(dir, 'nothing'))).rejects.toThrow(/loadModel: expected a model directory with tpfr-model.json/);
  await expect(TpfrModel.load(join(dir, 'nothing'))).rejects.toThrow(
    /TpfrModel.load: .*a plain path: in Node use saveModel \/ loadModel of '@tpfr\/models\/node'/,
  );
  const bad = join(dir, 'bad');
  await saveModel(model, bad);
  const weights = readFileSync(join(bad, 'weights.bin'));
  writeFileSync(join(bad, 'weights.bin'), weights.subarray(0, weights.length - 8));
  await expect(loadModel(bad)).rejects.toThrow(/loadModel: expected \d+ bytes of weights for the manifest's \d+ weights, found \d+/);
  writeFileSync(join(bad, 'tpfr-model.json'), JSON.stringify({ format: 'tpfr-model', version: 3, config: model.config }));
  await expect(loadModel(bad)).rejects.toThrow(
    /^loadModel: expected a model of format version 2, found version 3 in .*bad\/tpfr-model\.json \(saved by a newer @tpfr\/models\)$/,
  );
});

it('refuses any format version but 2 (none other was released): a folder, or artifacts, of version 1 or of none', async () => {
  const old = join(dir, 'version-1');
  await saveModel(model, old);
  for (const version of [1, undefined]) {
    writeFileSync(join(old, 'tpfr-model.json'), JSON.stringify({ format: 'tpfr-model', version, config: model.config }));
    const found = version === undefined ? 'none' : '1';
    await expect(loadModel(old)).rejects.toThrow(
      new RegExp(`^loadModel: expected a model of format version 2, found version ${found} in .*version-1/tpfr-model\\.json$`),
    );
  }
  const artifacts = await model.toArtifacts();
  (artifacts.modelTopology as { tpfr: { version: number } }).tpfr.version = 1;
  await expect(TpfrModel.fromArtifacts(artifacts)).rejects.toThrow(
    /^TpfrModel\.fromArtifacts: expected a model of format version 2, found version 1$/,
  );
});

it('recombine takes each sample with its own P exemplars [B, P, h, w, C]; predict of the recombination part agrees', () => {
  const z = model.encode(tf.randomUniform([3, 32, 32, 3], -1, 1, 'float32', 10) as tf.Tensor4D);
  const e = model.encode(tf.randomUniform([4, 32, 32, 3], -1, 1, 'float32', 11) as tf.Tensor4D);
  const pair = (t: tf.Tensor4D) =>
    stackPeersPerSample([tf.slice(t, [0], [2]), tf.slice(t, [1], [2]), tf.slice(t, [2], [2])] as tf.Tensor4D[]);
  const peers = { content: pair(e.content), style: pair(e.style) };
  const r = model.recombine(z, peers);
  const [c, s] = model.recombination.predict([z.content, z.style, peers.content, peers.style], { batchSize: 1 }) as tf.Tensor[];
  expect(tf.max(tf.abs(tf.sub(c, r.content))).dataSync()[0]).toBeLessThan(1e-5);
  expect(tf.max(tf.abs(tf.sub(s, r.style))).dataSync()[0]).toBeLessThan(1e-5);
  // Sample 1 alone, with its exemplars 1 and 2, gives the same as in the batch.
  const one = model.recombine(
    { content: tf.slice(z.content, [1], [1]), style: tf.slice(z.style, [1], [1]) },
    { content: stackPeers(tf.slice(e.content, [1], [2]), 1), style: stackPeers(tf.slice(e.style, [1], [2]), 1) },
  );
  expect(tf.max(tf.abs(tf.sub(one.style, tf.slice(r.style, [1], [1])))).dataSync()[0]).toBeLessThan(1e-5);
  expect(() => model.recombine(z, { content: e.content, style: e.style } as never)).toThrow(
    /TpfrPeerRecombination: expected peer content \[B, P, h, w, Cc\] of rank 5/,
  );
  tf.dispose([
    z.content,
    z.style,
    z.middle,
    e.content,
    e.style,
    e.middle,
    peers.content,
    peers.style,
    r.content,
    r.style,
    c,
    s,
    one.content,
    one.style,
  ]);
});
