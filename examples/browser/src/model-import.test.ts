import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { saveModel } from '@tpfr/models/node';
import { TpfrTrainer } from '@tpfr/models/train';
import { expectNoLeaks, fixturesPresent } from '@tpfr/testing';
import { torchFixturesDir } from '@tpfr/testing/torch-fixtures';
import { importInNode, spoiledCheckpoints } from '../check/import.js';
import { describeModel } from './model-info.js';
import { importModelFiles, sortFiles } from './model-import.js';

const DIR = torchFixturesDir();
const HAVE = fixturesPresent(
  ['g8_seed0_zip.pth', 'g8_seed0_legacy.pth'].every((f) => existsSync(join(DIR, f))),
  `[browser] the page's import tests need the torch-generator fixtures in ${DIR} (set TPFR_TORCH_FIXTURES)`,
);
const file = (path: string, name = path.slice(path.lastIndexOf('/') + 1)) => new File([readFileSync(path)], name);
let tmp: string;

beforeAll(async () => {
  await initBackend('wasm');
  tmp = await mkdtemp(join(tmpdir(), 'tpfr-import-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

it('sorts what was given: one checkpoint, a model folder, or an error naming both', () => {
  const f = (name: string) => new File(['x'], name);
  expect(sortFiles([f('latest_net_G.pth')])).toMatchObject({ kind: 'checkpoint' });
  const folder = sortFiles([f('weights.bin'), f('tpfr-model.json'), f('model.json')]);
  expect(folder).toMatchObject({ kind: 'folder', json: { name: 'model.json' }, manifest: { name: 'tpfr-model.json' } });
  expect(folder.kind === 'folder' && folder.weights.map((w) => w.name)).toEqual(['weights.bin']);
  expect(() => sortFiles([f('a.png'), f('b.png')])).toThrow(
    /expected the authors' checkpoint \(one \*_net_G\.pth, legacy or zip format\) or a saved model folder's files \(model\.json with its weights\.bin, and tpfr-model\.json\), received a\.png \(1 bytes\), b\.png \(1 bytes\)/,
  );
  expect(() => sortFiles([])).toThrow(/received no file/);
});

it.skipIf(!HAVE)(
  "imports the authors' checkpoint in either format as Node does, holding about two copies of its weights, and leaks nothing",
  async () => {
    for (const name of ['g8_seed0_legacy.pth', 'g8_seed0_zip.pth']) {
      const { model, info } = await importModelFiles([file(join(DIR, name))]);
      expect(info).toMatchObject({
        source: 'checkpoint',
        name,
        format: name.includes('zip') ? 'zip' : 'legacy',
        ngf: 8,
        fromStorage: false,
      });
      expect(info.parameters).toBe(model.generatorParameterCount());
      const m = info.memory!;
      expect(m.weightBytes).toBe(4 * info.parameters);
      // Reading: the file and its tensors; importing: the tensors and the model (ndf 1 discriminator).
      expect(m.peakBytes).toBeGreaterThanOrEqual(m.fileBytes + m.checkpointBytes);
      expect(m.copies).toBeLessThan(2.3);
      expect(describeModel(info)).toMatch(
        new RegExp(
          `^Running the authors' generator from ${name} \\(PyTorch \\w+ checkpoint\\): ngf 8, 403,412 parameters, imported in \\d+ ms; the import held at most`,
        ),
      );
      // The same generator as Node's import of the same file.
      const reference = importInNode(join(DIR, name));
      const parts = ['encoder', 'recombination', 'mainDecoder'] as const;
      for (const p of parts) {
        const [a, b] = [model.parts()[p].getWeights(), reference.parts()[p].getWeights()];
        expect(a.length).toBe(b.length);
        for (let i = 0; i < a.length; i++) expect(Array.from(await a[i].data())).toEqual(Array.from(await b[i].data()));
      }
      model.dispose();
      reference.dispose();
    }
    await expectNoLeaks(async () => (await importModelFiles([file(join(DIR, 'g8_seed0_zip.pth'))])).model.dispose(), 'importModelFiles');
  },
);

it.skipIf(!HAVE)(
  'refuses a truncated, a hostile or a foreign file with a message that says which and why, leaving no tensor behind',
  async () => {
    const spoiled = spoiledCheckpoints(join(DIR, 'g8_seed0_legacy.pth'), tmp);
    const before = tf.memory().numTensors;
    await expect(importModelFiles([file(spoiled.truncated)])).rejects.toThrow(
      /^short_net_G\.pth \([\d,]+ bytes\) is not a checkpoint the page can read \(the file is truncated: it ends before its data does\): readTorchCheckpoint: expected/,
    );
    await expect(importModelFiles([file(spoiled.hostile)])).rejects.toThrow(
      /^evil_net_G\.pth .*\(its pickle would run code other than building a state dict: refused\): .*received global os\.system/,
    );
    await expect(importModelFiles([new File(['hello'], 'notes_net_G.pth')])).rejects.toThrow(/expected .*a PyTorch checkpoint/);
    expect(tf.memory().numTensors).toBe(before);
  },
);

it('loads a saved model folder from its files, and names the weights file that is missing', async () => {
  const dir = join(tmp, 'model');
  const saved = TpfrTrainer.createModel('tiny', 4);
  await saveModel(saved, dir);
  const files = await Promise.all(
    ['model.json', 'weights.bin', 'tpfr-model.json'].map(async (n) => new File([await readFile(join(dir, n))], n)),
  );
  const { model, info } = await importModelFiles(files);
  expect(info).toMatchObject({ source: 'folder', name: 'model.json + weights.bin + tpfr-model.json', ngf: saved.config.ngf });
  const [a, b] = [model.encoder.getWeights()[0], saved.encoder.getWeights()[0]];
  expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
  model.dispose();
  saved.dispose();
  await expect(importModelFiles([files[0], files[2]])).rejects.toThrow(
    /expected model\.json with the weights file\(s\) it lists \(weights\.bin\) dropped together, received model\.json \([\d,]+ bytes\), tpfr-model\.json/,
  );
});
