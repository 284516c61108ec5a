import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Behaviour = (req: RecordedRequest, res: ServerResponse) => void;

/** Answers 200 with a JSON echo of what it received. */
export const echo: Behaviour = (req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({
      method: req.method,
      url: req.url,
      body: req.body ? JSON.parse(req.body) : null,
    }),
  );
};

/**
 * A real HTTP server standing in for a service: it records every request (headers
 * included) and answers as told, so tests can see exactly what the gateway sent.
 */
export class TestUpstream {
  readonly requests: RecordedRequest[] = [];
  private readonly open = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    public behaviour: Behaviour,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  static async start(behaviour: Behaviour = echo): Promise<TestUpstream> {
    const upstream = new TestUpstream(createServer(), behaviour);
    upstream.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const recorded = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        };
        upstream.requests.push(recorded);
        upstream.open.add(res);
        res.on('close', () => upstream.open.delete(res));
        upstream.behaviour(recorded, res);
      });
    });
    await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
    return upstream;
  }

  /** Connections the server has not answered yet (a hanging upstream's backlog). */
  get pending(): number {
    return this.open.size;
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

export const hang: Behaviour = () => undefined;

/** Reads the request, then drops the connection without an answer. */
export const reset: Behaviour = (_req, res) => {
  res.socket?.destroy();
};

/** Behaves as `behaviour` after `ms`, keeping the request in flight meanwhile. */
export function delayed(behaviour: Behaviour, ms: number): Behaviour {
  return (req, res) => {
    setTimeout(() => behaviour(req, res), ms);
  };
}

export function status(code: number, body: unknown = { message: `status ${code}` }): Behaviour {
  return (_req, res) => {
    res.statusCode = code;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  };
}
