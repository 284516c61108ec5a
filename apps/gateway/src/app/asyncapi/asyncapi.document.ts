import { ERROR_STATUS } from '@mqgw/contracts';
import { MAX_VIOLATIONS, type CompiledRoute, type JsonSchema } from '@mqgw/routes';

type Json = Record<string, unknown>;

const ref = (path: string) => ({ $ref: path });

/** A channel id from a route template: `api/v1/users/get/{user_id}` -> `api_v1_users_get_user_id`. */
export function channelId(template: string): string {
  return template.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+/g, '_');
}

/**
 * A route's schema as an AsyncAPI component named `name`: its own `#` references now point
 * inside that component, and `$schema` and `$id`, which belong to a standalone document, go.
 */
function component(schema: JsonSchema, name: string): JsonSchema {
  if (typeof schema === 'boolean') return schema;
  const walk = (node: unknown, top: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, false));
    if (typeof node !== 'object' || node === null) return node;
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key]) => !(top && (key === '$schema' || key === '$id')))
        .map(([key, value]) => [
          key,
          key === '$ref' && typeof value === 'string' && value.startsWith('#')
            ? `#/components/schemas/${name}${value.slice(1)}`
            : walk(value, false),
        ]),
    );
  };
  return walk(schema, true) as JsonSchema;
}

/** The examples a schema gives, as AsyncAPI message examples. */
function examplesOf(schema: JsonSchema | undefined): Json[] | undefined {
  const examples = typeof schema === 'object' ? schema['examples'] : undefined;
  return Array.isArray(examples) && examples.length > 0
    ? examples.map((payload) => ({ payload }))
    : undefined;
}

/** The messages every route shares: a request without its own schema, and both replies. */
const SHARED_MESSAGES: Json = {
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
};

/** The MQTT 5 request headers and the reply envelope, shared by every route. */
const SHARED_SCHEMAS: Json = {
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
          details: {
            description:
              "More about the error: an upstream 4xx's body; `violations` of a body that breaks the route's request schema; `reason: contract` when a service's reply broke its reply schema.",
            anyOf: [
              ref('#/components/schemas/violations'),
              ref('#/components/schemas/contractError'),
              {},
            ],
          },
          retry_after: {
            type: 'integer',
            description:
              'Seconds until a retry may succeed; present when nothing ran and a retry later may.',
          },
        },
      },
      request_id: { type: 'string' },
    },
  },
  violations: {
    type: 'object',
    required: ['violations'],
    properties: {
      violations: {
        type: 'array',
        maxItems: MAX_VIOLATIONS,
        items: {
          type: 'object',
          required: ['pointer', 'message'],
          properties: {
            pointer: { type: 'string', description: 'A JSON pointer into the body.' },
            message: { type: 'string' },
          },
        },
      },
    },
  },
  contractError: {
    type: 'object',
    required: ['reason'],
    properties: { reason: { const: 'contract' } },
  },
};

const SECURITY_SCHEMES: Json = {
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
};

const SERVERS: Json = {
  local: {
    host: '127.0.0.1:1883',
    protocol: 'mqtt',
    protocolVersion: '5',
    description: 'The embedded default or a local Mosquitto.',
  },
};

/** Either credential opens a route that runs `auth`. */
const SECURITY = [
  ref('#/components/securitySchemes/bearer'),
  ref('#/components/securitySchemes/apiKey'),
];

/** What one route adds to the document. */
interface RouteParts {
  channel: Json;
  operation: Json;
  messages: Json;
  schemas: Json;
  /** The route's own success reply on the shared reply channel, if it declares one. */
  replyMessage?: Json;
}

/** The request message of a route: its own when it declares a request schema. */
function requestParts(route: CompiledRoute, id: string, parts: RouteParts): Json {
  const request = route.contract?.request;
  if (request === undefined) return ref('#/components/messages/request');
  parts.schemas[`${id}_request`] = component(request, `${id}_request`);
  parts.messages[`${id}_request`] = {
    name: `${id}_request`,
    title: `${route.template} request`,
    summary: 'The request body; a body that breaks this schema is BAD_REQUEST.',
    headers: ref('#/components/schemas/requestHeaders'),
    correlationId: { location: '$message.header#/correlationData' },
    payload: ref(`#/components/schemas/${id}_request`),
    ...(examplesOf(request) ? { examples: examplesOf(request) } : {}),
  };
  return ref(`#/components/messages/${id}_request`);
}

/** The success message of a route: its own when it declares a reply schema. */
function replyParts(route: CompiledRoute, id: string, parts: RouteParts): Json {
  const reply = route.contract?.reply;
  if (reply === undefined) return ref('#/channels/reply/messages/successReply');
  parts.schemas[`${id}_reply`] = component(reply, `${id}_reply`);
  // The gateway's own routes answer without the envelope: their schema is the reply.
  const payload =
    route.handler === 'proxy'
      ? {
          allOf: [
            ref('#/components/schemas/successReply'),
            { properties: { data: ref(`#/components/schemas/${id}_reply`) } },
          ],
        }
      : ref(`#/components/schemas/${id}_reply`);
  parts.messages[`${id}_reply`] = {
    name: `${id}_reply`,
    title: `${route.template} reply`,
    correlationId: { location: '$message.header#/correlationData' },
    payload,
  };
  parts.replyMessage = ref(`#/components/messages/${id}_reply`);
  return ref(`#/channels/reply/messages/${id}_reply`);
}

/** What a reader of the operation needs to know that no binding says. */
function describeOperation(route: CompiledRoute): string {
  return [
    `QoS ${route.qos}.`,
    route.scopes.length > 0 ? `Requires scopes: ${route.scopes.join(', ')}.` : '',
    `Steps: ${[...route.steps].join(', ') || 'none'}.`,
    route.contract && route.contract.replyValidation !== 'off'
      ? `Replies are checked against the reply schema (${route.contract.replyValidation}).`
      : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** One route as a channel, its `receive` operation with the MQTT 5 reply, and its messages. */
function routeParts(route: CompiledRoute, id: string): RouteParts {
  const parts: RouteParts = { channel: {}, operation: {}, messages: {}, schemas: {} };
  const requestMessage = requestParts(route, id, parts);
  const successMessage = replyParts(route, id, parts);
  const parameters = Object.fromEntries(
    route.params.map((p) => [
      p,
      { description: `One topic level; percent-encoded into the upstream path.` },
    ]),
  );
  parts.channel = {
    address: route.template,
    ...(route.params.length > 0 ? { parameters } : {}),
    messages: { request: requestMessage },
    bindings: { mqtt: { bindingVersion: '0.2.0' } },
  };
  parts.operation = {
    action: 'receive',
    channel: ref(`#/channels/${id}`),
    summary: route.service
      ? `${route.method} ${route.upstreamPath} on ${route.service}`
      : `gateway ${route.handler}`,
    description: describeOperation(route),
    ...(route.steps.has('auth') ? { security: SECURITY } : {}),
    bindings: { mqtt: { qos: route.qos, bindingVersion: '0.2.0' } },
    messages: [ref(`#/channels/${id}/messages/request`)],
    reply: {
      address: {
        location: '$message.header#/responseTopic',
        description: "The request's MQTT 5 responseTopic.",
      },
      channel: ref('#/channels/reply'),
      messages: [successMessage, ref('#/channels/reply/messages/errorReply')],
    },
  };
  return parts;
}

/**
 * The AsyncAPI 3 document of the MQTT API, derived from the route table, like everything
 * else about a route: channels with their parameters, one `receive` operation each with
 * its MQTT 5 reply, each route's request and reply messages with the schemas of the routes
 * file, the error envelope, and the security schemes.
 */
export function buildAsyncApi(routes: readonly CompiledRoute[], version: string): Json {
  const replyMessages: Json = {
    successReply: ref('#/components/messages/successReply'),
    errorReply: ref('#/components/messages/errorReply'),
  };
  const channels: Json = {
    reply: {
      address: null,
      description:
        "The requester's own `responseTopic` (MQTT 5), with its `correlationData` echoed back.",
      messages: replyMessages,
    },
  };
  const operations: Json = {};
  const messages: Json = {};
  const schemas: Json = {};
  for (const route of routes) {
    const id = channelId(route.template);
    const parts = routeParts(route, id);
    channels[id] = parts.channel;
    operations[`${id}_request`] = parts.operation;
    Object.assign(messages, parts.messages);
    Object.assign(schemas, parts.schemas);
    if (parts.replyMessage) replyMessages[`${id}_reply`] = parts.replyMessage;
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
    servers: SERVERS,
    channels,
    operations,
    components: {
      messages: { ...SHARED_MESSAGES, ...messages },
      schemas: { ...SHARED_SCHEMAS, ...schemas },
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}
