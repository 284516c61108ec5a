/**
 * How many characters of a message the gateway keeps wherever it stores or shows one: error
 * replies, the request log, the dashboard. Messages can carry what a caller sent (a service
 * that echoes an unknown property name, say), so without a bound one request could make
 * every copy of its message as large as its payload.
 */
export const MAX_MESSAGE_CHARS = 512;

/** `text` cut to `max` characters, saying how long it was; never splits a surrogate pair. */
export function clipText(text: string, max = MAX_MESSAGE_CHARS): string {
  if (text.length <= max) return text;
  const high = text.charCodeAt(max - 1);
  const end = high >= 0xd800 && high <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, end)}… (clipped from ${text.length} characters)`;
}
