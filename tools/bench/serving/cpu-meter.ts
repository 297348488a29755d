// CPU time of processes and of the whole machine over an interval, from /proc (Linux only; elsewhere
// every figure reads 0 and the benchmark still runs).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of a process (all its threads), in clock ticks; undefined when it cannot be read. */
export function processTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields after the last ')' start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Busy and total clock ticks of all CPUs (first line of /proc/stat). */
export function machineTicks(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq! + (steal ?? 0);
    return { busy, total: busy + idle! + iowait! };
  } catch {
    return { busy: 0, total: 0 };
  }
}

export interface CpuUse {
  readonly seconds: number;
  readonly machineCpus: number;
  /** Cores the whole machine kept busy, on average. */
  readonly busyCores: number;
  /** Cores each group of processes used, on average. */
  readonly groups: Record<string, number>;
  /** Busy cores not explained by the groups (other processes on the machine). */
  readonly otherCores: number;
}

/** Seconds since boot (/proc/uptime), to tell whether a process started after a point in time. */
function uptimeSeconds(): number {
  try {
    return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

/** When a process started, in seconds since boot (field 22 of /proc/<pid>/stat); undefined when unreadable. */
function processStartSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) / clockTicks();
  } catch {
    return undefined;
  }
}

/**
 * Starts measuring; the returned function stops and reports. Processes that exit meanwhile count for
 * what was read. `stop` may name processes found only at the end (a connection pool replaced a
 * backend): those that started during the interval count in full, older ones not at all.
 */
export function startCpuMeter(groups: Record<string, readonly number[]>): (found?: Record<string, readonly number[]>) => CpuUse {
  const started = performance.now();
  const startedUptime = uptimeSeconds();
  const machine0 = machineTicks();
  const before = new Map<number, number>();
  for (const pids of Object.values(groups)) for (const pid of pids) before.set(pid, processTicks(pid) ?? 0);
  return (found = {}) => {
    const seconds = (performance.now() - started) / 1000;
    const machine1 = machineTicks();
    const hz = clockTicks();
    const usage: Record<string, number> = {};
    let explained = 0;
    for (const group of new Set([...Object.keys(groups), ...Object.keys(found)])) {
      let ticks = 0;
      for (const pid of new Set([...(groups[group] ?? []), ...(found[group] ?? [])])) {
        const now = processTicks(pid);
        if (now === undefined) continue;
        const base = before.get(pid) ?? ((processStartSeconds(pid) ?? 0) >= startedUptime - 0.05 ? 0 : now);
        ticks += now - base;
      }
      usage[group] = ticks / hz / seconds;
      explained += usage[group];
    }
    const machineCpus = cpus().length;
    const totalTicks = machine1.total - machine0.total;
    const busyCores = totalTicks > 0 ? ((machine1.busy - machine0.busy) / totalTicks) * machineCpus : 0;
    return { seconds, machineCpus, busyCores, groups: usage, otherCores: Math.max(0, busyCores - explained) };
  };
}
