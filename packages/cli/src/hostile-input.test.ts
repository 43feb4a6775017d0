import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '@tpfr/core';
import { writeTorchCheckpoint } from '@tpfr/testing';
import { captureCliOutput, writeMicroModel, writeNoiseImage } from './cli-harness.test-util.js';
import { main } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'tpfr-cli-hostile-'));
const modelDir = join(dir, 'model');
const style = join(dir, 'style.png');
let output: ReturnType<typeof captureCliOutput>;

/** A PNG signature and IHDR claiming `width × height` (nothing after it: it must be refused from the header). */
function pngHeaderClaiming(width: number, height: number): Uint8Array {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const v = new DataView(b.buffer);
  v.setUint32(16, width);
  v.setUint32(20, height);
  b.set([8, 2, 0, 0, 0], 24);
  return b;
}

beforeAll(async () => {
  output = captureCliOutput();
  await initBackend('wasm');
  await writeMicroModel(modelDir, 8);
  writeNoiseImage(style, 32, 32, 4);
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const stylize = (...args: string[]) => {
  output.reset();
  return main(['stylize', '--model', modelDir, '--style', style, '--backend', 'wasm', '--quiet', ...args]);
};

describe('tpfr stylize: hostile content folders and images', () => {
  it('skips other files and sub-folders named like images (exit 0)', async () => {
    const folder = join(dir, 'mixed');
    mkdirSync(join(folder, 'sub.png'), { recursive: true });
    writeNoiseImage(join(folder, 'a.png'), 32, 32, 1);
    writeFileSync(join(folder, 'notes.txt'), 'not an image');
    const out = join(dir, 'out-mixed');
    expect(await stylize('--content', folder, '--out', out)).toBe(0);
    expect(readdirSync(out)).toEqual(['a.png']);
  });

  it('refuses a folder with an unreadable image (a broken link) before writing anything (exit 1)', async () => {
    const folder = join(dir, 'broken');
    mkdirSync(folder);
    writeNoiseImage(join(folder, 'a.png'), 32, 32, 1);
    symlinkSync(join(folder, 'gone.png'), join(folder, 'b.png'));
    const out = join(dir, 'out-broken');
    expect(await stylize('--content', folder, '--out', out)).toBe(1);
    expect(output.text).toContain(
      `tpfr: option --content: expected readable images in '${folder}', cannot read '${join(folder, 'b.png')}': ENOENT`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it.skipIf(process.getuid?.() === 0)(
    'refuses a folder with an image without read permission (chmod 000; skipped as root, whose reads chmod does not stop)',
    async () => {
      const folder = join(dir, 'locked');
      mkdirSync(folder);
      writeNoiseImage(join(folder, 'a.png'), 32, 32, 1);
      writeNoiseImage(join(folder, 'b.png'), 32, 32, 2);
      chmodSync(join(folder, 'b.png'), 0o000);
      const out = join(dir, 'out-locked');
      expect(await stylize('--content', folder, '--out', out)).toBe(1);
      expect(output.text).toContain(
        `tpfr: option --content: expected readable images in '${folder}', cannot read '${join(folder, 'b.png')}': EACCES`,
      );
      expect(existsSync(out)).toBe(false);
    },
  );

  it('a zero-byte, a truncated and a corrupt content image or style: exit 1, the file named, nothing written', async () => {
    const zero = join(dir, 'zero.png');
    writeFileSync(zero, '');
    const out = join(dir, 'never.png');
    expect(await stylize('--content', zero, '--out', out)).toBe(1);
    expect(output.text).toContain(`tpfr: readImage: ${zero}: decodeImage: expected a PNG or JPEG image, received 0 bytes`);
    const cut = join(dir, 'cut.jpg');
    writeNoiseImage(join(dir, 'whole.jpg'), 32, 32, 2);
    const whole = readFileSync(join(dir, 'whole.jpg'));
    writeFileSync(cut, whole.subarray(0, whole.length >> 1));
    expect(await stylize('--content', cut, '--out', out)).toBe(1);
    expect(output.text).toMatch(/tpfr: readImage: .*cut\.jpg: decodeImage: expected a valid JPEG image, received corrupt data/);
    expect(
      await main(['stylize', '--model', modelDir, '--style', zero, '--content', style, '--out', out, '--backend', 'wasm', '--quiet']),
    ).toBe(1);
    expect(existsSync(out)).toBe(false);
  });

  it('a content header claiming 100,000 × 100,000 pixels is refused from its header (exit 1)', async () => {
    const bomb = join(dir, 'bomb.png');
    writeFileSync(bomb, pngHeaderClaiming(100_000, 100_000));
    const out = join(dir, 'bomb-out.png');
    expect(await stylize('--content', bomb, '--out', out)).toBe(1);
    expect(output.text).toMatch(
      /tpfr: readImage: .*bomb\.png: decodeImage: expected an image of at most 67108864 pixels \(maxPixels\), received a PNG header claiming 100000 × 100000 = 10000000000 pixels/,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('tpfr train --data DIR: hostile dataset folders', () => {
  it('a non-image file in a class folder: exit 1, the file named, no checkpoint written', async () => {
    const data = join(dir, 'data');
    writeNoiseImage(join(data, 'photo', 'p.png'), 32, 32, 1);
    writeNoiseImage(join(data, 'monet', 'm.png'), 32, 32, 2);
    writeFileSync(join(data, 'monet', 'readme.md'), '# hi');
    const ckpt = join(dir, 'ckpt');
    output.reset();
    expect(
      await main(['train', '--data', data, '--steps', '1', '--size', '32', '--checkpoint', ckpt, '--backend', 'wasm', '--quiet']),
    ).toBe(1);
    expect(output.text).toMatch(
      /tpfr: createImageFolderDataset: expected only .jpg, .jpeg or .png images in .*monet, received 1 unsupported file\(s\): .*readme\.md/,
    );
    expect(existsSync(ckpt)).toBe(false);
  });
});

describe('tpfr import-torch: hostile PyTorch files', () => {
  it('a pickle calling os.system, and a zero-byte file: exit 1, the reason named, no model folder written', async () => {
    const file = writeTorchCheckpoint([{ name: 'w', dtype: 'float32', shape: [1], data: new Float32Array([1]) }], { format: 'legacy' });
    const text = Buffer.from('collections\nOrderedDict\n');
    const at = Buffer.from(file).indexOf(text);
    const evil = join(dir, 'evil.pth');
    writeFileSync(evil, Buffer.concat([file.subarray(0, at), Buffer.from('os\nsystem\n'), file.subarray(at + text.length)]));
    const out = join(dir, 'imported');
    output.reset();
    expect(await main(['import-torch', evil, '--out', out, '--quiet'])).toBe(1);
    expect(output.text).toMatch(
      /^tpfr: .*evil\.pth: readTorchCheckpoint: expected only the globals a state_dict uses \(.*\), received global os\.system at byte \d+/m,
    );
    expect(existsSync(out)).toBe(false);
    const zero = join(dir, 'zero.pth');
    writeFileSync(zero, '');
    output.reset();
    expect(await main(['import-torch', zero, '--out', out, '--quiet'])).toBe(1);
    expect(output.text).toMatch(/zero\.pth: readTorchCheckpoint: expected .*, received/);
    expect(existsSync(out)).toBe(false);
  });
});
