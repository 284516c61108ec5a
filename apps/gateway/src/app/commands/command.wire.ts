import type { IClientPublishOptions } from 'mqtt';
import {
  ERROR_PROPERTY,
  commandTopics,
  encodeLegacyCommand,
  parseLegacyAnswer,
  parseV5Answer,
  type CommandOutcome,
} from '@mqgw/contracts';
import type { InboundMessage } from './command.connection';

/** One command as the connection publishes it. */
export interface CommandMessage {
  topic: string;
  payload: string;
  options: IClientPublishOptions;
}

/**
 * The command in the device's form. An MQTT 5 device gets the bare data, and the id travels
 * as correlation data with a response topic; a 3.1.1 device has no properties to carry them,
 * so the id goes inside the payload (docs/mqtt-api.md, "Commands to devices").
 */
export function commandMessage(
  prefix: string,
  command: { device: string; name: string; id: string; data: unknown },
  v5: boolean,
  expirySeconds: number,
): CommandMessage {
  const { device, name, id, data } = command;
  return {
    topic: commandTopics.command(prefix, device, name),
    payload: v5 ? JSON.stringify(data) : encodeLegacyCommand(id, data),
    options: {
      properties: {
        // A command that no one took within its time must not run later.
        messageExpiryInterval: expirySeconds,
        contentType: 'application/json',
        ...(v5
          ? {
              responseTopic: commandTopics.reply(prefix, device, name),
              correlationData: Buffer.from(id),
            }
          : {}),
      },
    },
  };
}

/**
 * A device's answer, in either form: correlation data marks the MQTT 5 one. The id is empty
 * and the outcome undefined when the payload does not parse.
 */
export function answerOf(message: InboundMessage): { id: string; outcome?: CommandOutcome } {
  if (message.correlationData !== undefined) {
    return {
      id: message.correlationData.toString('utf8'),
      outcome: parseV5Answer(message.payload, message.userProperties[ERROR_PROPERTY]),
    };
  }
  const legacy = parseLegacyAnswer(message.payload);
  return { id: legacy?.id ?? '', outcome: legacy?.outcome };
}
