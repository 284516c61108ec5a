import { ReplyTopicPolicy, isReplyPattern } from './reply-topic.policy';

describe('ReplyTopicPolicy', () => {
  const routes = ['api/v1/users/get/+', 'api/v1/files/get/#', 'gateway/health'];
  const spaces = ['api/#', 'gateway/#'];
  const policy = new ReplyTopicPolicy(routes, spaces, ['#']);
  const strict = new ReplyTopicPolicy(routes, spaces, ['replies/#']);
  const bound = new ReplyTopicPolicy(routes, spaces, ['replies/{user}/#', 'api/+/+/+/+/reply']);

  it.each([
    ['replies/c1/abc', undefined],
    ['devices/42/inbox', undefined],
    ['replies/+/x', 'wildcard'],
    ['replies/#', 'wildcard'],
    ['$SYS/broker/uptime', 'system_topic'],
    ['$share/g/replies', 'system_topic'],
    ['api/v1/users/get/1', 'loops_back'],
    ['api/v9/x', 'loops_back'],
    ['gateway/health', 'loops_back'],
    ['', 'invalid'],
    ['a\u0000b', 'invalid'],
    ['x'.repeat(1025), 'invalid'],
  ])('%p -> %p', (topic, reason) => {
    expect(policy.check(topic).unsafe).toBe(reason);
  });

  it('keeps replies inside REPLY_TOPIC_PATTERN', () => {
    expect(strict.check('replies/c1/1')).toEqual({});
    expect(strict.check('elsewhere/x')).toEqual({ unsafe: 'not_allowed' });
  });

  it('names the owner of a reply topic when the pattern binds a level to the caller', () => {
    expect(bound.check('replies/ada/42')).toEqual({ owner: 'ada' });
    expect(bound.check('replies/ada')).toEqual({ owner: 'ada' });
    expect(bound.check('replies')).toEqual({ unsafe: 'not_allowed' });
    expect(bound.check('elsewhere/ada/1')).toEqual({ unsafe: 'not_allowed' });
  });

  it('admits the NestJS <topic>/reply form only where a pattern does and no route loops', () => {
    expect(strict.checkNestReply('api/v1/users/get/7')).toEqual({ unsafe: 'not_allowed' });
    expect(bound.checkNestReply('api/v1/users/get/7')).toEqual({});
    // The same topic as an MQTT 5 responseTopic stays outside: it is in the gateway's space.
    expect(bound.check('api/v1/users/get/7/reply')).toEqual({ unsafe: 'loops_back' });
    // A reply that a route filter would consume is a loop in either form.
    expect(policy.checkNestReply('api/v1/files/get/a')).toEqual({ unsafe: 'loops_back' });
  });

  it.each([
    ['replies/#', true],
    ['replies/{user}/#', true],
    ['api/+/+/reply', true],
    ['replies/{user}/{user}', false],
    ['replies/us{user}/#', false],
    ['replies/#/x', false],
    ['$SYS/#', false],
    ['', false],
  ])('accepts %p as a pattern: %p', (pattern, ok) => {
    expect(isReplyPattern(pattern)).toBe(ok);
  });
});
