// `dashboard:services`: service health (telemetry, every 30 s and on demand) and
// start/stop/restart through nurvus, whose answer comes as a `command_result` push.
import { createSignal } from "solid-js";
import type { Link } from "../../lib/landale";
import type { ServiceResult, Telemetry } from "../ServicesPanel";
import type { Fleet } from "../fleet";

const TELEMETRY_EVERY_MS = 30_000;

export function createServicesStore(link: Link, onUnauthorized: () => void) {
  const [telemetry, setTelemetry] = createSignal<Telemetry | null>(null);
  const [result, setResult] = createSignal<ServiceResult | null>(null);
  const [fleet, setFleet] = createSignal<Fleet | null>(null);
  const [logs, setLogs] = createSignal<{ key: string; lines: string[]; error?: string } | null>(null);
  let lastCommand = "";
  const channel = link.join(
    "dashboard:services",
    {
      telemetry_update: (t) => setTelemetry(t as Telemetry),
      fleet_update: (f) => setFleet(f as Fleet),
      // The answer to start/stop/restart, then fresh health.
      command_result: (r) => {
        setResult(
          r?.success === false
            ? { ok: false, text: `${lastCommand}: ${r?.error?.message ?? "failed"}` }
            : { ok: true, text: `${lastCommand}: done` },
        );
        channel.push("get_telemetry", {});
      },
    },
    {},
    () => void channel.push("get_telemetry", {}),
  );
  /** Only a refusal (unauthorized, busy, unknown service) comes back as an error reply. */
  const send = (action: string, service: string, machine?: string) => {
    lastCommand = machine ? `${action} ${service} on ${machine}` : `${action} ${service}`;
    setResult({ ok: true, text: `${lastCommand}: sent` });
    channel.push(action, machine ? { service, machine } : { service }, 15_000).receive("error", (r: any) => {
      if (r?.error?.code === "unauthorized") onUnauthorized();
      setResult({ ok: false, text: `${lastCommand}: ${r?.error?.message ?? "refused"}` });
    });
  };
  // Status changes come in bursts (a reconnect announces several): one fetch each.
  let soon: ReturnType<typeof setTimeout> | undefined;
  const refreshSoon = () => {
    if (soon) return;
    soon = setTimeout(() => {
      soon = undefined;
      channel.push("get_telemetry", {});
    }, 300);
  };
  const timer = setInterval(() => link.socket.isConnected() && channel.push("get_telemetry", {}), TELEMETRY_EVERY_MS);
  const dispose = () => {
    clearInterval(timer);
    if (soon) clearTimeout(soon);
  };
  /** A process's last lines (null closes the view). */
  const showLogs = (machine: string | null, service?: string) => {
    if (!machine || !service) return setLogs(null);
    const key = `${machine}/${service}`;
    setLogs({ key, lines: [] });
    channel
      .push("get_logs", { machine, service, lines: 50 }, 10_000)
      .receive("ok", (r: any) => {
        const lines = (r?.data?.lines ?? []).map((l: any) => `${l.stream === "stderr" ? "! " : ""}${l.text}`);
        setLogs({ key, lines });
      })
      .receive("error", (r: any) => setLogs({ key, lines: [], error: r?.error?.message ?? "no logs" }));
  };
  return { telemetry, result, send, refreshSoon, dispose, fleet, logs, showLogs };
}
