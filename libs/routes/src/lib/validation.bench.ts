import { defaultRoutesFile, loadRoutesFile } from './routes-file';
import type { CompiledRoute } from './route.types';

/*
 * What a contract check costs on the hot path (`npx nx run routes:bench-validation`): the
 * default table's request schemas against their own examples, a refused body, and replies
 * of the sizes the stub services send, each timed over many calls, next to JSON.parse of the
 * same text as a yardstick. Prints one JSON line per case, in nanoseconds per call.
 */

function time(calls: number, work: () => unknown): number {
  for (let i = 0; i < Math.min(calls, 10_000); i++) work();
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) work();
  return Number(process.hrtime.bigint() - started) / calls;
}

const routes = loadRoutesFile(defaultRoutesFile()).routes;
const route = (template: string): CompiledRoute => routes.find((r) => r.template === template)!;
const report = (name: string, ns: number, json?: string) =>
  process.stdout.write(
    `${JSON.stringify({
      case: name,
      ns_per_call: Math.round(ns),
      ...(json ? { json_parse_ns: Math.round(time(200_000, () => JSON.parse(json))) } : {}),
    })}\n`,
  );

const CALLS = 500_000;
const user = {
  user_id: 'ada',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  role: 'user',
  created_at: '2025-01-01T00:00:00.000Z',
  updated_at: '2025-01-01T00:00:00.000Z',
};
const order = {
  order_id: 'ord_3f2a9c1e5b26',
  user_id: 'ada',
  items: [{ sku: 'widget', quantity: 3, price: 4.99 }],
  total: 14.97,
  currency: 'EUR',
  status: 'pending',
  created_at: '2025-01-01T00:00:00.000Z',
  updated_at: '2025-01-01T00:00:00.000Z',
};

let all = 0;
let count = 0;
for (const r of routes) {
  const schema = r.contract?.request;
  const examples =
    typeof schema === 'object' && Array.isArray(schema['examples']) ? schema['examples'] : [{}];
  for (const example of examples as unknown[]) {
    const body = JSON.parse(JSON.stringify(example)) as unknown;
    if (r.contract!.validateRequest(body).length > 0)
      throw new Error(`${r.template}: example is invalid`);
    const ns = time(CALLS, () => r.contract!.validateRequest(body));
    all += ns;
    count++;
    report(`request ${r.template}`, ns, JSON.stringify(example));
  }
}
report('request, mean over the default table', all / count);

const create = route('api/v1/users/create').contract!;
const bad = { name: ' ', email: 'nope', role: 'root', extra: 1 };
report(
  'request refused, 4 violations described',
  time(50_000, () => create.validateRequest(bad)),
);

report(
  'reply users/create (one user)',
  time(CALLS, () => create.validateReply(user)),
  JSON.stringify(user),
);
const list = { user_id: 'ada', orders: Array.from({ length: 100 }, () => order), count: 100 };
report(
  'reply orders/list (100 orders)',
  time(20_000, () => route('api/v1/orders/list/{user_id}').contract!.validateReply(list)),
  JSON.stringify(list),
);
