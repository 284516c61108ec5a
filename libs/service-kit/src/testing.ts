import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';

/** A stub service's module as a real HTTP app for supertest, without registration or logs. */
export async function startTestApp(
  module: Type<unknown> | DynamicModule,
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

/**
 * Requests to `app` as the gateway sends them for `userId`, holding `scopes`: with
 * `X-User-ID` and (when there are scopes) `X-User-Scopes`.
 */
export function asCaller(app: INestApplication, userId: string, scopes = '') {
  const call = (method: 'get' | 'post' | 'put' | 'delete', path: string) => {
    const req = request(app.getHttpServer())[method](path).set('x-user-id', userId);
    return scopes ? req.set('x-user-scopes', scopes) : req;
  };
  return {
    get: (path: string) => call('get', path),
    post: (path: string, body: object = {}) => call('post', path).send(body),
    put: (path: string, body: object) => call('put', path).send(body),
    delete: (path: string) => call('delete', path),
  };
}
