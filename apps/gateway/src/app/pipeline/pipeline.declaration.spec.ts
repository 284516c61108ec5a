import {
  Controller,
  Injectable,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type DynamicModule,
  type INestApplication,
  type NestInterceptor,
  type Provider,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { MessagePattern } from '@nestjs/microservices';
import { map, type Observable } from 'rxjs';
import { HANDLER, STEP_NAMES, routeTableOf, type RouteDefinition } from '@mqgw/routes';
import { readGatewayConfig } from '../gateway.config';
import { GatewayConfigModule } from '../gateway-config.module';
import { GatewayRequest } from '../request/gateway-request';
import { ActiveRoutes } from '../routing/active-routes';
import { AuthGuard } from './guards/auth.guard';
import { RateLimitGuard } from './guards/rate-limit.guard';
import { UsePipeline } from './pipeline';
import { PipelineModule } from './pipeline.module';
import { PipelineRunner } from './pipeline.runner';

/** A guard that is no pipeline step: it must run on every request to its handler. */
@Injectable()
class CountingGuard implements CanActivate {
  static calls = 0;
  canActivate(): boolean {
    CountingGuard.calls++;
    return true;
  }
}

/** An ordinary rxjs interceptor: the runner runs it as Nest would. */
@Injectable()
class TaggingInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((reply) => ({ ...(reply as object), tagged: true })));
  }
}

const proxyRoute = (steps: RouteDefinition['steps']): RouteDefinition => ({
  group: { prefix: 't', steps: steps ?? [] },
  topic: 'x',
  qos: 1,
  handler: HANDLER.proxy,
  service: 'svc',
  method: 'POST',
  upstreamPath: '/x',
});

/** Boots a gateway pipeline with `controllers`; resolves the runner, or the boot error. */
async function boot(
  controllers: Type<unknown>[],
  providers: Provider[] = [],
  routes: RouteDefinition[] = [proxyRoute([])],
): Promise<{ app?: INestApplication; runner?: PipelineRunner; error?: Error }> {
  const config = readGatewayConfig({
    JWT_SECRET: 'declaration-spec-secret-0123456789abcd',
    HEALTH_CHECK_INTERVAL_SECONDS: '0',
    LOG_LEVEL: 'silent',
  });
  const feature: DynamicModule = {
    module: class TestHandlers {},
    imports: [PipelineModule],
    controllers,
    providers,
  };
  const root: DynamicModule = {
    module: class TestRoot {},
    imports: [GatewayConfigModule.forRoot(config, routeTableOf(routes)), feature],
  };
  const app = await NestFactory.create(root, { logger: false, abortOnError: false });
  try {
    await app.init();
    return { app, runner: app.get(PipelineRunner) };
  } catch (error) {
    await app.close().catch(() => undefined);
    return { error: error as Error };
  }
}

/** The other route handlers, so that a test controller serves all of them. */
@Controller()
@UsePipeline()
class OtherHandlers {
  @MessagePattern(HANDLER.health)
  health() {
    return { status: 'healthy' };
  }
  @MessagePattern(HANDLER.services)
  services() {
    return { services: [] };
  }
  @MessagePattern(HANDLER.metrics)
  metrics() {
    return { metrics: {} };
  }
}

describe('the pipeline that runs is the one declared on the handler', () => {
  it('runs a guard and an interceptor added to a handler, on top of the pipeline, in production dispatch', async () => {
    @Controller()
    @UsePipeline()
    class Proxy {
      @MessagePattern(HANDLER.proxy)
      @UseGuards(CountingGuard)
      @UseInterceptors(TaggingInterceptor)
      proxy() {
        return { status: 'success', data: 'served' };
      }
    }
    const { app, runner, error } = await boot([Proxy, OtherHandlers]);
    expect(error).toBeUndefined();
    try {
      const route = app!.get(ActiveRoutes).routes[0];
      const req = new GatewayRequest('r1', 't/x', route, {}, {}, performance.now(), {
        body: { value: {} },
      });
      CountingGuard.calls = 0;
      await expect(runner!.run(req)).resolves.toEqual({
        status: 'success',
        data: 'served',
        tagged: true,
      });
      expect(CountingGuard.calls).toBe(1);
      // What the handler declares, as the runner reports it: every step, in pipeline order.
      expect([...runner!.handlers.get(HANDLER.proxy)!.steps]).toEqual(STEP_NAMES);
    } finally {
      await app!.close();
    }
  });

  it('runs a step only on routes that name it, and `always` steps on every route', async () => {
    @Controller()
    @UsePipeline()
    class Proxy {
      @MessagePattern(HANDLER.proxy)
      proxy() {
        return { status: 'success', data: 'open' };
      }
    }
    const routes = [proxyRoute([]), { ...proxyRoute(['auth']), topic: 'locked' }];
    const { app, runner, error } = await boot([Proxy, OtherHandlers], [], routes);
    expect(error).toBeUndefined();
    try {
      const [open, locked] = app!.get(ActiveRoutes).routes;
      const request = (route: typeof open) =>
        new GatewayRequest('r', route.template, route, {}, {}, performance.now(), {
          body: { value: {} },
        });
      await expect(runner!.run(request(open))).resolves.toMatchObject({ data: 'open' });
      await expect(runner!.run(request(locked))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
      // Admission runs everywhere: a request past its deadline is refused on the open route.
      const late = new GatewayRequest('r', 't/x', open, {}, {}, performance.now(), {
        body: { value: {} },
        deadline: performance.now() - 1,
      });
      await expect(runner!.run(late)).rejects.toMatchObject({ reason: 'deadline' });
    } finally {
      await app!.close();
    }
  });

  it.each<[string, () => Type<unknown>[], Provider[], RegExp]>([
    [
      'steps declared out of pipeline order',
      () => {
        @Controller()
        @UseGuards(RateLimitGuard, AuthGuard)
        class Misordered {
          @MessagePattern(HANDLER.proxy)
          proxy() {
            return 'x';
          }
        }
        return [Misordered, OtherHandlers];
      },
      [],
      /Misordered\.proxy: step auth is declared after rateLimit/,
    ],
    [
      'a step declared twice',
      () => {
        @Controller()
        @UsePipeline()
        class Twice {
          @MessagePattern(HANDLER.proxy)
          @UseGuards(AuthGuard)
          proxy() {
            return 'x';
          }
        }
        return [Twice, OtherHandlers];
      },
      [],
      /Twice\.proxy: step auth is declared after/,
    ],
    [
      'a handler without the steps its routes name',
      () => {
        @Controller()
        class Bare {
          @MessagePattern(HANDLER.proxy)
          proxy() {
            return 'x';
          }
        }
        return [Bare, OtherHandlers];
      },
      [],
      /route t\/x names admission, validate, concurrency, which Bare\.proxy does not declare/,
    ],
    [
      'two handlers for one route handler',
      () => {
        @Controller()
        @UsePipeline()
        class Again {
          @MessagePattern(HANDLER.health)
          health() {
            return 'x';
          }
          @MessagePattern(HANDLER.proxy)
          proxy() {
            return 'x';
          }
        }
        return [Again, OtherHandlers];
      },
      [],
      /both serve health/,
    ],
    [
      'a pattern no route can name',
      () => {
        @Controller()
        @UsePipeline()
        class Stray {
          @MessagePattern('stray')
          stray() {
            return 'x';
          }
        }
        return [Stray, OtherHandlers];
      },
      [],
      /Stray\.stray: @MessagePattern\("stray"\) is not a route handler/,
    ],
    [
      'a route handler no method serves',
      () => [OtherHandlers],
      [],
      /no @MessagePattern\(HANDLER\.proxy\) method/,
    ],
    [
      'a global guard, which the pipeline would not run',
      () => {
        @Controller()
        @UsePipeline()
        class Proxy {
          @MessagePattern(HANDLER.proxy)
          proxy() {
            return 'x';
          }
        }
        return [Proxy, OtherHandlers];
      },
      [{ provide: APP_GUARD, useClass: CountingGuard }],
      /APP_GUARD is not run by the MQTT pipeline/,
    ],
  ])('fails at boot on %s, naming it', async (_what, controllers, providers, message) => {
    const { app, error } = await boot(controllers(), providers);
    await app?.close();
    expect(error?.message).toMatch(message);
  });
});
