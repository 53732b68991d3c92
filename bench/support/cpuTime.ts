/**
 * CPU time spent by each process in the run (user + system, from /proc/<pid>/stat), so the
 * progress lines can say where the cores went during a round: the app, the S3 server, the
 * benchmark itself (the HTTP client, or the in-process pipeline), and everything else on the
 * machine (from /proc/stat: a local PostgreSQL, or anything that would disturb the run).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime; 100 on every Linux the app targets. */
const TICKS_PER_SECOND = 100;

export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Busy CPU seconds of the whole machine since boot (all but idle and iowait). */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / TICKS_PER_SECOND;
}

/** A child of this process by command name (e.g. the MinIO server that startS3Server spawned). */
export function findChildPid(command: string): number | undefined {
  return listProcesses().find((p) => p.name === command && p.ppid === process.pid)?.pid;
}

function listProcesses(): Array<{ pid: number; ppid: number; name: string }> {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      found.push({ pid: Number(entry), ppid: Number(statFields(Number(entry), stat)[1]), name });
    } catch {
      // Gone while we looked.
    }
  }
  return found;
}

/** The fields after the command name: [0] state, [1] ppid, … [11] utime, [12] stime. */
function statFields(pid: number, stat = readFileSync(`/proc/${pid}/stat`, 'utf8')): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds of every process with this command name (e.g. a local PostgreSQL's backends), by pid. */
function cpuByPid(command: string): Map<number, number> {
  const result = new Map<number, number>();
  for (const { pid, name } of listProcesses()) {
    if (name !== command) continue;
    try {
      result.set(pid, cpuSeconds(pid));
    } catch {
      // Exited.
    }
  }
  return result;
}

export interface CpuMeter {
  /** CPU seconds per process since the meter started, and `other`: the rest of the machine. */
  read(): Record<string, number>;
}

/**
 * `pids`: single processes by label; `commands`: all processes with a command name by label
 * (those that start during the measurement count from zero; those that exit are lost).
 */
export function startCpuMeter(
  pids: Record<string, number | undefined>,
  commands: Record<string, string> = {},
): CpuMeter {
  const own = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  };
  const sample = (): Record<string, number> => {
    const result: Record<string, number> = { bench: own() };
    for (const [name, pid] of Object.entries(pids)) {
      if (pid === undefined) continue;
      try {
        result[name] = cpuSeconds(pid);
      } catch {
        result[name] = Number.NaN;
      }
    }
    return result;
  };
  const start = sample();
  const commandStart = Object.entries(commands).map(([label, command]) => ({
    label,
    command,
    before: cpuByPid(command),
  }));
  const machineStart = machineBusySeconds();
  return {
    read() {
      const now = sample();
      const used = Object.fromEntries(Object.entries(now).map(([name, value]) => [name, value - (start[name] ?? 0)]));
      for (const { label, command, before } of commandStart) {
        const after = cpuByPid(command);
        // None running here (e.g. PostgreSQL on another machine): not measured, rather than zero.
        used[label] =
          before.size + after.size === 0
            ? Number.NaN
            : [...after].reduce((total, [pid, seconds]) => total + seconds - (before.get(pid) ?? 0), 0);
      }
      const measured = Object.values(used).reduce((a, b) => a + (Number.isNaN(b) ? 0 : b), 0);
      return { ...used, other: Math.max(0, machineBusySeconds() - machineStart - measured) };
    },
  };
}
