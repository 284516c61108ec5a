import { Agent, errors } from 'undici';
import type { FailureReason } from '@mqgw/contracts';

export interface UpstreamRequest {
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface UpstreamResponse {
  status: number;
  /** Parsed JSON, the text when it is not JSON, or `null` when empty. */
  body: unknown;
}

/** A call that failed, and why, in the terms of `classifyFailure`. */
export class UpstreamCallError extends Error {
  constructor(
    readonly reason: Extract<
      FailureReason,
      'refused' | 'stale' | 'lost' | 'timeout' | 'unusable' | 'invalid_request' | 'too_large'
    >,
    override readonly cause: unknown,
  ) {
    super(`upstream call failed (${reason}): ${(cause as Error)?.message ?? cause}`);
    this.name = 'UpstreamCallError';
  }
}

/** How long an idle pooled connection is kept at most (less when the service hints less). */
const IDLE_SOCKET_MS = 30_000;

/**
 * HTTP/1.1 to the services with undici, the Node.js project's own client: one keep-alive
 * pool per origin, TCP_NODELAY, idle connections closed a second before the service's
 * `Keep-Alive: timeout` hint, so the service rarely closes one under a new request. It
 * spends about a third less CPU per call than Node's `http` module on the same work
 * (`tools/bench/http-clients.mjs`, docs/benchmarks.md).
 */
export class UpstreamHttpClient {
  private readonly agent: Agent;

  constructor(
    /** Larger answers are abandoned as they arrive: they could not be passed on anyway. */
    private readonly maxResponseBytes: number,
    maxConnectionsPerOrigin = 256,
  ) {
    this.agent = new Agent({
      connections: maxConnectionsPerOrigin,
      pipelining: 1,
      keepAliveTimeout: IDLE_SOCKET_MS,
      keepAliveTimeoutThreshold: 1000,
      connect: { noDelay: true },
    });
  }

  async request(req: UpstreamRequest): Promise<UpstreamResponse> {
    let response;
    try {
      response = await this.agent.request({
        origin: req.origin,
        path: req.path,
        method: req.method as 'GET',
        headers: req.headers,
        body: req.body,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
    } catch (error) {
      throw new UpstreamCallError(reasonOf(error), error);
    }
    const declared = Number(response.headers['content-length']);
    if (declared > this.maxResponseBytes) {
      abandon(response.body);
      throw new UpstreamCallError('too_large', new Error(`response of ${declared} bytes`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > this.maxResponseBytes) {
          abandon(response.body);
          throw new UpstreamCallError('too_large', new Error('response too large'));
        }
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      if (error instanceof UpstreamCallError) throw error;
      throw new UpstreamCallError(reasonOf(error), error);
    }
    const contentType = response.headers['content-type'];
    return {
      status: response.statusCode,
      body: decode(
        chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
        Array.isArray(contentType) ? contentType[0] : contentType,
      ),
    };
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}

/**
 * Drops an answer half read. Destroying an undici body emits `RequestAbortedError` on it:
 * without a listener, that would end the process.
 */
function abandon(body: {
  once(event: 'error', listener: () => void): unknown;
  destroy(): void;
}): void {
  body.once('error', () => undefined);
  body.destroy();
}

/** What a failed call means: `refused` when nothing was sent, and so on. */
function reasonOf(error: unknown): UpstreamCallError['reason'] {
  const code = (error as { code?: string }).code;
  if (error instanceof errors.InvalidArgumentError) return 'invalid_request';
  if (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'refused';
  if (error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError)
    return 'timeout';
  if (error instanceof errors.SocketError) {
    // A connection that had already carried answers, closed before this one's: the usual
    // race with the service's idle timeout, not a sign it is unwell.
    return (error.socket?.bytesRead ?? 0) > 0 ? 'stale' : 'lost';
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'lost';
  return 'unusable';
}

function decode(buffer: Buffer, contentType: string | undefined): unknown {
  if (buffer.length === 0) return null;
  const text = buffer.toString('utf8');
  if (contentType?.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
