/**
 * Resolves once `check` holds, polling every 20 ms; fails naming `what` after `timeoutMs`.
 * Tests wait on a condition with a deadline, never on a fixed sleep.
 */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
