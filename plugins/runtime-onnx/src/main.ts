// The runtime-onnx plugin executable. Launched by the Modelport plugin host it serves on the unix
// socket the host names; with MODELPORT_PLUGIN_LISTEN set it serves on TCP and registers with the
// core (remote mode). MODELPORT_ONNX_* variables set the session defaults (see README.md).
import { formatHandshakeError, HANDSHAKE_ENV, servePlugin } from '@modelport/plugin-sdk';
import { OnnxRuntime } from './onnx-runtime';
import { sessionDefaultsFromEnv } from './onnx-settings';

function main(env: NodeJS.ProcessEnv): void {
  let runtime: OnnxRuntime;
  try {
    runtime = new OnnxRuntime({ defaults: sessionDefaultsFromEnv(env) });
  } catch (err) {
    const message = `runtime-onnx cannot start: ${(err as Error).message}`;
    // Under the plugin host the answer is the handshake line; elsewhere stderr says why.
    if (env[HANDSHAKE_ENV.socket]) process.stdout.write(`${formatHandshakeError(message)}\n`);
    process.stderr.write(`${message}\n`);
    process.exitCode = 1;
    return;
  }
  // Under the host, servePlugin answers a startup failure with the handshake error line and exits;
  // otherwise it rejects, and the reason goes to stderr. It handles SIGTERM/SIGINT itself.
  servePlugin(runtime).catch((err: Error) => {
    process.stderr.write(`runtime-onnx cannot start: ${err.message}\n`);
    process.exitCode = 1;
  });
}

main(process.env);
