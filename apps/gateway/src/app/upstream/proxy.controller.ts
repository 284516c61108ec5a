import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { SuccessReply } from '@mqgw/contracts';
import { UsePipeline } from '../pipeline/use-pipeline.decorator';
import type { GatewayRequest } from '../request/gateway-request';
import { UpstreamService } from './upstream.service';

/** Serves every route whose handler is `proxy`: one handler for the whole table. */
@Controller()
@UsePipeline()
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
