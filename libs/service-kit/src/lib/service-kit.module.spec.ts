import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import request from 'supertest';
import { startTestApp } from '../testing';
import { V2RequestDto, v2Echo } from './api-v2';
import { Caller, Public, type CallerIdentity } from './caller';
import { ServiceKitModule } from './service-kit.module';
import { IsUserId } from './validation.pipe';

class PartDto {
  @IsString()
  @MaxLength(10)
  name!: string;
}

class ThingDto {
  @IsString()
  @MaxLength(10)
  name!: string;

  @IsInt()
  @Min(1)
  @Max(10)
  count!: number;

  @IsOptional()
  @IsUserId()
  owner?: string;

  @IsOptional()
  @ArrayMaxSize(2)
  @ValidateNested({ each: true })
  @Type(() => PartDto)
  parts?: PartDto[];
}

class EchoDto extends V2RequestDto {
  @IsOptional()
  @IsString()
  note?: string;
}

@Controller()
class ProbeController {
  @Get('me')
  me(@Caller() caller: CallerIdentity) {
    return caller;
  }

  @Post('things')
  create(@Body() thing: ThingDto) {
    return { isDto: thing instanceof ThingDto, thing };
  }

  @Post('echo')
  echo(@Body() body: EchoDto) {
    return v2Echo(body);
  }

  @Public()
  @Get('open')
  open() {
    return { open: true };
  }
}

@Module({ imports: [ServiceKitModule], controllers: [ProbeController] })
class ProbeModule {}

describe('ServiceKitModule', () => {
  let app: INestApplication;
  beforeEach(async () => {
    app = await startTestApp(ProbeModule);
  });
  afterEach(() => app.close());

  const http = () => request(app.getHttpServer());

  describe('caller identity', () => {
    it('reads X-User-ID and X-User-Scopes; the admin scope makes an admin', async () => {
      const plain = await http().get('/me').set('x-user-id', 'alice').expect(200);
      expect(plain.body).toEqual({ userId: 'alice', scopes: [], isAdmin: false });
      const admin = await http()
        .get('/me')
        .set('x-user-id', 'auth0:x')
        .set('x-user-scopes', '  read  admin read ')
        .expect(200);
      expect(admin.body).toEqual({ userId: 'auth0:x', scopes: ['read', 'admin'], isAdmin: true });
      const almost = await http()
        .get('/me')
        .set('x-user-id', 'bob')
        .set('x-user-scopes', 'admins Admin')
        .expect(200);
      expect(almost.body.isAdmin).toBe(false);
    });

    it('answers 401 with a JSON body without X-User-ID, before validating the body', async () => {
      const res = await http().get('/me').expect(401);
      expect(res.body).toEqual({
        statusCode: 401,
        message: 'X-User-ID is required',
        error: 'Unauthorized',
      });
      await http().post('/things').send({ nonsense: true }).expect(401);
    });

    it.each(['', 'a b', 'a,b', 'ünï', 'a/b', 'x'.repeat(129)])(
      'answers 400 to the malformed X-User-ID %j',
      async (userId) => {
        const res = await http().get('/me').set('x-user-id', userId).expect(400);
        expect(res.body.message).toMatch(/^X-User-ID must be/);
      },
    );

    it('accepts every allowed character, up to 128 of them', async () => {
      const id = 'Az09_.@:-' + 'x'.repeat(119);
      expect((await http().get('/me').set('x-user-id', id).expect(200)).body.userId).toBe(id);
    });

    it('lets @Public() routes and GET /health answer without a caller', async () => {
      expect((await http().get('/open').expect(200)).body).toEqual({ open: true });
      expect((await http().get('/health').expect(200)).body.status).toBe('ok');
    });
  });

  describe('validation', () => {
    const post = (body: unknown) =>
      http()
        .post('/things')
        .set('x-user-id', 'alice')
        .send(body as object);

    it('hands the handler an instance of its DTO', async () => {
      const res = await post({ name: 'a', count: 2, parts: [{ name: 'p' }] }).expect(201);
      expect(res.body).toEqual({
        isDto: true,
        thing: { name: 'a', count: 2, parts: [{ name: 'p' }] },
      });
    });

    it("rejects unknown properties, nested ones too, with Nest's standard body", async () => {
      const res = await post({ name: 'a', count: 2, role: 'admin', parts: [{ name: 'p', x: 1 }] });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: ['property role should not exist', 'parts.0.property x should not exist'],
      });
    });

    it('lists one message per problem, and never converts types implicitly', async () => {
      const res = await post({ name: 'x'.repeat(11), count: '5', owner: 'a b' }).expect(400);
      expect(res.body.message).toEqual([
        'name must be shorter than or equal to 10 characters',
        'count must not be greater than 10',
        'count must not be less than 1',
        'count must be an integer number',
        'owner must be 1-128 characters of A-Z a-z 0-9 _ . @ : -',
      ]);
    });

    it('bounds numbers: huge and fractional values are a 400', async () => {
      expect((await post({ name: 'a', count: 1e308 }).expect(400)).body.message).toEqual([
        'count must not be greater than 10',
      ]);
      await post({ name: 'a', count: 1.5 }).expect(400);
    });

    it('rejects a body that is not an object', async () => {
      await post([{ name: 'a', count: 1 }]).expect(400);
      await http().post('/things').set('x-user-id', 'alice').expect(400);
    });

    it('echoes the API v2 version and action, or null', async () => {
      const echo = (body: object) =>
        http().post('/echo').set('x-user-id', 'alice').send(body).expect(201);
      expect((await echo({ api_version: 'v2', action: 'go', note: 'n' })).body).toEqual({
        api_version: 'v2',
        action: 'go',
      });
      expect((await echo({})).body).toEqual({ api_version: null, action: null });
      await http().post('/echo').set('x-user-id', 'alice').send({ api_version: 2 }).expect(400);
    });
  });
});
