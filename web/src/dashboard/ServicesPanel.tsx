// Services (`dashboard:services`): health from `telemetry_update`, and start, stop,
// restart of phononmaser and seed through nurvus (answered by `command_result`).
import { For, Show } from "solid-js";
import { machineLine, processLine, type Fleet } from "./fleet";

/** The Twitch EventSub session, as `/api/health` shows it. */
interface EventSubStatus {
  session_id?: string | null;
  subscription_count?: number;
  subscription_cost?: number;
  failed?: string[];
  refused?: string[];
  last_error?: string | null;
}

/** One line on the EventSub session: what a streamer checks when alerts go quiet. */
function eventsubLine(e: EventSubStatus): string {
  const parts = [
    e.session_id ? `session ${e.session_id.slice(0, 8)}` : "no session",
    `${e.subscription_count ?? 0} subscriptions (cost ${e.subscription_cost ?? 0})`,
  ];
  if (e.failed?.length) parts.push(`${e.failed.length} retrying`);
  if (e.refused?.length) parts.push(`${e.refused.length} refused by Twitch`);
  if (e.last_error) parts.push(`last error: ${e.last_error}`);
  return parts.join(" · ");
}

export interface Telemetry {
  services?: Record<string, { connected?: boolean; error?: string | null; status?: string; detail?: string; eventsub?: EventSubStatus }>;
  system?: { status?: string; version?: string; uptime?: number; cli?: string };
}

const CONTROLLED = ["phononmaser", "seed"];

/** What the last command said: `ok` false for a refusal or a failure. */
export interface ServiceResult {
  ok: boolean;
  text: string;
}

export function ServicesPanel(props: {
  telemetry: Telemetry | null;
  result: ServiceResult | null;
  /** Send start/stop/restart; the answer arrives later as `command_result`. */
  send: (action: string, service: string, machine?: string) => void;
  fleet?: Fleet | null;
  logs?: { key: string; lines: string[]; error?: string } | null;
  showLogs?: (machine: string | null, service?: string) => void;
}) {
  const run = (action: string, service: string) => props.send(action, service);
  const entries = () => Object.entries(props.telemetry?.services ?? {});
  return (
    <section class="panel area-services" data-testid="services-panel" aria-label="Services">
      <header>
        <h2>Services</h2>
        <span class="muted">
          hub {props.telemetry?.system?.status ?? "…"} · Landale {props.telemetry?.system?.version ?? "?"}
        </span>
      </header>
      <ul class="list">
        <For each={entries()} fallback={<li class="muted">Waiting for telemetry…</li>}>
          {([name, s]) => (
            <li data-testid="service" data-service={name} data-connected={String(!!s.connected)}>
              <span class={`dot ${s.connected ? "ok" : "down"}`} /> <b>{name}</b>{" "}
              <span class="muted">{s.connected ? (s.status ?? "connected") : (s.error ?? "not connected")}</span>
              <Show when={s.detail}>
                <small class="muted detail" data-testid="service-detail">
                  {s.detail}
                </small>
              </Show>
              <Show when={s.eventsub && s.status !== "not_configured"}>
                <small class="muted detail" data-testid="eventsub-detail">
                  {eventsubLine(s.eventsub!)}
                </small>
              </Show>
              <Show when={CONTROLLED.includes(name)}>
                <span class="row inline">
                  <For each={["start", "stop", "restart"]}>
                    {(action) => (
                      <button class="small" data-action={action} onClick={() => run(action, name)}>
                        {action[0].toUpperCase() + action.slice(1)}
                      </button>
                    )}
                  </For>
                </span>
              </Show>
            </li>
          )}
        </For>
      </ul>
      <Show when={props.fleet?.machines?.length}>
        <h3>Machines</h3>
        <ul class="list fleet" data-testid="fleet">
          <For each={props.fleet!.machines}>
            {(m) => (
              <li data-testid="machine" data-machine={m.name} data-reachable={String(m.reachable)}>
                <span class={`dot ${m.reachable ? "ok" : "down"}`} /> <b>{m.name}</b>{" "}
                <span class={m.reachable ? "muted" : "problem"} data-testid="machine-line">
                  {machineLine(m)}
                </span>
                <ul class="processes">
                  <For each={m.processes}>
                    {(p) => (
                      <li data-testid="fleet-process" data-process={p.id} data-state={p.state}>
                        <b>{p.id}</b> <span class="muted">{processLine(p)}</span>
                        <span class="row inline">
                          <For each={["start", "stop", "restart"]}>
                            {(action) => (
                              <button class="small" data-action={action} onClick={() => props.send(action, p.id, m.name)}>
                                {action[0].toUpperCase() + action.slice(1)}
                              </button>
                            )}
                          </For>
                          <button
                            class="small"
                            data-action="logs"
                            onClick={() => props.showLogs?.(props.logs?.key === `${m.name}/${p.id}` ? null : m.name, p.id)}
                          >
                            Logs
                          </button>
                        </span>
                        <Show when={props.logs?.key === `${m.name}/${p.id}`}>
                          <pre class="logs" data-testid="fleet-logs">
                            {props.logs!.error ?? (props.logs!.lines.join("\n") || "(no output yet)")}
                          </pre>
                        </Show>
                      </li>
                    )}
                  </For>
                </ul>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={props.result}>
        <p class={props.result!.ok ? "muted" : "problem"} data-testid="services-result">
          {props.result!.text}
        </p>
      </Show>
    </section>
  );
}
