// What the stack runner tells a user once the stack is ready: the broker the stack really
// uses (MQTT_URL, or the embedded one on MQTT_PORT) and client lines that go there, so a
// moved port reaches the clients instead of a wait on another broker.

/**
 * The broker clients should use: MQTT_URL when set, else the embedded one.
 * @param {Record<string, string | undefined>} env
 */
export function brokerUrl(env) {
  return env.MQTT_URL || `mqtt://127.0.0.1:${env.MQTT_PORT || 1883}`;
}

/**
 * The broker URL without credentials, as it may be printed.
 * @param {string} url
 */
export function printable(url) {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/**
 * Lines to paste into another terminal: the CLI and mosquitto_rr against this stack.
 * mosquitto_rr has no timeout of its own, hence -W.
 * @param {string} url
 * @returns {string[]}
 */
export function clientLines(url) {
  const shown = printable(url);
  const lines = [
    `export MQTT_URL=${shown}`,
    'export MQGW_TOKEN=$(npm run -s cli -- token --sub ada)',
    'npm run -s cli -- request api/v1/users/list',
  ];
  const parsed = URL.canParse(shown) ? new URL(shown) : undefined;
  if (parsed && (parsed.protocol === 'mqtt:' || parsed.protocol === 'mqtts:')) {
    const port = parsed.port || (parsed.protocol === 'mqtts:' ? '8883' : '1883');
    lines.push(
      `mosquitto_rr -V 5 -h ${parsed.hostname} -p ${port} -W 10 -t api/v1/users/list -e replies/me/1 ` +
        `-D publish user-property authorization "Bearer $MQGW_TOKEN" -m '{}'`,
    );
  }
  return lines;
}
