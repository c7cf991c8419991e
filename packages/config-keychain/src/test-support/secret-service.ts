import { spawnSync } from 'node:child_process';

/** CI sets OSR_REQUIRE_SECRET_SERVICE=1: then real-keychain tests must run, and fail if the keychain is unusable. */
const secretServiceRequired = process.env.OSR_REQUIRE_SECRET_SERVICE === '1';

/** Programs missing from PATH, among those the real-daemon tests start. */
export function missingPrograms(names: readonly string[]): string[] {
  return names.filter((name) => spawnSync('sh', ['-c', `command -v ${name}`]).status !== 0);
}

/**
 * Why a real-keychain suite is skipped (printed, so the skip is visible), or
 * undefined when it runs. It always runs when OSR_REQUIRE_SECRET_SERVICE=1.
 */
export function skipReason(problem: string | undefined): string | undefined {
  if (problem === undefined || secretServiceRequired) return undefined;
  const reason = `${problem}; set OSR_REQUIRE_SECRET_SERVICE=1 to make this a failure`;
  console.warn(`Skipping real-keychain tests: ${reason}`);
  return reason;
}
