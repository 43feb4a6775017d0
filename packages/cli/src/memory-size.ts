import { CliError } from './errors.js';

const UNITS: Record<string, number> = { '': 2 ** 20, mib: 2 ** 20, m: 2 ** 20, gib: 2 ** 30, g: 2 ** 30 };

/**
 * Parses a memory size option in bytes: MiB by default (`3000`), or with a unit (`3000MiB`,
 * `3.5GiB`, `2 GiB`; `M` and `G` mean the same). Anything else is a usage error (exit 2) naming the option.
 */
export function parseMemorySize(name: string, value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  const bytes = m && unit ? Math.round(Number(m[1]) * unit) : Number.NaN;
  if (!(bytes > 0))
    throw new CliError(`option ${name}: expected a size in MiB or GiB (e.g. 3000, 3000MiB, 3.5GiB), received '${value}'`, 2);
  return bytes;
}
