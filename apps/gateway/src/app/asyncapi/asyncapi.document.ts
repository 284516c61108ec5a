import { ERROR_STATUS } from '@mqgw/contracts';
import type { CompiledRoute } from '@mqgw/routes';

type Json = Record<string, unknown>;

const ref = (path: string) => ({ $ref: path });

/** A channel id from a route template: `api/v1/users/get/{user_id}` -> `api_v1_users_get_user_id`. */
export function channelId(template: string): string {
  return template.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+/g, '_');
}

/**
 * The AsyncAPI 3 document of the MQTT API, derived from the route table, like everything
 * else about a route: channels with their parameters, one `receive` operation each with
 * its MQTT 5 reply, request and reply messages, and the security schemes.
 */
export function buildAsyncApi(routes: readonly CompiledRoute[], version: string): Json {
  const channels: Json = {
    reply: {
      address: null,
      description:
        "The requester's own `responseTopic` (MQTT 5), with its `correlationData` echoed back.",
      messages: {
        successReply: ref('#/components/messages/successReply'),
        errorReply: ref('#/components/messages/errorReply'),
      },
    },
  };
  const operations: Json = {};
  for (const route of routes) {
    const id = channelId(route.template);
    const parameters = Object.fromEntries(
      route.params.map((p) => [
        p,
        { description: `One topic level; percent-encoded into the upstream path.` },
      ]),
    );
    channels[id] = {
      address: route.template,
      ...(route.params.length > 0 ? { parameters } : {}),
      messages: { request: ref('#/components/messages/request') },
      bindings: { mqtt: { bindingVersion: '0.2.0' } },
    };
    const auth = route.steps.has('auth');
    operations[`${id}_request`] = {
      action: 'receive',
      channel: ref(`#/channels/${id}`),
      summary: route.service
        ? `${route.method} ${route.upstreamPath} on ${route.service}`
        : `gateway ${route.handler}`,
      description: [
        `QoS ${route.qos}.`,
        route.scopes.length > 0 ? `Requires scopes: ${route.scopes.join(', ')}.` : '',
        `Steps: ${[...route.steps].join(', ') || 'none'}.`,
      ]
        .filter(Boolean)
        .join(' '),
      ...(auth
        ? {
            security: [
              ref('#/components/securitySchemes/bearer'),
              ref('#/components/securitySchemes/apiKey'),
            ],
          }
        : {}),
      bindings: { mqtt: { qos: route.qos, bindingVersion: '0.2.0' } },
      messages: [ref(`#/channels/${id}/messages/request`)],
      reply: {
        address: {
          location: '$message.header#/responseTopic',
          description: "The request's MQTT 5 responseTopic.",
        },
        channel: ref('#/channels/reply'),
        messages: [
          ref('#/channels/reply/messages/successReply'),
          ref('#/channels/reply/messages/errorReply'),
        ],
      },
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'mqgw MQTT API',
      version,
      description:
        'Publish a JSON request to a route topic with an MQTT 5 responseTopic and correlationData; ' +
        'the gateway calls the service over HTTP and publishes one reply. See docs/mqtt-api.md.',
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:1883',
        protocol: 'mqtt',
        protocolVersion: '5',
        description: 'The embedded default or a local Mosquitto.',
      },
    },
    channels,
    operations,
    components: {
      messages: {
        request: {
          name: 'request',
          title: 'Request',
          summary: 'A JSON object; an empty payload means {}.',
          headers: ref('#/components/schemas/requestHeaders'),
          correlationId: { location: '$message.header#/correlationData' },
          payload: { type: 'object', additionalProperties: true },
        },
        successReply: {
          name: 'successReply',
          title: 'Success reply',
          correlationId: { location: '$message.header#/correlationData' },
          payload: ref('#/components/schemas/successReply'),
        },
        errorReply: {
          name: 'errorReply',
          title: 'Error reply',
          correlationId: { location: '$message.header#/correlationData' },
          payload: ref('#/components/schemas/errorReply'),
        },
      },
      schemas: {
        requestHeaders: {
          type: 'object',
          description: 'MQTT 5 properties; user properties act as headers.',
          properties: {
            responseTopic: {
              type: 'string',
              description: 'Where the reply goes; no wildcards, not $, not a gateway topic.',
            },
            correlationData: { type: 'string', description: 'Echoed back unchanged (binary).' },
            authorization: { type: 'string', pattern: '^Bearer ' },
            'x-api-key': { type: 'string' },
            origin: { type: 'string' },
            'idempotency-key': { type: 'string', maxLength: 255 },
            traceparent: { type: 'string' },
          },
        },
        successReply: {
          type: 'object',
          required: ['status', 'data', 'request_id', 'service', 'processing_time'],
          properties: {
            status: { type: 'string', enum: ['success', 'fallback'] },
            data: {},
            request_id: { type: 'string' },
            service: { type: 'string' },
            processing_time: { type: 'number', description: 'Seconds.' },
            source: { type: 'string', enum: ['cache'] },
          },
        },
        errorReply: {
          type: 'object',
          required: ['status', 'status_code', 'error', 'request_id'],
          properties: {
            status: { type: 'string', const: 'error' },
            status_code: { type: 'integer' },
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
                message: { type: 'string' },
                details: {},
                retry_after: { type: 'integer', description: 'Seconds.' },
              },
            },
            request_id: { type: 'string' },
          },
        },
      },
      securitySchemes: {
        bearer: {
          type: 'httpApiKey',
          name: 'authorization',
          in: 'header',
          description: 'User property `authorization: Bearer <JWT>`.',
        },
        apiKey: {
          type: 'httpApiKey',
          name: 'x-api-key',
          in: 'header',
          description: 'User property `x-api-key`.',
        },
      },
    },
  };
}
