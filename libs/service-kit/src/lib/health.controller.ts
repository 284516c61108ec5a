import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, MemoryHealthIndicator } from '@nestjs/terminus';
import { Public } from './caller';

const HEAP_LIMIT_BYTES = 512 * 1024 * 1024;

/** Answers anyone: the gateway and the registry probe it without a caller. */
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly memory: MemoryHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.memory.checkHeap('heap', HEAP_LIMIT_BYTES)]);
  }
}
