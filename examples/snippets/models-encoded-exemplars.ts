import * as tf from '@tensorflow/tfjs-core';
import { encodeExemplars, stylize, type TpfrModel } from '@tpfr/models';

declare const model: TpfrModel, photos: tf.Tensor3D[], paintings: tf.Tensor3D[];
// #region doc
const pool = encodeExemplars(model, paintings); // the exemplars' codes [P, h′, w′, C], once
const results = photos.map((photo) => stylize(model, photo, pool)); // as stylize(model, photo, paintings)
pool.dispose();
// #endregion
tf.dispose(results);
