import { topicMatchesFilter } from '@mqgw/contracts';

export type UnsafeReason = 'wildcard' | 'system_topic' | 'loops_back' | 'not_allowed' | 'invalid';

/**
 * Decides whether a client's `responseTopic` is safe to publish to. A reply must never
 * land on a topic the gateway itself consumes (a loop), on `$` topics, or outside the
 * configured reply namespace.
 */
export class ReplyTopicPolicy {
  constructor(
    private readonly subscribedFilters: readonly string[],
    private readonly allowedPattern?: string,
  ) {}

  private readonly verdicts = new Map<string, UnsafeReason | undefined>();

  /** Checks `topic`, remembering recent verdicts: clients reuse their reply topics. */
  check(topic: string): UnsafeReason | undefined {
    if (this.verdicts.has(topic)) return this.verdicts.get(topic);
    const verdict = this.evaluate(topic);
    if (this.verdicts.size >= 10_000) this.verdicts.clear();
    this.verdicts.set(topic, verdict);
    return verdict;
  }

  private evaluate(topic: string): UnsafeReason | undefined {
    if (topic.length === 0 || topic.length > 1024 || topic.includes('\u0000')) return 'invalid';
    if (topic.includes('+') || topic.includes('#')) return 'wildcard';
    if (topic.startsWith('$')) return 'system_topic';
    if (this.subscribedFilters.some((filter) => topicMatchesFilter(filter, topic)))
      return 'loops_back';
    if (this.allowedPattern && !topicMatchesFilter(this.allowedPattern, topic))
      return 'not_allowed';
    return undefined;
  }
}
