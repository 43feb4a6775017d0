/**
 * The error image reading and writing raise for file and format problems.
 * @module
 */
import { TpfrError } from '@tpfr/core';

/**
 * An image file or byte buffer cannot be read, decoded or written: missing file, corrupt data,
 * unsupported format. The message names the function, what was expected and what was received.
 */
export class ImageIoError extends TpfrError {}
