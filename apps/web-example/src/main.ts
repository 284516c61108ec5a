import { connect, isMqgwError, type MqgwClient } from '@mqgw/client';
import { ROUTES, type Routes } from './mqgw-routes';

/*
 * A web page as a client of the gateway: @mqgw/client over the broker's WebSocket listener,
 * typed by the routes file (`mqgw generate types`), so each request body and reply below is
 * checked by the compiler. The broker URL and a token may come in the page's hash
 * (`#url=ws://127.0.0.1:9001&token=...`); a real app gets its token from its login.
 */

const byId = <T extends HTMLElement = HTMLInputElement>(id: string) =>
  document.getElementById(id) as T;
const hash = new URLSearchParams(location.hash.slice(1));
byId('url').value = hash.get('url') ?? `ws://${location.hostname || '127.0.0.1'}:9001`;
byId<HTMLTextAreaElement>('token').value = hash.get('token') ?? '';

let client: MqgwClient<Routes> | undefined;
const token = () => byId<HTMLTextAreaElement>('token').value.trim();

async function ready(): Promise<MqgwClient<Routes>> {
  if (!client) {
    client = await connect<Routes>(byId('url').value, { token, routes: ROUTES });
    byId('status').textContent = `connected, replies on ${client.replyTopic}`;
  }
  return client;
}

/** The user the token names: its `sub`. */
function userOfToken(): string {
  const payload = token().split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return (JSON.parse(json) as { sub: string }).sub;
}

/** Runs an action; a failure is shown in the page. */
function action(id: string, work: () => Promise<void>): void {
  byId(id).addEventListener('click', () => {
    byId('error').textContent = '';
    work().catch((error: unknown) => {
      byId('error').textContent = describe(error);
    });
  });
}

/** A gateway error as its code and status, then each field at fault, or its message. */
function describe(error: unknown): string {
  if (!isMqgwError(error)) return String((error as Error).message ?? error);
  const violations =
    (error.details as { violations?: { pointer: string; message: string }[] } | undefined)
      ?.violations ?? [];
  return violations.length > 0
    ? [
        `${error.code} (${error.status})`,
        ...violations.map((v) => `${v.pointer} ${v.message}`),
      ].join('\n')
    : `${error.code} (${error.status}): ${error.reply.error.message}`;
}

action('connect', async () => {
  await ready();
});

action('create', async () => {
  const api = await ready();
  const reply = await api.request('api/v1/users/create', {
    name: byId('name').value,
    email: byId('email').value,
  });
  const user = byId('user');
  user.dataset['userId'] = reply.data.user_id;
  user.textContent = `Created ${reply.data.user_id}: ${reply.data.name} <${reply.data.email}>, role ${reply.data.role}.`;
});

action('list', async () => {
  const api = await ready();
  const reply = await api.request(`api/v1/orders/list/${encodeURIComponent(userOfToken())}`);
  const rows = reply.data.orders.map((order) => {
    const row = document.createElement('tr');
    row.dataset['order'] = order.order_id;
    for (const text of [
      order.order_id,
      order.items.map((i) => `${i.quantity} × ${i.sku}`).join(', '),
      `${order.total.toFixed(2)} ${order.currency}`,
      order.status,
    ]) {
      row.appendChild(document.createElement('td')).textContent = text;
    }
    return row;
  });
  byId('orders').replaceChildren(...rows);
});
