import type { SuccessReply } from '@mqgw/contracts';
import { Stack } from './support/stack';

interface User {
  user_id: string;
  name: string;
  email: string;
}

describe('first request: users/create then users/get, end to end', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ name: 'users', services: ['user-service'] });
  });
  afterAll(() => stack?.stop());

  it('creates a user over MQTT 5 and reads it back', async () => {
    const client = await stack.requester();
    const created = await client.request<SuccessReply<User>>(
      'api/v1/users/create',
      { name: 'Ada Lovelace', email: 'ada@example.com' },
      { qos: 2, headers: { authorization: await stack.bearer('ada') } },
    );
    expect(created.body).toMatchObject({
      status: 'success',
      service: 'user-service',
      data: { name: 'Ada Lovelace', email: 'ada@example.com' },
    });
    expect(created.body.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.processing_time).toBeGreaterThanOrEqual(0);
    expect(created.packet.properties?.contentType).toBe('application/json');

    const id = created.body.data.user_id;
    const fetched = await client.request<SuccessReply<User>>(
      `api/v1/users/get/${id}`,
      {},
      {
        headers: { authorization: await stack.bearer('ada') },
      },
    );
    expect(fetched.body.status).toBe('success');
    expect(fetched.body.data).toEqual(created.body.data);
    expect(fetched.body.request_id).not.toBe(created.body.request_id);
  });
});
