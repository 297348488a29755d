import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ArtifactServer {
  /** http://127.0.0.1:<port>/<name> */
  url(name: string): string;
  /** How many GET requests each name received. */
  readonly downloads: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server holding artifacts in memory, so that the kit
 * exercises a plugin's http:// artifact download the way a signed URL would.
 * The query string is ignored (it stands in for a signature).
 */
export async function startArtifactServer(files: Readonly<Record<string, Buffer>>): Promise<ArtifactServer> {
  const downloads = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname.slice(1));
    const body = Object.hasOwn(files, name) ? files[name] : undefined;
    if (!body || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(body ? 405 : 404, { 'content-type': 'text/plain' }).end(body ? 'method not allowed' : 'not found');
      return;
    }
    if (req.method === 'GET') downloads.set(name, (downloads.get(name) ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: (name) => `http://127.0.0.1:${port}/${encodeURIComponent(name)}?signature=conformance`,
    downloads,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
