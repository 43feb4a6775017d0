/**
 * The shared contract every @tpfr/layers layer passes (test helper, not shipped): output shape
 * = `computeOutputShape`, config round trip through the serialization registry, weights
 * tracked by a `tf.model` (trainableWeights, countParams, summary, save → load with identical
 * outputs), finite gradients in training mode, and no leaked tensors.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoLeaks } from '@tpfr/core/testing';

/** A layer under the contract. */
export interface LayerContractCase {
  /** Suite name. */
  name: string;
  /** Makes a fresh layer (each test makes its own). */
  make: () => tfl.layers.Layer;
  /** Concrete input shapes, batch included (one per input). */
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
    const x = await a[i].data();
    const y = await b[i].data();
    let worst = 0;
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j] - y[j]));
    expect(worst, `${what}: output ${i} max |diff|`).toBeLessThanOrEqual(atol);
  }
}

function symbolicModel(c: LayerContractCase, layer: tfl.layers.Layer): tfl.LayersModel {
  const shapes = c.symbolicShapes ?? c.inputShapes.map((s) => s.slice(1));
  const ins = shapes.map((s) => tfl.input({ shape: s }));
  const outs = asArray(layer.apply(one(ins)) as tfl.SymbolicTensor | tfl.SymbolicTensor[]);
  return tfl.model({ inputs: ins, outputs: outs });
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

    it('weights are tracked, summarised, saved and loaded back with identical outputs', async () => {
      const layer = c.make();
      const model = symbolicModel(c, layer);
      expect(layer.trainableWeights.length).toBe(c.trainableWeights);
      expect(layer.nonTrainableWeights.length).toBe(c.nonTrainableWeights ?? 0);
      expect(model.trainableWeights.length).toBe(c.trainableWeights);
      expect(model.countParams()).toBe(layer.countParams());
      const lines: string[] = [];
      model.summary(120, undefined, (line: string) => lines.push(line));
      expect(lines.join("\n")).toMatch(new RegExp(`Total params: ${layer.countParams()}\\b`));
      // Perturb the non-trainable weights too, so the round trip proves they are saved.
      tf.tidy(() => layer.nonTrainableWeights.forEach((w, i) => w.write(tf.add(w.read(), tf.randomUniform(w.shape as number[], 0.1, 0.5, 'float32', i)))));
      let saved: tf.io.ModelArtifacts | null = null;
      await model.save(tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      const names = (saved!.weightSpecs ?? []).map((s) => s.name);
      for (const w of layer.weights) expect(names).toContain(w.originalName);
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
      const xs = inputsOf(c.inputShapes, 11);
      const a = asArray(model.predict(one(xs)) as tf.Tensor | tf.Tensor[]);
      const b = asArray(loaded.predict(one(xs)) as tf.Tensor | tf.Tensor[]);
      await expectTensorsClose(b, a, atol, 'loaded model');
      tf.dispose([...xs, ...a, ...b]);
      model.dispose();
      loaded.dispose();
    });

    it.skipIf(c.gradientBackends != null && !c.gradientBackends.includes(backend))('gives finite gradients in training mode', async () => {
      const layer = c.make();
      const xs = inputsOf(c.inputShapes);
      tf.dispose(layer.apply(one(xs)) as tf.Tensor | tf.Tensor[]);
      const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const loss = () => tf.tidy(() => {
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
      const { value, grads } = tf.valueAndGrads((...ins: tf.Tensor[]) => tf.tidy(() => {
        const all = xs.map((x, i) => (which.includes(i) ? ins[which.indexOf(i)] : x));
        const outs = asArray(layer.apply(one(all), { training: true }) as tf.Tensor | tf.Tensor[]).filter((t) => t.dtype === 'float32');
        return tf.addN(outs.map((t) => tf.sum(tf.square(t)))) as tf.Scalar;
      }))(which.map((i) => xs[i]));
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
