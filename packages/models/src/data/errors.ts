/**
 * The error datasets raise for folder-layout and file problems.
 * @module
 */
import { TpfrError } from '@tpfr/core';

/**
 * A dataset cannot be opened or read: missing root or photo folder, no style class, empty
 * folder, unsupported file. The message names the function, the path and what was expected.
 */
export class DatasetError extends TpfrError {}
