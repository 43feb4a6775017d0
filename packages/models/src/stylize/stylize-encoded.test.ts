import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { expectNoLeaks, MICRO_MODEL } from '@tpfr/testing';
import { collectTimings } from '@tpfr/core/utils';
import { encodeExemplars, stylize } from '@tpfr/models';
import { TpfrTrainer } from '@tpfr/models/train';

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

it('exemplars encoded once give every content what the exemplars themselves give, without encoding them again', async () => {
  await initBackend('wasm');
  const model = TpfrTrainer.createModel(MICRO_MODEL, 6);
  const contents = [
    tf.randomUniform([36, 40, 3], 0, 255, 'float32', 1) as tf.Tensor3D,
    tf.randomUniform([33, 45, 3], 0, 255, 'float32', 2) as tf.Tensor3D,
  ];
  const styles = [
    tf.randomUniform([32, 32, 3], 0, 255, 'float32', 3) as tf.Tensor3D,
    tf.randomUniform([40, 36, 3], 0, 255, 'float32', 4) as tf.Tensor3D,
  ];
  const encoded = encodeExemplars(model, styles);
  expect(encoded.styles).toHaveLength(1);
  expect(encoded.styles[0].content.shape).toEqual([2, 8, 8, model.widths.content]);
  expect(encoded.styles[0].style.shape).toEqual([2, 8, 8, model.widths.style]);
  for (const c of contents) {
    const [a, b] = [stylize(model, c, styles), stylize(model, c, encoded)];
    expect(maxDiff(a, b)).toBe(0);
    tf.dispose([a, b]);
  }
  // The pipeline's exemplar steps apply at encoding; stylize then runs the content's only.
  const pipeline = { size: 32, styleSize: 32 };
  const piped = encodeExemplars(model, styles, { pipeline });
  const [p, q] = [stylize(model, contents[1], styles, { pipeline }), stylize(model, contents[1], piped, { pipeline })];
  expect(maxDiff(p, q)).toBe(0);
  const { parts } = await collectTimings(() => tf.dispose(stylize(model, contents[0], encoded)));
  expect(parts).not.toHaveProperty('encode exemplars');
  await expectNoLeaks(() => stylize(model, contents[0], encoded), 'stylize with encoded exemplars');
  await expectNoLeaks(() => encodeExemplars(model, styles).dispose(), 'encodeExemplars + dispose');
  const other = TpfrTrainer.createModel(MICRO_MODEL, 7);
  expect(() => stylize(other, contents[0], encoded)).toThrow(
    /stylize: expected exemplars encoded with this model, received exemplars encoded with another model \(encodeExemplars\)/,
  );
  expect(() => encodeExemplars(model, [])).toThrow(/encodeExemplars: expected at least one style exemplar, received an empty list/);
  expect(() => encodeExemplars(model, styles, { pipeline: { size: 0 } })).toThrow(
    /encodeExemplars: expected pipeline.size a positive integer, received 0/,
  );
  // A single exemplar, an explicit range, the exemplars' names in errors, no leak with a pipeline.
  const single = encodeExemplars(model, styles[0]);
  expect(single.styles[0].content.shape[0]).toBe(1);
  const [s1, s2] = [stylize(model, contents[0], styles[0]), stylize(model, contents[0], single)];
  expect(maxDiff(s1, s2)).toBe(0);
  const unit = styles.map((s) => tf.div(s, 255) as tf.Tensor3D);
  const ranged = encodeExemplars(model, unit, { range: '0-255' });
  const [r1, r2] = [stylize(model, contents[0], unit, { range: '0-255' }), stylize(model, contents[0], ranged, { range: '0-255' })];
  expect(maxDiff(r1, r2)).toBe(0);
  const guessed = stylize(model, contents[0], encodeExemplars(model, unit));
  expect(maxDiff(r1, guessed)).toBeGreaterThan(0);
  expect(() => encodeExemplars(model, [styles[0], tf.zeros([4, 4]) as unknown as tf.Tensor3D])).toThrow(
    /encodeExemplars: expected styles\[1\] of shape \[H, W, 3\]/,
  );
  await expectNoLeaks(() => encodeExemplars(model, styles, { pipeline }).dispose(), 'encodeExemplars with a pipeline');
  tf.dispose([s1, s2, r1, r2, guessed, ...unit]);
  single.dispose();
  ranged.dispose();
  const before = tf.memory().numTensors;
  encoded.dispose();
  piped.dispose();
  expect(tf.memory().numTensors).toBe(before - 4);
  tf.dispose([...contents, ...styles, p, q]);
  model.dispose();
  other.dispose();
});

it("a pool of the content's size is encoded with the content in one batch, with the result of encoding them apart, bit for bit", async () => {
  await initBackend('wasm');
  const model = TpfrTrainer.createModel('paper', 8);
  const content = tf.randomUniform([2, 40, 36, 3], 0, 255, 'float32', 11) as tf.Tensor4D;
  const styles = [
    tf.randomUniform([40, 36, 3], 0, 255, 'float32', 12) as tf.Tensor3D,
    tf.randomUniform([36, 52, 3], 0, 255, 'float32', 13) as tf.Tensor3D,
  ];
  const together = await collectTimings(() => stylize(model, content, styles));
  expect(together.parts).toHaveProperty('encode content and exemplars');
  expect(together.parts).not.toHaveProperty('encode exemplars');
  const encoded = encodeExemplars(model, styles);
  const apart = await collectTimings(() => stylize(model, content, encoded));
  expect(apart.parts).toHaveProperty('encode content');
  expect(maxDiff(together.result, apart.result)).toBe(0);
  // Exemplars of another size than the content: encoded apart.
  const other = await collectTimings(() => stylize(model, content, [styles[1]]));
  expect(Object.keys(other.parts)).toEqual(expect.arrayContaining(['encode exemplars', 'encode content']));
  await expectNoLeaks(() => stylize(model, content, styles), 'stylize, content and exemplars in one batch');
  tf.dispose([together.result, apart.result, other.result, content, ...styles]);
  encoded.dispose();
  model.dispose();
});
