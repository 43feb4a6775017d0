import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { stylize } from '@tpfr/models';
import { TpfrTrainer } from '@tpfr/models/train';
import { MICRO_MODEL } from '@tpfr/testing';

it("the pipeline writes an output inside [0, 1] as imageio does (x·255, no stretch), as the authors' test.py", async () => {
  await initBackend('wasm');
  const model = TpfrTrainer.createModel(MICRO_MODEL, 5);
  // Every decoder weight 0 but the last bias: the output is tanh(bias) = 0.46 everywhere.
  const weights = model.mainDecoder.getWeights();
  const last = weights.length - 1;
  expect(weights[last].shape).toEqual([3]);
  model.mainDecoder.setWeights(weights.map((w, i) => (i === last ? tf.fill([3], Math.atanh(0.46)) : tf.zerosLike(w))));
  const content = tf.randomUniform([32, 32, 3], 0, 255, 'float32', 1) as tf.Tensor3D;
  const style = tf.randomUniform([32, 32, 3], 0, 255, 'float32', 2) as tf.Tensor3D;
  const out = stylize(model, content, style, { pipeline: { size: 32 } });
  // floor(0.46 · 255 + 0.499999999) = 117; stretching the constant image would give 0.
  expect(new Set(out.dataSync())).toEqual(new Set([117]));
  tf.dispose([content, style, out]);
  model.dispose();
});
