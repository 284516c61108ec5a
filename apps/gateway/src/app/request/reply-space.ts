/**
 * The reply space of a reply topic, its first two levels (`replies/<id>`): where one
 * client's answers go, whatever it names below. What the gateway knows of who is asking
 * before authentication, so what failures and refusals are counted by.
 */
export function replySpaceOf(topic: string): string {
  const second = topic.indexOf('/', topic.indexOf('/') + 1);
  return second < 0 ? topic : topic.slice(0, second);
}
