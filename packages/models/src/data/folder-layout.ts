/**
 * Scanning an image-folder dataset in the authors' layout: a root with a photo folder and one
 * folder per style class, each holding .jpg/.jpeg/.png images (Node only).
 * @module
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { extensionOf, IMAGE_EXTENSIONS } from '../image-io/format.js';
import { DatasetError } from './errors.js';

/** The image files of a dataset root, by folder. */
export interface FolderLayout {
  /** Absolute or root-relative paths of the photos, sorted. */
  photos: string[];
  /** Style class name (folder name) → paths of its paintings, sorted; classes sorted by name. */
  styles: Map<string, string[]>;
}

/** Options of {@link scanImageFolders}. */
export interface ScanOptions {
  /** Name of the photo folder under the root (default `'photo'`). */
  photoFolder?: string;
  /** Style class folders to use (default: every other non-hidden folder of the root). */
  styleClasses?: readonly string[];
  /** Skip files that are not .jpg/.jpeg/.png instead of throwing (default false). Hidden files are always skipped. */
  ignoreUnsupported?: boolean;
}

function listImages(fn: string, dir: string, ignoreUnsupported: boolean): string[] {
  const entries = readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
  const images = files.filter((f) => IMAGE_EXTENSIONS.includes(extensionOf(f)));
  const other = files.filter((f) => !IMAGE_EXTENSIONS.includes(extensionOf(f)));
  if (other.length > 0 && !ignoreUnsupported) {
    const shown = other
      .slice(0, 3)
      .map((f) => join(dir, f))
      .join(', ');
    throw new DatasetError(
      fn,
      `expected only .jpg, .jpeg or .png images in ${dir}, received ${other.length} unsupported file(s): ${shown}${other.length > 3 ? ', ...' : ''} (pass ignoreUnsupported to skip them)`,
    );
  }
  if (images.length === 0) {
    throw new DatasetError(
      fn,
      `expected at least 1 .jpg, .jpeg or .png image in ${dir}, received none${files.length ? ` (${files.length} other file(s))` : ''}`,
    );
  }
  return images.map((f) => join(dir, f));
}

/**
 * Lists the images of a dataset root: `root/<photoFolder>/*` and `root/<class>/*` for each style
 * class folder.
 * @throws DatasetError naming `fn` for a missing root, a missing photo folder, no style class
 * folder, an empty folder or an unsupported file.
 */
export function scanImageFolders(root: string, options: ScanOptions = {}, fn = 'scanImageFolders'): FolderLayout {
  const photoFolder = options.photoFolder ?? 'photo';
  const ignore = options.ignoreUnsupported ?? false;
  if (!existsSync(root)) throw new DatasetError(fn, `expected a dataset folder, received a missing path: ${root}`);
  if (!statSync(root).isDirectory()) throw new DatasetError(fn, `expected a dataset folder, received a file: ${root}`);
  const dirs = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  if (!dirs.includes(photoFolder)) {
    throw new DatasetError(
      fn,
      `expected a photo folder '${photoFolder}' in ${root}, received folders: ${dirs.length ? dirs.join(', ') : 'none'}`,
    );
  }
  const classNames = options.styleClasses ? [...options.styleClasses].sort() : dirs.filter((d) => d !== photoFolder);
  if (classNames.length === 0) {
    throw new DatasetError(fn, `expected at least 1 style class folder beside '${photoFolder}' in ${root}, received none`);
  }
  for (const c of classNames) {
    if (c === photoFolder || !dirs.includes(c))
      throw new DatasetError(fn, `expected a style class folder '${c}' in ${root}, received folders: ${dirs.join(', ')}`);
  }
  const photos = listImages(fn, join(root, photoFolder), ignore);
  const styles = new Map(classNames.map((c) => [c, listImages(fn, join(root, c), ignore)] as [string, string[]]));
  return { photos, styles };
}
