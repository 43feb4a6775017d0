import * as tf from '@tensorflow/tfjs-core';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, TpfrError, ValueError } from '@tpfr/core';
import { MICRO_MODEL } from '@tpfr/testing';
import { stylize } from '../stylize/stylize.js';
import { TpfrTrainer } from '../train/trainer.js';
import { loadModel, saveModel } from './model-folder.js';

const dir = mkdtempSync(join(tmpdir(), 'tpfr-model-folder-'));
const good = join(dir, 'good');

beforeAll(async () => {
  await initBackend('wasm');
  const model = TpfrTrainer.createModel(MICRO_MODEL, 3);
  await saveModel(model, good);
  model.dispose();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface ModelJson {
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
}

/** A copy of the good model folder, its model.json edited by `edit` (or replaced by the text it returns). */
function variant(name: string, edit: (j: ModelJson) => unknown = (j) => j): string {
  const d = join(dir, name);
  rmSync(d, { recursive: true, force: true });
  cpSync(good, d, { recursive: true });
  const edited = edit(JSON.parse(readFileSync(join(d, 'model.json'), 'utf8')) as ModelJson);
  writeFileSync(join(d, 'model.json'), typeof edited === 'string' ? edited : JSON.stringify(edited));
  return d;
}

/** The load's error, checking no tensor was left behind (nothing is built before the checks). */
async function refusal(d: string): Promise<Error> {
  const before = tf.memory().numTensors;
  const e = await loadModel(d).then(
    () => null,
    (err: Error) => err,
  );
  expect(e).toBeInstanceOf(TpfrError);
  expect(tf.memory().numTensors).toBe(before);
  return e!;
}

const manifest = (): ModelJson => JSON.parse(readFileSync(join(good, 'model.json'), 'utf8')) as ModelJson;
const weightBytes = (): number => readFileSync(join(good, 'weights.bin')).length;

describe('loadModel: broken weight files are refused before any tensor is built', () => {
  it('a missing weights file, naming it', async () => {
    const d = variant('missing');
    unlinkSync(join(d, 'weights.bin'));
    expect((await refusal(d)).message).toBe(
      `loadModel: expected the weights file ${join(d, 'weights.bin')} listed in ${join(d, 'model.json')}, could not read it: ENOENT`,
    );
  });

  it('a truncated or a longer weights file, naming the file, the expected and the found size', async () => {
    const n = weightBytes();
    const count = manifest().weightsManifest[0].weights.length;
    const short = variant('short');
    writeFileSync(join(short, 'weights.bin'), readFileSync(join(good, 'weights.bin')).subarray(0, n - 4));
    expect((await refusal(short)).message).toBe(
      `loadModel: expected ${n} bytes of weights for the manifest's ${count} weights, found ${n - 4} in ${join(short, 'weights.bin')} (weightsManifest[0] of ${join(short, 'model.json')})`,
    );
    const long = variant('long');
    writeFileSync(join(long, 'weights.bin'), Buffer.concat([readFileSync(join(good, 'weights.bin')), Buffer.alloc(3)]));
    expect((await refusal(long)).message).toMatch(new RegExp(`expected ${n} bytes of weights .*, found ${n + 3} in `));
    const empty = variant('empty');
    writeFileSync(join(empty, 'weights.bin'), '');
    expect((await refusal(empty)).message).toMatch(new RegExp(`expected ${n} bytes of weights .*, found 0 in `));
  });

  it('a manifest whose sizes do not match the file (a weight shape changed)', async () => {
    const d = variant('reshaped', (j) => {
      j.weightsManifest[0].weights[0].shape = [...j.weightsManifest[0].weights[0].shape, 2];
      return j;
    });
    expect((await refusal(d)).message).toMatch(
      /^loadModel: expected \d+ bytes of weights for the manifest's \d+ weights, found \d+ in .*weights\.bin/,
    );
  });

  it('a tampered model.json: invalid JSON, no weightsManifest, a group or weight missing fields, a path out of the folder', async () => {
    expect((await refusal(variant('garbled', () => '{ "weightsManifest": ['))).message).toMatch(
      /^loadModel: expected a readable JSON model\.json, could not read .*garbled\/model\.json: .*JSON/,
    );
    expect((await refusal(variant('no-manifest', (j) => ({ ...j, weightsManifest: undefined })))).message).toMatch(
      /^loadModel: expected .*model\.json with a weightsManifest array, received nothing$/,
    );
    expect((await refusal(variant('no-paths', (j) => ({ weightsManifest: [{ weights: j.weightsManifest[0].weights }] })))).message).toMatch(
      /^loadModel: expected weightsManifest\[0\] of .*model\.json with 'paths' \(strings\) and 'weights' arrays, received \{"weights"/,
    );
    expect(
      (
        await refusal(
          variant('bad-shape', (j) => {
            j.weightsManifest[0].weights[2].shape = [-1, 3];
            return j;
          }),
        )
      ).message,
    ).toMatch(
      /^loadModel: expected weightsManifest\[0\]\.weights\[2\] of .*model\.json with a name, a shape of integers >= 0 and a dtype, received \{"name":/,
    );
    expect(
      (
        await refusal(
          variant('no-dtype', (j) => {
            delete (j.weightsManifest[0].weights[1] as { dtype?: string }).dtype;
            return j;
          }),
        )
      ).message,
    ).toMatch(/weightsManifest\[0\]\.weights\[1\] of .* with a name, a shape of integers >= 0 and a dtype/);
    for (const p of ['../good/weights.bin', '/etc/passwd', '.']) {
      const d = variant('escape', (j) => {
        j.weightsManifest[0].paths = [p];
        return j;
      });
      expect((await refusal(d)).message).toBe(
        `loadModel: expected weight files inside ${d}, received the path ${JSON.stringify(p)} in ${join(d, 'model.json')}`,
      );
    }
  });

  it('a tampered tpfr-model.json (invalid JSON, no config)', async () => {
    const d = variant('bad-tpfr');
    writeFileSync(join(d, 'tpfr-model.json'), '{ nope');
    expect((await refusal(d)).message).toMatch(/^loadModel: expected a model directory with tpfr-model\.json, could not read .*JSON/);
    writeFileSync(join(d, 'tpfr-model.json'), JSON.stringify({ format: 'tpfr-model', version: 2 }));
    expect((await refusal(d)).message).toMatch(/^loadModel: expected tpfr-model\.json of format 'tpfr-model', received/);
  });
});

/** A copy of the good model with the first float of weights.bin (the manifest's first weight) set to `value`. */
function poisoned(name: string, value: number): { dir: string; weight: string } {
  const d = variant(name);
  const bytes = readFileSync(join(d, 'weights.bin'));
  bytes.writeFloatLE(value, 0);
  writeFileSync(join(d, 'weights.bin'), bytes);
  const first = manifest().weightsManifest[0].weights[0];
  expect(first.dtype).toBe('float32');
  return { dir: d, weight: first.name };
}

describe('NaN or infinite weights', () => {
  it('loadModel names the weight that holds NaN or an infinity, and frees what it loaded', async () => {
    for (const [name, value] of [
      ['nan', NaN],
      ['inf', -Infinity],
    ] as const) {
      const { dir: d, weight } = poisoned(name, value);
      const before = tf.memory().numTensors;
      const e = await loadModel(d).then(
        () => null,
        (err: Error) => err,
      );
      expect(e).toBeInstanceOf(ValueError);
      expect(e!.message).toBe(
        `loadModel: expected finite weights in the model folder ${d}, received NaN or infinite values in 1 weight(s): ${weight}`,
      );
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('checkFinite: false loads such a model; stylize then refuses its NaN output rather than returning a NaN image', async () => {
    const { dir: d } = poisoned('nan-unchecked', NaN);
    const model = await loadModel(d, { checkFinite: false });
    const content = tf.randomUniform([32, 32, 3], 0, 255, 'float32', 1) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    expect(() => stylize(model, content, content)).toThrow(ValueError);
    expect(() => stylize(model, content, content)).toThrow(
      /^stylize: expected the network's output \(NaN or infinite values: check the model's weights\) to be finite, received \d+ NaN or infinite entries in shape \[1,32,32,3\]$/,
    );
    expect(() => stylize(model, content, content, { pipeline: { size: 32 } })).toThrow(/^stylize: expected the network's output/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(content);
    model.dispose();
  });

  it('stylize refuses the NaN output of a model poisoned in memory', () => {
    const model = TpfrTrainer.createModel(MICRO_MODEL, 1);
    const w = model.parts().mainDecoder.weights[0];
    w.write(tf.tidy(() => tf.fill(w.shape as number[], NaN)));
    const content = tf.randomUniform([32, 32, 3], 0, 255, 'float32', 2) as tf.Tensor3D;
    expect(() => stylize(model, content, content)).toThrow(/^stylize: expected the network's output .* to be finite/);
    tf.dispose(content);
    model.dispose();
  });
});
