/**
 * A local HTTP server for tests that records every request and answers as told.
 *
 * ```ts
 * const srv = await startRecordingServer(req => req.url === '/fail' ? { status: 503 } : { status: 200, body: 'ok' });
 * try { ...; expect(srv.requests[0].headers['x-token']).toBe('s3cret'); } finally { await srv.close(); }
 * ```
 * Listens on 127.0.0.1, port 0 (a free port). `{ hang: true }` never answers (until close()).
 */
import * as http from 'http';
import { AddressInfo } from 'net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  /** Lower-case header names, as node parses them. */
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface Reply {
  /** Default 200. */
  readonly status?: number;
  /** Default empty. */
  readonly body?: string;
  /** Never answer. */
  readonly hang?: boolean;
}

export interface RecordingServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startRecordingServer(reply: (req: RecordedRequest) => Reply = () => ({})): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(rec);
      const r = reply(rec);
      if (r.hang) return;
      res.writeHead(r.status ?? 200, { 'content-type': 'text/plain' });
      res.end(r.body ?? '');
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () => new Promise<void>(resolve => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export { freePort } from '../util/free-port';
