import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { SuccessReply } from '@mqgw/contracts';
import { HANDLER } from '@mqgw/routes';
import { UsePipeline } from '../pipeline/pipeline';
import type { GatewayRequest } from '../request/gateway-request';
import { UpstreamService } from './upstream.service';

/** Serves every route whose handler is `proxy`: one handler for the whole table. */
@Controller()
@UsePipeline()
export class ProxyController {
  constructor(private readonly upstream: UpstreamService) {}

  /** Calls the request's service: the route's, or the one the fallback step chose. */
  @MessagePattern(HANDLER.proxy)
  proxy(
    @Payload() body: Record<string, unknown>,
    @Ctx() req: GatewayRequest,
  ): Promise<SuccessReply> {
    return this.upstream.forward(req, req.service!, body);
  }
}
