import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { SuccessReply } from '@mqgw/contracts';
import { GatewayMiddleware } from '../middleware/middleware-chain';
import type { GatewayRequest } from '../transport/gateway-request';
import { UpstreamService } from './upstream.service';

/** Serves every route whose handler is `proxy`: one handler for the whole table. */
@Controller()
@GatewayMiddleware()
export class ProxyController {
  constructor(private readonly upstream: UpstreamService) {}

  @MessagePattern('proxy')
  proxy(
    @Payload() body: Record<string, unknown>,
    @Ctx() req: GatewayRequest,
  ): Promise<SuccessReply> {
    return this.upstream.forward(req, body);
  }
}
