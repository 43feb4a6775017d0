import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { collectTimings } from '@tpfr/core/utils';
import { stylize } from '@tpfr/models';
import { TpfrTrainer } from '@tpfr/models/train';
import { MICRO_MODEL } from '@tpfr/testing';

it('stylize names its parts for collectTimings (what bench:stylize reports)', async () => {
  await initBackend('wasm');
  const model = TpfrTrainer.createModel(MICRO_MODEL, 2);
  const content = tf.randomUniform([40, 36, 3], 0, 255, 'float32', 1) as tf.Tensor3D;
  const style = tf.randomUniform([32, 32, 3], 0, 255, 'float32', 2) as tf.Tensor3D;
  const plain = await collectTimings(() => stylize(model, content, style));
  expect(Object.keys(plain.parts).sort()).toEqual([
    'decode',
    'encode content',
    'encode exemplars',
    'prepare',
    'recombine',
    'stage 1: attention',
    'stage 1: attention transforms',
    'stage 1: neighbour search',
    'stage 2: attention',
    'stage 2: attention transforms',
    'stage 2: neighbour search',
  ]);
  expect(Object.values(plain.parts).every((ms) => ms >= 0)).toBe(true);
  const piped = await collectTimings(() => stylize(model, content, style, { pipeline: { size: 32 } }));
  expect(piped.parts).toHaveProperty('pipeline: resize and crop');
  expect(piped.parts).toHaveProperty('pipeline: stretch');
  tf.dispose([plain.result, piped.result, content, style]);
  model.dispose();
});
