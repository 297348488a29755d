import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface S3Server {
  /** Host name for an S3 client's `endPoint` (not a URL). */
  readonly endpoint: string;
  readonly port: number;
  readonly accessKey: string;
  readonly secretKey: string;
  /** Stops the server and removes its data directory. Idempotent. */
  stop(): Promise<void>;
}

interface S3rverOptions {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  vhostBuckets: boolean;
}

interface S3rverInstance {
  httpServer?: Server;
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

// s3rver ships no type declarations; the little used here is typed above.
const S3rver = require('s3rver') as new (options: S3rverOptions) => S3rverInstance;

/** s3rver's built-in credentials. */
const CREDENTIAL = 'S3RVER';

/**
 * An in-process S3 server (s3rver) on 127.0.0.1, on a free port, over a fresh
 * temp directory. Path-style only; no multipart uploads.
 */
export async function startS3Server(): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'modelport-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, vhostBuckets: false });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const closed = server.close();
      server.httpServer?.closeAllConnections();
      await closed;
      await rm(directory, { recursive: true, force: true });
    })();
    return stopping;
  };

  return {
    endpoint: address.address,
    port: address.port,
    accessKey: CREDENTIAL,
    secretKey: CREDENTIAL,
    stop,
  };
}
