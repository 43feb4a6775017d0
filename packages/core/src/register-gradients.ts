import * as tf from '@tensorflow/tfjs-core';
import { gradConfigs } from './generated/gradient-configs.js';

/**
 * Registers tfjs-core's own gradient for every kernel that has none registered yet, and returns
 * how many it registered. Importing `@tpfr/core` calls it once; calling it again is harmless.
 *
 * tfjs-core 4.22's main entry registers no gradients, and the usual fix, the deep import
 * `@tensorflow/tfjs-core/dist/register_all_gradients`, fails in plain Node (ESM files with
 * extension-less imports). `@tpfr/core` ships tfjs-core's gradient definitions pre-bundled at
 * build time, wired to the public API of the user's one copy of tfjs-core. Gradients that are
 * already registered (by `@tensorflow/tfjs`, say) are left as they are.
 */
export function registerAllGradients(): number {
  let registered = 0;
  for (const config of gradConfigs) {
    if (tf.getGradient(config.kernelName) == null) {
      tf.registerGradient(config);
      registered++;
    }
  }
  return registered;
}

registerAllGradients();
