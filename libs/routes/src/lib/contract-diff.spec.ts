import { diffContracts, type ContractChange } from './contract-diff';
import { defaultRoutesFile, loadRoutesFile, parseRoutesFile } from './routes-file';

/** A one-group table; each route given as `topic: {request, reply, scopes}` YAML. */
function table(routes: string): ReturnType<typeof parseRoutesFile>['routes'] {
  return parseRoutesFile(
    `services:\n  svc:\ngroups:\n  - prefix: api\n    steps: [auth]\n    routes:\n${routes}`,
    'routes.yaml',
  ).routes;
}
const route = (topic: string, extra = '') =>
  `      - { topic: ${topic}, qos: 1, service: svc, method: POST, path: /x${extra ? `, ${extra}` : ''} }\n`;
const user = (request: string, reply = '{ type: object }') =>
  route('users/create', `request: ${request}, reply: ${reply}`);
const shown = (changes: ContractChange[]) =>
  changes.map((c) => `${c.breaking ? '!' : '~'} ${c.route} ${c.part}${c.pointer} ${c.what}`);

const BASE = `{ type: object, additionalProperties: false, required: [name], properties: { name: { type: string, maxLength: 200 }, role: { enum: [user, admin] } } }`;

describe('diffContracts', () => {
  it('finds nothing between a table and itself, the default one included', () => {
    const routes = loadRoutesFile(defaultRoutesFile()).routes;
    expect(diffContracts(routes, routes)).toEqual([]);
    expect(diffContracts(table(user(BASE)), table(user(BASE)))).toEqual([]);
  });

  it('breaks on a removed route, and not on an added one', () => {
    const before = table(route('a') + route('b'));
    const after = table(route('a') + route('c'));
    expect(shown(diffContracts(before, after))).toEqual([
      '! api/b  route removed',
      '~ api/c  route added',
    ]);
  });

  it('breaks on a required request field added, not on an optional one', () => {
    const optional = BASE.replace('role: {', 'nickname: { type: string }, role: {');
    expect(shown(diffContracts(table(user(BASE)), table(user(optional))))).toEqual([
      '~ api/users/create request/nickname optional field added',
    ]);
    const required = optional.replace('required: [name]', 'required: [name, nickname]');
    expect(shown(diffContracts(table(user(BASE)), table(user(required))))).toEqual([
      '! api/users/create request/nickname required field added',
    ]);
  });

  it('breaks on a narrowed request type, bound or value set; widening is compatible', () => {
    const narrower = BASE.replace('maxLength: 200', 'maxLength: 100').replace(
      'enum: [user, admin]',
      'enum: [user]',
    );
    expect(shown(diffContracts(table(user(BASE)), table(user(narrower))))).toEqual([
      '! api/users/create request/name maxLength 200 -> 100 (narrowed)',
      '! api/users/create request/role values "user", "admin" -> "user" (narrowed)',
    ]);
    expect(shown(diffContracts(table(user(narrower)), table(user(BASE))))).toEqual([
      '~ api/users/create request/name maxLength 100 -> 200 (widened)',
      '~ api/users/create request/role values "user" -> "user", "admin" (widened)',
    ]);
    const typed = BASE.replace('name: { type: string', 'name: { type: [string, "null"]');
    expect(shown(diffContracts(table(user(typed)), table(user(BASE))))).toEqual([
      '! api/users/create request/name type string|null -> string (narrowed)',
    ]);
  });

  it('breaks on a reply field removed or made optional, and on a widened reply type', () => {
    const reply = `{ type: object, required: [id, name], properties: { id: { type: string }, name: { type: string } } }`;
    const without = `{ type: object, required: [id], properties: { id: { type: string } } }`;
    expect(shown(diffContracts(table(user(BASE, reply)), table(user(BASE, without))))).toEqual([
      '! api/users/create reply/name field removed',
    ]);
    expect(shown(diffContracts(table(user(BASE, without)), table(user(BASE, reply))))).toEqual([
      '~ api/users/create reply/name field now always present',
    ]);
    const nullable = reply.replace('id: { type: string }', 'id: { type: [string, "null"] }');
    expect(shown(diffContracts(table(user(BASE, reply)), table(user(BASE, nullable))))).toEqual([
      '! api/users/create reply/id type string -> string|null (widened)',
    ]);
  });

  it('counts a first schema as a new contract, and a lost reply schema as breaking', () => {
    expect(shown(diffContracts(table(route('users/create')), table(user(BASE))))).toEqual([
      '~ api/users/create request request schema added',
      '~ api/users/create reply reply schema added',
    ]);
    expect(
      shown(diffContracts(table(user(BASE)), table(route('users/create', `request: ${BASE}`)))),
    ).toEqual(['! api/users/create reply reply schema removed: replies are no longer described']);
  });

  it('breaks on a scope added, and on a change it cannot judge', () => {
    expect(shown(diffContracts(table(route('a')), table(route('a', 'scopes: [admin]'))))).toEqual([
      '! api/a  now needs scope admin',
    ]);
    const anyOf = (n: number) =>
      user(`{ type: object, anyOf: [{ required: [a] }, { required: [b${n}] }] }`);
    expect(shown(diffContracts(table(anyOf(1)), table(anyOf(2))))).toEqual([
      '! api/users/create request anyOf changed: routes diff cannot compare it, check by hand',
    ]);
  });
});
