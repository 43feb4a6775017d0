/**
 * The shared contract every @tpfr/layers layer passes (`@tpfr/testing/layers`): output shape
 * = `computeOutputShape`, config round trip through the serialization registry, weights
 * tracked by a `tf.model` (trainableWeights, countParams, summary), and, inside a `tf.model`:
 * `predict` (with a `batchSize` smaller than B, so that tfjs-layers slices every input into
 * batches), `execute`, `evaluate`, a short `fit` and save → load give what eager `layer.apply`
 * gives; finite gradients in training mode, and no leaked tensors.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fileSystemIO } from '@tpfr/layers/node';
import { describeEachBackend } from './backends.js';
import { expectNoLeaks } from './leaks.js';

/** A layer under the contract. */
export interface LayerContractCase {
  /** Suite name. */
  name: string;
  /** Makes a fresh layer (each test makes its own). */
  make: () => tfl.layers.Layer;
  /**
   * Concrete input shapes (one per input), all with the same batch size B > 1 first: the batch
   * axis that `predict`, `evaluate` and `fit` slice.
   */
  inputShapes: number[][];
  /** Shapes of the symbolic inputs, batch excluded (default: the concrete ones); `null` = unknown. */
  symbolicShapes?: (number | null)[][];
  /** Trainable weight tensors the built layer must have. */
  trainableWeights: number;
  /** Non-trainable ones (default 0). */
  nonTrainableWeights?: number;
  /** Backends on which gradients are checked (default all). */
  gradientBackends?: string[];
  /** Inputs whose gradients are checked (default all; an input read only for its shape has none). */
  gradientInputs?: number[];
  /** Absolute tolerance of the output comparisons (default 1e-6). */
  atol?: number;
  /** The `batchSize` given to `predict`, `evaluate` and `fit`, < B (default B − 1). */
  batchSize?: number;
  /**
   * The layer mixes the samples of a batch at inference (the TPFR layer with `'shared'` pooling):
   * a sample's output depends on the other samples it is called with. Batched `predict` and
   * `evaluate` are then compared with eager calls on the same batches, and an unbatched `predict`
   * with one eager call on all B (default false: every batched run equals one eager call).
   */
  mixesSamples?: boolean;
  /**
   * Makes the layer's training calls reproducible (seeds its dropout, say), so that `fit`'s loss
   * can be recomputed eagerly. Without it the layer must be deterministic in training.
   */
  seedTraining?: (layer: tfl.layers.Layer) => void;
}

function inputsOf(shapes: number[][], seed = 7): tf.Tensor[] {
  return shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', seed + i));
}

function asArray<T>(x: T | T[]): T[] {
  return Array.isArray(x) ? x : [x];
}

function one<T>(xs: T[]): T | T[] {
  return xs.length === 1 ? xs[0] : xs;
}

async function expectTensorsClose(a: tf.Tensor[], b: tf.Tensor[], atol: number, what: string): Promise<void> {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    expect(a[i].shape, `${what}: output ${i} shape`).toEqual(b[i].shape);
    expect(a[i].dtype, `${what}: output ${i} dtype`).toBe(b[i].dtype);
    const x = await a[i].data();
    const y = await b[i].data();
    let worst = 0;
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j] - y[j]));
    expect(worst, `${what}: output ${i} max |diff|`).toBeLessThanOrEqual(atol);
  }
}

function expectLossClose(actual: number, expected: number, atol: number, what: string): void {
  expect(Number.isFinite(actual), `${what}: finite`).toBe(true);
  expect(Math.abs(actual - expected), `${what}: ${actual} against ${expected}`).toBeLessThanOrEqual(
    Math.max(atol, 1e-5) * (1 + Math.abs(expected)),
  );
}

function symbolicModel(c: LayerContractCase, layer: tfl.layers.Layer): tfl.LayersModel {
  const shapes = c.symbolicShapes ?? c.inputShapes.map((s) => s.slice(1));
  const ins = shapes.map((s) => tfl.input({ shape: s }));
  const outs = asArray(layer.apply(one(ins)) as tfl.SymbolicTensor | tfl.SymbolicTensor[]);
  return tfl.model({ inputs: ins, outputs: outs });
}

/** The batch size B of the case's inputs, checked (> 1, the same for every input). */
function batchOf(c: LayerContractCase): number {
  const b = c.inputShapes[0][0];
  for (const s of c.inputShapes) expect(s[0], `${c.name}: every input's first axis is the batch`).toBe(b);
  expect(b, `${c.name}: B > 1, so that batching is tested`).toBeGreaterThan(1);
  return b;
}

/** The batches `predict` and `evaluate` cut the inputs into: `[start, size]` each. */
function batchRanges(b: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < b; s += size) out.push([s, Math.min(size, b - s)]);
  return out;
}

function sliceBatch(xs: tf.Tensor[], [start, size]: [number, number]): tf.Tensor[] {
  return xs.map((x) => tf.slice(x, [start], [size]));
}

/** Eager outputs on all of `xs`, or on each batch of `size`, concatenated (layers that mix samples). */
function eagerOutputs(layer: tfl.layers.Layer, xs: tf.Tensor[], batches: [number, number][] | null): tf.Tensor[] {
  return tf.tidy(() => {
    if (!batches) return asArray(layer.apply(one(xs)) as tf.Tensor | tf.Tensor[]);
    const parts = batches.map((r) => asArray(layer.apply(one(sliceBatch(xs, r))) as tf.Tensor | tf.Tensor[]));
    return parts[0].map((_, i) =>
      tf.concat(
        parts.map((p) => p[i]),
        0,
      ),
    );
  });
}

/**
 * The loss `evaluate` / `fit` compute, eagerly: per batch, the sum over the float outputs of
 * their mean squared error against `ys`, averaged over the batches weighted by their size.
 */
function eagerLosses(
  layer: tfl.layers.Layer,
  xs: tf.Tensor[],
  ys: tf.Tensor[],
  floatOutputs: number[],
  batches: [number, number][],
  training: boolean,
): { total: number; perOutput: number[] } {
  const b = xs[0].shape[0];
  const perOutput = floatOutputs.map(() => 0);
  for (const r of batches) {
    tf.tidy(() => {
      const outs = asArray(layer.apply(one(sliceBatch(xs, r)), { training }) as tf.Tensor | tf.Tensor[]);
      floatOutputs.forEach((o, i) => {
        perOutput[i] += (r[1] / b) * tf.losses.meanSquaredError(tf.slice(ys[i], [r[0]], [r[1]]), outs[o]).dataSync()[0];
      });
    });
  }
  return { total: perOutput.reduce((a, v) => a + v, 0), perOutput };
}

/** Declares the contract tests of `c` on every test backend. */
export function describeLayerContract(c: LayerContractCase): void {
  const atol = c.atol ?? 1e-6;
  describeEachBackend(`${c.name} layer contract`, (backend) => {
    it('output shape equals computeOutputShape', () => {
      const layer = c.make();
      const xs = inputsOf(c.inputShapes);
      const out = asArray(layer.apply(one(xs)) as tf.Tensor | tf.Tensor[]);
      const want = layer.computeOutputShape(one(c.inputShapes));
      const wantList = Array.isArray(want[0]) ? (want as tfl.Shape[]) : [want as tfl.Shape];
      expect(out.map((t) => t.shape)).toEqual(wantList);
      tf.dispose([...xs, ...out]);
    });

    it('config round trip through the serialization registry', async () => {
      const layer = c.make();
      const xs = inputsOf(c.inputShapes);
      const out = asArray(layer.apply(one(xs)) as tf.Tensor | tf.Tensor[]);
      const cls = layer.constructor as unknown as tf.serialization.SerializableConstructor<tfl.layers.Layer> & { className: string };
      const registered = tf.serialization.SerializationMap.getMap().classNameMap[cls.className];
      expect(registered, `${cls.className} is registered`).toBeDefined();
      const config = layer.getConfig();
      const copy = registered[1](registered[0], JSON.parse(JSON.stringify(config))) as tfl.layers.Layer;
      expect(copy.getConfig()).toEqual(config);
      copy.build(one(c.inputShapes));
      copy.setWeights(layer.getWeights());
      const out2 = asArray(copy.apply(one(xs)) as tf.Tensor | tf.Tensor[]);
      await expectTensorsClose(out2, out, atol, 'copy from config');
      tf.dispose([...xs, ...out, ...out2]);
    });

    it('weights are tracked by a tf.model and summarised', () => {
      const layer = c.make();
      const model = symbolicModel(c, layer);
      expect(layer.trainableWeights.length).toBe(c.trainableWeights);
      expect(layer.nonTrainableWeights.length).toBe(c.nonTrainableWeights ?? 0);
      expect(model.trainableWeights.length).toBe(c.trainableWeights);
      expect(model.countParams()).toBe(layer.countParams());
      const lines: string[] = [];
      model.summary(120, undefined, (line: string) => lines.push(line));
      expect(lines.join('\n')).toMatch(new RegExp(`Total params: ${layer.countParams()}\\b`));
      model.dispose();
    });

    it('tf.model predict (batchSize < B and default) and execute equal eager layer.apply', async () => {
      const b = batchOf(c);
      const bs = c.batchSize ?? b - 1;
      expect(bs).toBeLessThan(b);
      const layer = c.make();
      const model = symbolicModel(c, layer);
      const xs = inputsOf(c.inputShapes, 11);
      const eager = eagerOutputs(layer, xs, null);
      const eagerBatched = c.mixesSamples ? eagerOutputs(layer, xs, batchRanges(b, bs)) : eager;
      const batched = asArray(model.predict(one(xs), { batchSize: bs }) as tf.Tensor | tf.Tensor[]);
      await expectTensorsClose(batched, eagerBatched, atol, `predict with batchSize ${bs} of B = ${b}`);
      const whole = asArray(model.predict(one(xs)) as tf.Tensor | tf.Tensor[]);
      await expectTensorsClose(whole, eager, atol, 'predict with the default batchSize');
      const executed = asArray(
        model.execute(
          one(xs),
          model.outputs.map((o) => o.name),
        ) as tf.Tensor | tf.Tensor[],
      );
      await expectTensorsClose(executed, eager, atol, 'execute');
      await expectNoLeaks(() => model.predict(one(xs), { batchSize: bs }), `${c.name} predict`);
      tf.dispose([...xs, ...eager, ...(c.mixesSamples ? eagerBatched : []), ...batched, ...whole, ...executed]);
      model.dispose();
    });

    it('tf.model evaluate equals the eager loss; fit (with trainable weights) reports the eager training loss and trains them', async () => {
      const b = batchOf(c);
      const bs = c.batchSize ?? b - 1;
      const layer = c.make();
      const model = symbolicModel(c, layer);
      const xs = inputsOf(c.inputShapes, 13);
      const probe = asArray(layer.apply(one(xs)) as tf.Tensor | tf.Tensor[]);
      const floatOutputs = probe.flatMap((t, i) => (t.dtype === 'float32' ? [i] : []));
      const ys = floatOutputs.map((i, j) => tf.randomNormal(probe[i].shape, 0, 1, 'float32', 40 + j));
      tf.dispose(probe);
      // Losses on the float outputs only (indices, say, have none).
      const trainable = tfl.model({ inputs: model.inputs, outputs: floatOutputs.map((i) => model.outputs[i]) });
      const n = floatOutputs.length;
      const evaluated = (lr: number) => {
        trainable.compile({ optimizer: tf.train.sgd(lr), loss: 'meanSquaredError' });
        const r = asArray(trainable.evaluate(one(xs), one(ys), { batchSize: bs }) as tf.Scalar | tf.Scalar[]);
        // tfjs-layers 4.22 returns the running totals over the outputs, then each output's loss.
        const values = r.map((t) => t.dataSync()[0]);
        tf.dispose(r);
        return { total: values[n - 1], perOutput: n > 1 ? values.slice(n, 2 * n) : values };
      };
      const inference = eagerLosses(layer, xs, ys, floatOutputs, c.mixesSamples ? batchRanges(b, bs) : [[0, b]], false);
      const before = evaluated(0);
      expectLossClose(before.total, inference.total, atol, `evaluate with batchSize ${bs}`);
      before.perOutput.forEach((v, i) => expectLossClose(v, inference.perOutput[i], atol, `evaluate, output ${floatOutputs[i]}`));
      // fit needs weights to train: a layer without trainable weights is done here.
      if (layer.trainableWeights.length === 0) {
        tf.dispose([...xs, ...ys]);
        model.dispose();
        return;
      }
      // One epoch at learning rate 0, unshuffled: the reported loss is the batches' training-mode loss.
      c.seedTraining?.(layer);
      const training = eagerLosses(layer, xs, ys, floatOutputs, batchRanges(b, bs), true);
      trainable.compile({ optimizer: tf.train.sgd(0), loss: 'meanSquaredError' });
      const h0 = await trainable.fit(one(xs), one(ys), { batchSize: bs, epochs: 1, shuffle: false, verbose: 0 });
      expectLossClose(h0.history.loss[0] as number, training.total, atol, `fit loss with batchSize ${bs}`);
      // Then a real step: the layer's own weights change, and evaluate still equals the eager loss.
      const weightsBefore = layer.trainableWeights.map((w) => w.read().dataSync().slice());
      trainable.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
      const h1 = await trainable.fit(one(xs), one(ys), { batchSize: bs, epochs: 1, shuffle: false, verbose: 0 });
      expect(Number.isFinite(h1.history.loss[0] as number)).toBe(true);
      // Some weights may get no gradient (a bias before an instance norm): the weights as a whole move.
      const moved = layer.trainableWeights.some((w, i) =>
        w
          .read()
          .dataSync()
          .some((v, j) => v !== weightsBefore[i][j]),
      );
      expect(moved, "fit changed the layer's trainable weights").toBe(true);
      const after = eagerLosses(layer, xs, ys, floatOutputs, c.mixesSamples ? batchRanges(b, bs) : [[0, b]], false);
      expectLossClose(evaluated(0).total, after.total, atol, 'evaluate after fit');
      tf.dispose([...xs, ...ys]);
      model.dispose();
    });

    it('saves and loads (fileSystemIO and tf.io.fromMemory): the loaded model predicts what the layer gives eagerly', async () => {
      const b = batchOf(c);
      const bs = c.batchSize ?? b - 1;
      const layer = c.make();
      const model = symbolicModel(c, layer);
      // Perturb the non-trainable weights too, so the round trip proves they are saved.
      tf.tidy(() =>
        layer.nonTrainableWeights.forEach((w, i) =>
          w.write(tf.add(w.read(), tf.randomUniform(w.shape as number[], 0.1, 0.5, 'float32', i))),
        ),
      );
      let saved: tf.io.ModelArtifacts | null = null;
      await model.save(
        tf.io.withSaveHandler(async (a) => {
          saved = a;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const names = (saved!.weightSpecs ?? []).map((s) => s.name);
      for (const w of layer.weights) expect(names).toContain(w.originalName);
      const dir = mkdtempSync(join(tmpdir(), 'tpfr-contract-'));
      try {
        await model.save(fileSystemIO(dir));
        const loaded = [await tfl.loadLayersModel(tf.io.fromMemory(saved!)), await tfl.loadLayersModel(fileSystemIO(dir))];
        const xs = inputsOf(c.inputShapes, 17);
        const eager = eagerOutputs(layer, xs, c.mixesSamples ? batchRanges(b, bs) : null);
        for (const [i, m] of loaded.entries()) {
          const ys = asArray(m.predict(one(xs), { batchSize: bs }) as tf.Tensor | tf.Tensor[]);
          await expectTensorsClose(ys, eager, atol, `${i === 0 ? 'tf.io.fromMemory' : 'fileSystemIO'} model, predict with batchSize ${bs}`);
          tf.dispose(ys);
          m.dispose();
        }
        tf.dispose([...xs, ...eager]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      model.dispose();
    });

    it.skipIf(c.gradientBackends != null && !c.gradientBackends.includes(backend))('gives finite gradients in training mode', async () => {
      const layer = c.make();
      const xs = inputsOf(c.inputShapes);
      tf.dispose(layer.apply(one(xs)) as tf.Tensor | tf.Tensor[]);
      const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const loss = () =>
        tf.tidy(() => {
          const outs = asArray(layer.apply(one(xs), { training: true }) as tf.Tensor | tf.Tensor[]).filter((t) => t.dtype === 'float32');
          return tf.addN(outs.map((t, i) => tf.sum(tf.mul(t, tf.randomNormal(t.shape, 0, 1, 'float32', 3 + i))))) as tf.Scalar;
        });
      if (vars.length > 0) {
        const { value, grads } = tf.variableGrads(loss, vars);
        expect(Number.isFinite(value.dataSync()[0])).toBe(true);
        expect(Object.keys(grads).length).toBe(vars.length);
        for (const g of Object.values(grads)) expect(tf.all(tf.isFinite(g)).dataSync()[0]).toBe(1);
        tf.dispose([value, ...Object.values(grads)]);
      }
      const which = c.gradientInputs ?? xs.map((_, i) => i);
      const { value, grads } = tf.valueAndGrads((...ins: tf.Tensor[]) =>
        tf.tidy(() => {
          const all = xs.map((x, i) => (which.includes(i) ? ins[which.indexOf(i)] : x));
          const outs = asArray(layer.apply(one(all), { training: true }) as tf.Tensor | tf.Tensor[]).filter((t) => t.dtype === 'float32');
          return tf.addN(outs.map((t) => tf.sum(tf.square(t)))) as tf.Scalar;
        }),
      )(which.map((i) => xs[i]));
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      for (const g of grads) expect(tf.all(tf.isFinite(g)).dataSync()[0]).toBe(1);
      tf.dispose([value, ...grads, ...xs]);
    });

    it('leaks no tensors (inference and training calls)', async () => {
      const layer = c.make();
      const xs = inputsOf(c.inputShapes);
      tf.dispose(layer.apply(one(xs)) as tf.Tensor | tf.Tensor[]);
      await expectNoLeaks(() => layer.apply(one(xs)), `${c.name} inference`);
      await expectNoLeaks(() => layer.apply(one(xs), { training: true }), `${c.name} training`);
      tf.dispose(xs);
    });
  });
}
