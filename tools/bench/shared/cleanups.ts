/**
 * What a benchmark must undo at the end (servers, databases, temp dirs, connections), newest first: run
 * once, also on Ctrl-C (then the process exits 130 after cleaning up).
 */
export interface Cleanups {
  /** Registers one step; steps run newest first. */
  push(step: () => Promise<void>): void;
  /** Runs every step once; later calls get the same promise. */
  run(): Promise<void>;
  /** Whether Ctrl-C started the clean-up (the SIGINT handler exits the process). */
  readonly interrupted: boolean;
}

export function cleanupsOnExit(what: string): Cleanups {
  const steps: (() => Promise<void>)[] = [];
  let running: Promise<void> | undefined;
  let interrupted = false;
  const run = (): Promise<void> => {
    running ??= (async () => {
      for (const step of steps.reverse()) await step().catch((err: unknown) => process.stderr.write(`cleanup: ${String(err)}\n`));
    })();
    return running;
  };
  process.once('SIGINT', () => {
    interrupted = true;
    process.stderr.write(`interrupted: ${what}\n`);
    void run().finally(() => process.exit(130));
  });
  return {
    push: (step) => steps.push(step),
    run,
    get interrupted() {
      return interrupted;
    },
  };
}
