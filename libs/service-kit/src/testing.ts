import type { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';

/** A stub service's module as a real HTTP app for supertest, without registration or logs. */
export async function startTestApp(module: Type<unknown>): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}
