// Container health check for remote mode: exits 0 when the plugin listening on the port of
// MODELPORT_PLUGIN_LISTEN answers grpc.health.v1 Check("") with SERVING, 1 otherwise.
//   node dist/plugins/runtime-onnx/src/health-check.js
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const TIMEOUT_MS = 3000;

/** 127.0.0.1:<port> for a listen address such as 0.0.0.0:9100 or [::]:9100; undefined if there is no port. */
export function probeAddress(listen: string | undefined): string | undefined {
  const port = /:(\d{1,5})$/.exec(listen?.trim() ?? '')?.[1];
  return port === undefined ? undefined : `127.0.0.1:${port}`;
}

/** Resolves true when the plugin at `address` reports SERVING within the timeout. */
export function checkHealth(address: string, timeoutMs = TIMEOUT_MS): Promise<boolean> {
  const Health = grpc.makeGenericClientConstructor(healthService, 'Health');
  const client = new Health(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (value: { service: string }) => healthService.Check.requestSerialize(value),
      (bytes: Buffer) => healthService.Check.responseDeserialize(bytes) as { status?: string | number },
      { service: '' },
      { deadline: Date.now() + timeoutMs },
      (err, response) => {
        client.close();
        resolve(!err && (response?.status === 'SERVING' || response?.status === 1));
      },
    );
  });
}

if (require.main === module) {
  const address = probeAddress(process.env.MODELPORT_PLUGIN_LISTEN);
  if (address === undefined) {
    process.stderr.write('health-check: MODELPORT_PLUGIN_LISTEN (host:port) is not set\n');
    process.exit(1);
  }
  void checkHealth(address).then((ok) => process.exit(ok ? 0 : 1));
}
