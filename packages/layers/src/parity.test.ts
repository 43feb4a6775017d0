import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { initBackend } from '@tpfr/core';
import { stackPeers } from './peers.js';
import { PeerRecombination } from './tpfr-layer.js';
import {
  loadTorchTpfrWeights,
  torchImageToNhwc,
  stateDictTensorValues,
  type TorchStateDict,
  type StateDictTensorJson,
} from './torch-import.js';
import { fixturesPresent } from '@tpfr/testing';

// Parity with the authors' PyTorch layers (fixtures: see their README). The folder comes from
// TPFR_PARITY_DIR, by default <repo>/../shared/fixtures/tpfr-parity.
const here = dirname(fileURLToPath(import.meta.url));
const dir = process.env.TPFR_PARITY_DIR ? resolve(process.env.TPFR_PARITY_DIR) : resolve(here, '../../../../shared/fixtures/tpfr-parity');
const found = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => /^case.*\.json$/.test(f))
      .sort()
  : [];
const files = fixturesPresent(found.length > 0, `[tpfr parity] no case*.json in ${dir} (set TPFR_PARITY_DIR)`) ? found : [];

const ATOL = 1e-5;
const RTOL = 1e-4;

interface Fixture {
  config: { K: number; bn_eps: number };
  inputs: Record<'inp_cont' | 'inp_style' | 'peers_cont' | 'peers_style', StateDictTensorJson>;
  params_bidir: TorchStateDict;
  params_att: TorchStateDict;
  outputs: Record<'bidir' | 'att', StateDictTensorJson>;
  intermediates_bidir: Record<string, StateDictTensorJson>;
  intermediates_att: Record<string, StateDictTensorJson>;
}

function expectClose(actual: Float32Array | number[], expected: Float32Array, what: string): number {
  expect(actual.length, `${what}: size`).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    const tol = ATOL + RTOL * Math.abs(expected[i]);
    if (!(err <= tol)) throw new Error(`${what}: entry ${i} is ${actual[i]}, expected ${expected[i]} (|diff| ${err} > ${tol})`);
    worst = Math.max(worst, err);
  }
  return worst;
}

describe.skipIf(files.length === 0)("TPFR parity with the authors' PyTorch layers", () => {
  for (const file of files) {
    for (const variant of ['bidir', 'att'] as const) {
      it(`${file}: ${variant === 'bidir' ? 'two-stage (PeerRegularizationLayerAttBidir)' : 'one-stage (PeerRegularizationLayerAtt)'}`, async () => {
        await initBackend('cpu');
        const fx = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Fixture;
        const [content, style, peersC, peersS] = [fx.inputs.inp_cont, fx.inputs.inp_style, fx.inputs.peers_cont, fx.inputs.peers_style].map(
          torchImageToNhwc,
        );
        // The authors' peers [N, C, h, w] are one pool of N exemplars for the whole batch.
        const ins = [content, style, stackPeers(peersC, content.shape[0]), stackPeers(peersS, content.shape[0])];
        const layer = new PeerRecombination({
          k: fx.config.K,
          stages: variant === 'bidir' ? 'two-stage' : 'style-only',
          peerPooling: 'shared',
          returnAttention: true,
          batchNormEpsilon: fx.config.bn_eps,
        });
        layer.build(ins.map((t) => t.shape));
        loadTorchTpfrWeights(layer, variant === 'bidir' ? fx.params_bidir : fx.params_att, variant);
        const out = layer.apply(ins, { training: false }) as tf.Tensor[];
        const [b, h, w] = content.shape;
        const cc = content.shape[3];
        // Authors' output: cat(content, style) on channels, NCHW.
        const expected = torchImageToNhwc(fx.outputs[variant]);
        const expContent = tf.slice(expected, [0, 0, 0, 0], [b, h, w, cc]);
        const expStyle = tf.slice(expected, [0, 0, 0, cc], [b, h, w, style.shape[3]]);
        const dc = expectClose(out[0].dataSync() as Float32Array, expContent.dataSync() as Float32Array, `${file} ${variant} content`);
        const ds = expectClose(out[1].dataSync() as Float32Array, expStyle.dataSync() as Float32Array, `${file} ${variant} style`);
        const inter = variant === 'bidir' ? fx.intermediates_bidir : fx.intermediates_att;
        const stages = variant === 'bidir' ? 2 : 1;
        for (let s = 0; s < stages; s++) {
          const idx = Array.from(out[2 + 2 * s].dataSync());
          expect(idx, `${file} ${variant} stage ${s + 1} top-k indices`).toEqual(Array.from(inter[`stage${s + 1}_topk_idx`].data));
          // Attention weights equal the dense matrix's entries at the top-k indices.
          const att = stateDictTensorValues(inter[`stage${s + 1}_attention`]);
          const m = inter[`stage${s + 1}_attention`].shape[1];
          const k = fx.config.K;
          const dense = Float32Array.from(idx, (j, r) => att[Math.floor(r / k) * m + j]);
          expectClose(out[3 + 2 * s].dataSync() as Float32Array, dense, `${file} ${variant} stage ${s + 1} attention weights`);
        }
        console.log(`[tpfr parity] ${file} ${variant}: ok (max |diff| content ${dc.toExponential(2)}, style ${ds.toExponential(2)})`);
        tf.dispose([...ins, peersC, peersS, ...out, expected, expContent, expStyle]);
      });
    }
  }
});
