/* Monitoring benchmark: see README.md beside this file. Each section measures Modelport beside its baseline. */
import { parseArgs } from 'node:util';
import { runDriftBench } from './drift.bench';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    rows: { type: 'string', default: '1000000' },
    features: { type: 'string', default: '30' },
    reps: { type: 'string', default: '3' },
    bins: { type: 'string', default: '10' },
    'builtin-sort-reps': { type: 'string', default: '1' },
  },
});

interface Section {
  readonly name: string;
  readonly run: () => void | Promise<void>;
}

const int = (name: string, min: number): number => {
  const n = Number(args[name as keyof typeof args]);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`usage: monitoring.bench [--only drift] [--rows 1000000] [--features 30] [--reps 3] [--bins 10] [--builtin-sort-reps 1] (--${name} must be an integer >= ${min})\n`);
    process.exit(2);
  }
  return n;
};

/** Sections run in this order; `--only NAME` picks one. Later sections (the 30-day query, ingestion) go here. */
const sections: Section[] = [
  {
    name: 'drift',
    run: () =>
      runDriftBench({
        rows: int('rows', 2),
        features: int('features', 1),
        reps: int('reps', 1),
        bins: int('bins', 2),
        builtinSortReps: int('builtin-sort-reps', 0),
      }),
  },
];

async function main(): Promise<void> {
  const chosen = args.only ? sections.filter((s) => s.name === args.only) : sections;
  if (chosen.length === 0) {
    process.stderr.write(`unknown section "${args.only}"; sections: ${sections.map((s) => s.name).join(', ')}\n`);
    process.exit(2);
  }
  for (const section of chosen) await section.run();
}

main().catch((err: unknown) => {
  process.stderr.write(`monitoring bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
