import { MqttRequester, type RequesterOptions } from '@mqgw/mqtt-client';
import { MQTT_URL, requireService, uniqueTestId } from './services';

export { DeviceRequester, MqttRequester, SimulatedDevice, setNoDelay } from '@mqgw/mqtt-client';
export type { ReceivedReply, RequestOptions, RequesterOptions } from '@mqgw/mqtt-client';

/**
 * A requester for tests: fails (never skips) when the broker is unreachable, takes a
 * run-unique client id, and keeps every reply so tests can count duplicates.
 */
export async function connectRequester(
  url = MQTT_URL,
  options: RequesterOptions = {},
): Promise<MqttRequester> {
  await requireService(url);
  return MqttRequester.connect(url, {
    clientId: uniqueTestId('client'),
    keepReplies: true,
    ...options,
  });
}
