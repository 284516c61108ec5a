import { stripSharePrefix, topicMatchesFilter } from './topic';

describe('topicMatchesFilter', () => {
  it.each([
    ['api/v1/users/create', 'api/v1/users/create', true],
    ['api/v1/users/get/+', 'api/v1/users/get/42', true],
    ['api/v1/users/get/+', 'api/v1/users/get/42/reply', false],
    ['api/v1/users/get/+', 'api/v1/users/get', false],
    ['api/#', 'api/v1/users/get/42', true],
    ['api/#', 'api', true],
    ['#', '$SYS/broker/uptime', false],
    ['+/v1', '$x/v1', false],
    ['replies/#', 'replies/c1/abc', true],
  ])('%s against %s is %s', (filter, topic, expected) => {
    expect(topicMatchesFilter(filter, topic)).toBe(expected);
  });
});

describe('stripSharePrefix', () => {
  it('removes $share/<group>/ and leaves plain filters alone', () => {
    expect(stripSharePrefix('$share/gw/api/v1/users/create')).toBe('api/v1/users/create');
    expect(stripSharePrefix('api/#')).toBe('api/#');
  });
});
