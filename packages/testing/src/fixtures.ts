/**
 * Whether a test file's reference fixtures are there. Without them the cases skip with `message`
 * printed, unless `TPFR_REQUIRE_FIXTURES=1` (CI, where the fixtures are provided): then the test
 * file fails, so that a reference check can never pass by being skipped.
 * @param have whether the fixtures were found.
 * @param message what is missing and how to provide it (printed or thrown).
 * @returns `have`.
 */
export function fixturesPresent(have: boolean, message: string): boolean {
  if (have) return true;
  if (process.env.TPFR_REQUIRE_FIXTURES === '1') throw new Error(`${message} (TPFR_REQUIRE_FIXTURES=1: the fixtures are required here)`);
  console.warn(`skipped: ${message}`);
  return false;
}
