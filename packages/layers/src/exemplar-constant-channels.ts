import * as tf from '@tensorflow/tfjs-core';
import { hostBacked } from './host-backed.js';

/**
 * Search features with the exemplar-constant channels folded into one column per exemplar, for
 * an exact and cheaper squared-Euclidean neighbour search.
 *
 * The pool is made of exemplars of `rowsPerExemplar` consecutive rows. Where a channel is
 * constant over every exemplar's rows (TPFR's global style code: one vector per image, broadcast
 * to its pixels), its part of the distance depends only on the query and the exemplar:
 * `‖q − p‖² = ‖q_L − p_L‖² + ‖q_G − g_e‖²` (L: the other channels, G: the constant ones, g_e:
 * exemplar e's constant values). So the search can run on `[q_L, −½‖q_G − g_e‖² for each e]`
 * against `[p_L, onehot(e)]`: `knn`'s score `q·p − ½‖p‖²` is then
 * `−½‖q − p‖² + ½‖q_L‖² − ½`, which orders the pool exactly as the full distance does, with
 * |L| + P columns instead of |L| + |G| (|L| alone for one exemplar, whose constant term is the
 * same for every peer of a query). Identical pool rows stay identical, so twins still tie.
 * (The distances that knn returns for these features are not the full distances.)
 *
 * @param queries `[N, d]`
 * @param pool `[P·rowsPerExemplar, d]`
 * @returns the reduced `queries [N, |L| + P]` and `pool [M, |L| + P]` (`|L|` for P = 1), or null
 *   when no more than P channels are exemplar-constant (nothing to gain), or when the backend does
 *   not keep tensors in host memory (WebGL, WebGPU: the pool would have to be read back; the
 *   search then runs on the whole features, with the same neighbours).
 */
export function foldExemplarConstantChannels(
  queries: tf.Tensor2D,
  pool: tf.Tensor2D,
  rowsPerExemplar: number,
): { queries: tf.Tensor2D; pool: tf.Tensor2D } | null {
  const [m, d] = pool.shape;
  if (rowsPerExemplar < 2 || m % rowsPerExemplar !== 0) return null;
  if (!hostBacked()) return null;
  const p = m / rowsPerExemplar;
  // On the host: one read of the pool, far cheaper than reductions over its rows on wasm.
  const data = pool.dataSync();
  const g: number[] = [];
  const l: number[] = [];
  for (let c = 0; c < d; c++) {
    let constant = true;
    for (let e = 0; e < p && constant; e++) {
      const first = data[e * rowsPerExemplar * d + c];
      for (let r = 1; r < rowsPerExemplar; r++) {
        if (data[(e * rowsPerExemplar + r) * d + c] !== first) {
          constant = false;
          break;
        }
      }
    }
    (constant ? g : l).push(c);
  }
  if (l.length === 0 || g.length <= (p === 1 ? 0 : p)) return null;
  // Columns by index; a contiguous run (the global half of a style code) is a cheap slice.
  const columns = (x: tf.Tensor2D, cols: number[]): tf.Tensor2D =>
    cols[cols.length - 1] - cols[0] === cols.length - 1
      ? tf.slice(x, [0, cols[0]], [x.shape[0], cols.length])
      : tf.gather(x, tf.tensor1d(cols, 'int32'), 1);
  return tf.tidy(() => {
    // One exemplar: the constant channels add the same term to every distance of a query.
    if (p === 1) return { queries: columns(queries, l), pool: columns(pool, l) };
    // [P, |G|]: each exemplar's constant values (its first row's).
    const ge = columns(tf.gather(pool, tf.range(0, m, rowsPerExemplar, 'int32')) as tf.Tensor2D, g);
    const qg = columns(queries, g);
    // ‖q_G − g_e‖² = ‖q_G‖² − 2·q_G·g_e + ‖g_e‖², for every query and exemplar: [N, P].
    const cross = tf.add(
      tf.sub(tf.sum(tf.square(qg), 1, true), tf.mul(2, tf.matMul(qg, ge, false, true))),
      tf.reshape(tf.sum(tf.square(ge), 1), [1, p]),
    );
    const q = tf.concat([columns(queries, l), tf.mul(-0.5, tf.relu(cross))], 1) as tf.Tensor2D;
    const onehot = tf.oneHot(tf.floorDiv(tf.range(0, m, 1, 'int32'), tf.scalar(rowsPerExemplar, 'int32')), p);
    const pl = tf.concat([columns(pool, l), tf.cast(onehot, 'float32')], 1) as tf.Tensor2D;
    return { queries: q, pool: pl };
  });
}
