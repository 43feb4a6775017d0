/**
 * @tpfr/layers/node: what only Node has. `fileSystemIO(dir)`, a tfjs `IOHandler` on a folder
 * without tfjs-node.
 * @module
 */
export { fileSystemIO, MODEL_JSON, WEIGHTS_BIN } from './file-system-io.js';
