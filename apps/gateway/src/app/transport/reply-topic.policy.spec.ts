import { ReplyTopicPolicy } from './reply-topic.policy';

describe('ReplyTopicPolicy', () => {
  const policy = new ReplyTopicPolicy(['api/v1/users/get/+', 'api/#', 'gateway/#']);
  const strict = new ReplyTopicPolicy(['api/#'], 'replies/#');

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
    expect(policy.check(topic)).toBe(reason);
  });

  it('enforces REPLY_TOPIC_PATTERN when set', () => {
    expect(strict.check('replies/c1/1')).toBeUndefined();
    expect(strict.check('elsewhere/x')).toBe('not_allowed');
  });
});
