import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { parse } from 'yaml';
import { defaultRoutesFile, loadRoutesFile } from '@mqgw/routes';
import { channelId } from './asyncapi.document';
import { asyncApiYaml } from './write-asyncapi';

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

  it('matches the route table: regenerate with `npx nx run gateway:asyncapi`', () => {
    expect(parse(committed)).toEqual(parse(asyncApiYaml()));
  });
});
