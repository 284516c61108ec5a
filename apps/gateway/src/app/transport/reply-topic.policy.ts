import { topicMatchesFilter } from '@mqgw/contracts';

export type UnsafeReason = 'wildcard' | 'system_topic' | 'loops_back' | 'not_allowed' | 'invalid';

/** The level of a reply pattern that must be the caller's own user id. */
export const USER_LEVEL = '{user}';

export interface ReplyVerdict {
  unsafe?: UnsafeReason;
  /**
   * The user whose reply space the topic is in, when the pattern it matched binds one
   * (`replies/{user}/#`): the pipeline's `auth` step refuses any other caller.
   */
  owner?: string;
}

interface Pattern {
  filter: string;
  /** Index of the `{user}` level, or -1. */
  userLevel: number;
}

/**
 * Decides whether the gateway may publish a reply to a topic. A reply must never land on a
 * topic the gateway itself consumes (a loop), on `$` topics, on more than one topic
 * (wildcards), or outside the reply patterns (`REPLY_TOPIC_PATTERN`, by default
 * `replies/#`). A pattern may bind one level to the caller: with `replies/{user}/#` a
 * caller's replies may only go to `replies/<its user id>/…`, the space the broker lets
 * that user alone read.
 */
export class ReplyTopicPolicy {
  private readonly patterns: readonly Pattern[];
  private readonly verdicts = new Map<string, ReplyVerdict>();
  private readonly nestVerdicts = new Map<string, ReplyVerdict>();

  /**
   * @param routeFilters the filters the gateway subscribes to: a reply there would loop.
   * @param ownSpaces wider filters (`api/#`) that a client-chosen reply topic may not enter
   *   either, since another instance or a later route may consume them.
   */
  constructor(
    private readonly routeFilters: readonly string[],
    private readonly ownSpaces: readonly string[],
    patterns: readonly string[],
  ) {
    this.patterns = patterns.map((pattern) => {
      const levels = pattern.split('/');
      const userLevel = levels.indexOf(USER_LEVEL);
      return {
        filter: levels.map((l) => (l === USER_LEVEL ? '+' : l)).join('/'),
        userLevel,
      };
    });
  }

  /**
   * Checks an MQTT 5 `responseTopic`, remembering recent verdicts: clients reuse their
   * reply topics.
   */
  check(topic: string): ReplyVerdict {
    return cached(this.verdicts, topic, () =>
      this.evaluate(topic, [...this.routeFilters, ...this.ownSpaces]),
    );
  }

  /**
   * Checks the reply topic of the NestJS `ClientMqtt` form, `<request topic>/reply`. It is
   * in the gateway's own space by construction, so only the route filters count as a loop;
   * the reply patterns still decide (none of the defaults admits it).
   */
  checkNestReply(requestTopic: string): ReplyVerdict {
    return cached(this.nestVerdicts, requestTopic, () =>
      this.evaluate(`${requestTopic}/reply`, this.routeFilters),
    );
  }

  private evaluate(topic: string, loops: readonly string[]): ReplyVerdict {
    if (topic.length === 0 || topic.length > 1024 || topic.includes('\u0000'))
      return { unsafe: 'invalid' };
    if (topic.includes('+') || topic.includes('#')) return { unsafe: 'wildcard' };
    if (topic.startsWith('$')) return { unsafe: 'system_topic' };
    if (loops.some((filter) => topicMatchesFilter(filter, topic))) return { unsafe: 'loops_back' };
    const pattern = this.patterns.find((p) => topicMatchesFilter(p.filter, topic));
    if (!pattern) return { unsafe: 'not_allowed' };
    return pattern.userLevel < 0 ? {} : { owner: topic.split('/')[pattern.userLevel] };
  }
}

function cached(
  verdicts: Map<string, ReplyVerdict>,
  key: string,
  evaluate: () => ReplyVerdict,
): ReplyVerdict {
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    verdict = evaluate();
    if (verdicts.size >= 10_000) verdicts.clear();
    verdicts.set(key, verdict);
  }
  return verdict;
}

/** Whether a `REPLY_TOPIC_PATTERN` entry is well formed: a filter, `{user}` as a whole level. */
export function isReplyPattern(pattern: string): boolean {
  if (pattern.length === 0 || pattern.startsWith('$') || pattern.includes('\u0000')) return false;
  const levels = pattern.split('/');
  if (levels.filter((l) => l === USER_LEVEL).length > 1) return false;
  return levels.every(
    (level, i) =>
      level === USER_LEVEL ||
      level === '+' ||
      (level === '#' && i === levels.length - 1) ||
      (level.length > 0 && !/[+#{}]/.test(level)),
  );
}
