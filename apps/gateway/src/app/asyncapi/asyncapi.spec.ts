import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { parse } from 'yaml';
import { defaultRoutesFile, loadRoutesFile, parseRoutesFile } from '@mqgw/routes';
import { buildAsyncApi, channelId } from './asyncapi.document';
import { asyncApiYaml } from './write-asyncapi';

/** A parsed schema without the ids the parser adds to it. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.startsWith('x-parser-'))
      .map(([key, v]) => [key, plain(v)]),
  );
}

const committed = readFileSync(join(__dirname, '../../../../../docs/asyncapi.yaml'), 'utf8');

describe('docs/asyncapi.yaml', () => {
  it('is valid AsyncAPI 3 by @asyncapi/parser, with no errors', async () => {
    const { document, diagnostics } = await new Parser().parse(committed);
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors.map((e) => `${e.path.join('.')}: ${e.message}`)).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
  });

  it('covers every route, with its parameters, QoS, reply and security', async () => {
    const { document } = await new Parser().parse(committed);
    const routes = loadRoutesFile(defaultRoutesFile()).routes;
    const addresses = document!
      .channels()
      .all()
      .map((c) => c.address());
    for (const route of routes) {
      expect(addresses).toContain(route.template);
      const operation = document!.operations().get(`${channelId(route.template)}_request`)!;
      expect(operation.action()).toBe('receive');
      expect(operation.reply()?.address()?.location()).toBe('$message.header#/responseTopic');
      expect(operation.bindings().get('mqtt')?.value()).toMatchObject({ qos: route.qos });
      expect(operation.security().length > 0).toBe(route.steps.has('auth'));
    }
    expect(
      document!.channels().get('api_v1_users_get_user_id')?.parameters().get('user_id'),
    ).toBeDefined();
  });

  it("carries each route's request and reply messages with the routes file's schemas", async () => {
    const { document } = await new Parser().parse(committed);
    const routes = loadRoutesFile(defaultRoutesFile()).routes;
    for (const route of routes) {
      const id = channelId(route.template);
      const operation = document!.operations().get(`${id}_request`)!;
      const [request] = operation.messages().all();
      expect(request.name()).toBe(`${id}_request`);
      expect(plain(request.payload()?.json())).toEqual(route.contract!.request);
      const replies = operation.reply()!.messages().all();
      expect(replies.map((m) => m.id())).toEqual([`${id}_reply`, 'errorReply']);
      const payload = plain(replies[0].payload()!.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      if (route.handler === 'proxy') {
        expect(payload['allOf'][0]['required']).toContain('data');
        expect(payload['allOf'][1].properties.data).toEqual(route.contract!.reply);
      } else {
        expect(payload).toEqual(route.contract!.reply);
      }
    }
    const create = document!.components().messages().get('api_v1_users_create_request')!;
    expect(create.examples().all()[0].payload()).toEqual({
      name: 'John Doe',
      email: 'john@example.com',
      role: 'user',
    });
    const envelope = plain(document!.components().schemas().get('errorReply')!.json()) as Record<
      string,
      any // eslint-disable-line @typescript-eslint/no-explicit-any
    >;
    expect(envelope['properties'].error.properties.details.anyOf[0].properties).toHaveProperty(
      'violations',
    );
  });

  it('keeps a schema’s own #-references working inside the document', async () => {
    const table = parseRoutesFile(
      `
services:
  things:
groups:
  - prefix: api
    steps: [auth]
    routes:
      - topic: things
        qos: 1
        service: things
        method: POST
        path: /things
        request:
          $schema: https://json-schema.org/draft/2020-12/schema
          type: object
          properties: { size: { $ref: '#/definitions/size' } }
          definitions: { size: { enum: [s, m, l] } }
`,
      'routes.yaml',
    );
    const { document, diagnostics } = await new Parser().parse(
      JSON.stringify(buildAsyncApi(table.routes, '1.0.0')),
    );
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => d.message)).toEqual([]);
    const size = document!.components().schemas().get('api_things_request')!.properties()!['size'];
    expect(size.enum()).toEqual(['s', 'm', 'l']);
  });

  it('matches the route table: regenerate with `npx nx run gateway:asyncapi`', () => {
    expect(parse(committed)).toEqual(parse(asyncApiYaml()));
  });
});
