import type { ContractChange } from '@mqgw/routes';

/**
 * One line per change: `!` breaking, `~` compatible, then the route, the part and a JSON
 * pointer into it, and what changed.
 * `! api/v1/users/create request /nickname: required field added`
 */
export function formatChange(change: ContractChange): string {
  const where = [change.route, change.part, change.pointer].filter(Boolean).join(' ');
  return `${change.breaking ? '!' : '~'} ${where}: ${change.what}`;
}
