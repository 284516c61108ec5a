import http from 'node:http';
import https from 'node:https';

export interface UpstreamRequest {
  url: string;
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

export class UpstreamTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`upstream did not answer within ${timeoutMs} ms`);
    this.name = 'UpstreamTimeoutError';
  }
}

/** How long an idle pooled connection is kept at most (less when the service hints less). */
const IDLE_SOCKET_MS = 30_000;

export class UpstreamConnectionError extends Error {
  /** The instance refused the connection: nothing was sent, so any call may go elsewhere. */
  readonly refused: boolean;
  /**
   * A pooled keep-alive connection turned out closed by the service (reset before any
   * answer): the usual race with the service's idle timeout, not a sign it is unwell.
   */
  readonly stale: boolean;

  constructor(
    override readonly cause: Error,
    reusedSocket = false,
  ) {
    super(`upstream connection failed: ${cause.message}`);
    this.name = 'UpstreamConnectionError';
    const code = (cause as NodeJS.ErrnoException).code;
    this.refused = code === 'ECONNREFUSED';
    this.stale = reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE');
  }
}

export class UpstreamTooLargeError extends Error {
  constructor(limit: number) {
    super(`upstream response exceeds ${limit} bytes`);
    this.name = 'UpstreamTooLargeError';
  }
}

const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * HTTP/1.1 with one keep-alive pool per upstream origin. A timeout destroys the request,
 * so the upstream sees the connection close rather than an abandoned call.
 */
export class UpstreamHttpClient {
  private readonly agents = new Map<string, http.Agent>();

  constructor(private readonly maxSocketsPerOrigin = 256) {}

  request(req: UpstreamRequest): Promise<UpstreamResponse> {
    const url = new URL(req.url);
    const isHttps = url.protocol === 'https:';
    const agent = this.agentFor(url.origin, isHttps);
    const transport = isHttps ? https : http;
    return new Promise<UpstreamResponse>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const headers: Record<string, string | number> = { ...req.headers };
      if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
      const outgoing = transport.request(
        url,
        { method: req.method, headers, agent, setHost: true },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              outgoing.destroy();
              finish(() => reject(new UpstreamTooLargeError(MAX_RESPONSE_BYTES)));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () =>
            finish(() =>
              resolve({
                status: res.statusCode ?? 502,
                body: decode(Buffer.concat(chunks), res.headers['content-type']),
              }),
            ),
          );
          res.on('error', (error) => finish(() => reject(new UpstreamConnectionError(error))));
        },
      );
      const timer = setTimeout(() => {
        finish(() => reject(new UpstreamTimeoutError(req.timeoutMs)));
        outgoing.destroy();
      }, req.timeoutMs);
      outgoing.on('socket', (socket) => socket.setNoDelay(true));
      outgoing.on('error', (error) =>
        finish(() => reject(new UpstreamConnectionError(error, outgoing.reusedSocket))),
      );
      outgoing.end(req.body);
    });
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private agentFor(origin: string, isHttps: boolean): http.Agent {
    let agent = this.agents.get(origin);
    if (!agent) {
      // With a timeout set, Node closes an idle socket a second before the service's
      // `Keep-Alive: timeout=N` hint, so the service rarely closes one under a new request.
      const options = {
        keepAlive: true,
        maxSockets: this.maxSocketsPerOrigin,
        maxFreeSockets: 64,
        timeout: IDLE_SOCKET_MS,
      };
      agent = isHttps ? new https.Agent(options) : new http.Agent(options);
      this.agents.set(origin, agent);
    }
    return agent;
  }
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
