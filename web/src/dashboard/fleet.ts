// The fleet (`fleet_update` on `dashboard:services`): every machine's nurvus and its
// processes, in the streamer's words. Pure, so it is tested without a browser.

export interface FleetProcess {
  id: string;
  name?: string;
  state?: string;
  health?: string;
  pid?: number | null;
  uptime_seconds?: number | null;
  cpu_percent?: number | null;
  memory_mb?: number | null;
  restarts?: number;
  error?: string | null;
  last_exit?: string | null;
}

export interface Machine {
  name: string;
  url: string;
  reachable: boolean;
  error?: string | null;
  processes: FleetProcess[];
}

export interface Fleet {
  machines: Machine[];
}

/** "running · healthy · 2.1% CPU · 45 MB · 3 restarts" (what is known). */
export function processLine(p: FleetProcess): string {
  const parts = [p.state ?? "unknown"];
  if (p.health && p.health !== "unknown") parts.push(p.health);
  if (typeof p.cpu_percent === "number") parts.push(`${p.cpu_percent.toFixed(1)}% CPU`);
  if (typeof p.memory_mb === "number") parts.push(`${p.memory_mb} MB`);
  if (p.restarts) parts.push(`${p.restarts} restart${p.restarts === 1 ? "" : "s"}`);
  if (p.state === "failed" && p.error) parts.push(p.error);
  else if (p.state === "stopped" && p.last_exit) parts.push(`last ${p.last_exit}`);
  return parts.join(" · ");
}

/** A machine's summary line. */
export function machineLine(m: Machine): string {
  if (!m.reachable) return `unreachable: ${m.error ?? "no answer"}`;
  const running = m.processes.filter((p) => p.state === "running" || p.state === "external").length;
  const failed = m.processes.filter((p) => p.state === "failed").length;
  return `${running} of ${m.processes.length} running${failed ? `, ${failed} failed` : ""}`;
}
