import { afterEach, expect, it, vi } from 'vitest';
import { fixturesPresent } from './fixtures.js';

afterEach(() => vi.unstubAllEnvs());

it('skips with its message without fixtures, and fails instead when TPFR_REQUIRE_FIXTURES=1', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  vi.stubEnv('TPFR_REQUIRE_FIXTURES', '');
  expect(fixturesPresent(true, 'x')).toBe(true);
  expect(fixturesPresent(false, 'no cases in /nowhere')).toBe(false);
  expect(warn).toHaveBeenCalledWith('skipped: no cases in /nowhere');
  vi.stubEnv('TPFR_REQUIRE_FIXTURES', '1');
  expect(() => fixturesPresent(false, 'no cases in /nowhere')).toThrow(
    /no cases in \/nowhere \(TPFR_REQUIRE_FIXTURES=1: the fixtures are required here\)/,
  );
  expect(fixturesPresent(true, 'x')).toBe(true);
  warn.mockRestore();
});
