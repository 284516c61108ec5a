import type { ExecutionContext } from '@nestjs/common';
import { readGatewayConfig } from '../gateway.config';
import { DashboardGuard } from './dashboard.guard';

describe('DashboardGuard', () => {
  const guard = (env: Record<string, string> = {}) =>
    new DashboardGuard(readGatewayConfig({ JWT_SECRET: 'x'.repeat(32), ...env }).operations);
  const request = (host: string | undefined, query: Record<string, unknown> = {}) =>
    ({
      switchToHttp: () => ({ getRequest: () => ({ headers: { host }, query }) }),
    }) as unknown as ExecutionContext;

  it('answers loopback names and HTTP_HOST by default, whatever the port', () => {
    const open = guard({ HTTP_HOST: '10.0.0.7' });
    for (const host of [
      'localhost:3000',
      '127.0.0.1:3000',
      '[::1]:3000',
      'LOCALHOST',
      '10.0.0.7:3000',
    ]) {
      expect([host, open.canActivate(request(host))]).toEqual([host, true]);
    }
  });

  it('refuses a name a rebinding page would send, and a request without Host', () => {
    for (const host of [
      'evil.example:3000',
      'localhost.evil.example',
      '127.0.0.2:3000',
      undefined,
    ]) {
      expect(() => guard().canActivate(request(host))).toThrow(/DASHBOARD_HOSTS/);
    }
    // Listening on every interface adds no name of its own.
    expect(() => guard({ HTTP_HOST: '0.0.0.0' }).canActivate(request('0.0.0.0:3000'))).toThrow(
      /DASHBOARD_HOSTS/,
    );
  });

  it('takes the names from DASHBOARD_HOSTS, or any with *', () => {
    const named = guard({ DASHBOARD_HOSTS: 'gateway,ops.example.com' });
    expect(named.canActivate(request('ops.example.com'))).toBe(true);
    expect(named.canActivate(request('gateway:3000'))).toBe(true);
    expect(() => named.canActivate(request('localhost:3000'))).toThrow(/DASHBOARD_HOSTS/);
    expect(guard({ DASHBOARD_HOSTS: '*' }).canActivate(request('anything:1'))).toBe(true);
    expect(() => guard({ DASHBOARD_HOSTS: 'a b,c' })).toThrow(/Invalid DASHBOARD_HOSTS/);
  });

  it('checks the host before the token, and the token after it', () => {
    const locked = guard({ DASHBOARD_TOKEN: 'dashboard-token-0123456789' });
    expect(() =>
      locked.canActivate(request('evil.example', { token: 'dashboard-token-0123456789' })),
    ).toThrow(/DASHBOARD_HOSTS/);
    expect(() => locked.canActivate(request('localhost'))).toThrow(/DASHBOARD_TOKEN/);
    expect(locked.canActivate(request('localhost', { token: 'dashboard-token-0123456789' }))).toBe(
      true,
    );
  });
});
