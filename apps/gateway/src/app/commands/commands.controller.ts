import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { GatewayError } from '@mqgw/contracts';
import { CommandCallerAuth } from './command-caller.auth';
import { errorResponse } from './command.responses';
import { CommandsService, type CommandResponse } from './commands.service';

/**
 * Commands to devices over HTTP, on the gateway's HTTP side (`HTTP_HOST`/`HTTP_PORT`):
 * `POST /devices/{device}/commands/{name}` sends one and answers with the device's answer
 * (or `202` with `?delivery=queued`), and `GET …/{name}/{id}` fetches a queued answer. The
 * body is read here, raw and bounded: the gateway's HTTP side has no other body to parse,
 * and `curl -d` sends JSON labelled as a form.
 */
@Controller('devices')
export class CommandsController {
  constructor(
    private readonly commands: CommandsService,
    private readonly auth: CommandCallerAuth,
  ) {}

  @Post(':device/commands/:name')
  async send(
    @Param('device') device: string,
    @Param('name') name: string,
    @Query('delivery') delivery: unknown,
    @Query('timeout_ms') timeoutMs: unknown,
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const limit = this.commands.config.maxBytes;
    const response = await this.respond(req, async (caller) => {
      if (delivery !== undefined && delivery !== 'queued' && delivery !== 'wait') {
        throw new GatewayError('BAD_REQUEST', 'delivery must be wait or queued');
      }
      if (timeoutMs !== undefined && typeof timeoutMs !== 'string') {
        throw new GatewayError('BAD_REQUEST', 'timeout_ms must appear once');
      }
      const body = await readBody(req, limit);
      return this.commands.send({
        caller,
        device,
        name,
        body,
        timeoutMs,
        queued: delivery === 'queued',
        idempotencyKey: header(req, 'idempotency-key'),
      });
    });
    write(res, response);
  }

  @Get(':device/commands/:name/:id')
  async result(
    @Param('device') device: string,
    @Param('name') name: string,
    @Param('id') id: string,
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
  ): Promise<void> {
    write(res, await this.respond(req, (caller) => this.commands.result(caller, device, name, id)));
  }

  private async respond(
    req: IncomingMessage,
    work: (
      caller: Awaited<ReturnType<CommandCallerAuth['authenticate']>>,
    ) => Promise<CommandResponse>,
  ): Promise<CommandResponse> {
    try {
      const caller = await this.auth.authenticate(
        header(req, 'authorization'),
        header(req, 'x-api-key'),
        req.socket.remoteAddress ?? 'unknown',
      );
      return await work(caller);
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      return errorResponse(error, null);
    }
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The request body, refused past `limit` bytes without reading the rest. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    throw new GatewayError('PAYLOAD_TOO_LARGE', `the body is over ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit)
      throw new GatewayError('PAYLOAD_TOO_LARGE', `the body is over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function write(res: ServerResponse, response: CommandResponse): void {
  const error = response.body['error'] as { retry_after?: number } | undefined;
  res.statusCode = response.status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  if (error?.retry_after !== undefined) res.setHeader('retry-after', String(error.retry_after));
  res.end(JSON.stringify(response.body));
}
