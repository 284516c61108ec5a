/** Small helpers of the transport: a bounded wait, and what to log of a failure. */
import { isGatewayError } from '@mqgw/contracts';

/** Resolves true when `work` settles within `ms`, false otherwise; never rejects. */
export function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    work.then(
      () => (clearTimeout(timer), resolve(true)),
      () => (clearTimeout(timer), resolve(true)),
    );
  });
}

/** What to log of a failure: the stack of a bug, the message (and cause) of a GatewayError. */
export function whyItFailed(error: unknown): string {
  if (!isGatewayError(error)) return (error as Error)?.stack ?? String(error);
  const cause = (error as Error).cause as Error | undefined;
  return cause ? `${error.message} (${cause.message})` : error.message;
}
