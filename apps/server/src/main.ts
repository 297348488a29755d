import 'reflect-metadata';
import { ConfigError, loadConfig } from '@modelport/config';
import { createLogger } from '@modelport/observability';
import { startServer } from './server';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nModelport did not start. Fix the settings above (see the configuration table in the README).\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel });

  // Handlers go in before anything starts, so a signal during start-up (while
  // the embedded PostgreSQL boots, say) still ends in an orderly stop.
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  let requested: string | null = null;
  const stop = (signal: string) => {
    if (requested) return;
    requested = signal;
    logger.info({ signal }, server ? 'shutting down gracefully' : 'shutdown requested during start-up; stopping once started');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    if (server) close(server);
  };
  const close = (running: NonNullable<typeof server>) =>
    running.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  server = await startServer({ config, logger });
  if (requested) await close(server);
}

main().catch((err: unknown) => {
  process.stderr.write(`Modelport failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
