// Services (`dashboard:services`): health from `telemetry_update`, and start, stop,
// restart of phononmaser and seed through nurvus (answered by `command_result`).
import { For, Show } from "solid-js";

export interface Telemetry {
  services?: Record<string, { connected?: boolean; error?: string | null; status?: string }>;
  system?: { status?: string; version?: string; uptime?: number };
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
  send: (action: string, service: string) => void;
}) {
  const run = (action: string, service: string) => props.send(action, service);
  const entries = () => Object.entries(props.telemetry?.services ?? {});
  return (
    <section class="panel" data-testid="services-panel" aria-label="Services">
      <header>
        <h2>Services</h2>
        <span class="muted">
          hub {props.telemetry?.system?.status ?? "…"} · v{props.telemetry?.system?.version ?? "?"}
        </span>
      </header>
      <ul class="list">
        <For each={entries()} fallback={<li class="muted">Waiting for telemetry…</li>}>
          {([name, s]) => (
            <li data-testid="service" data-service={name} data-connected={String(!!s.connected)}>
              <span class={`dot ${s.connected ? "ok" : "down"}`} /> <b>{name}</b>{" "}
              <span class="muted">{s.connected ? (s.status ?? "connected") : (s.error ?? "not connected")}</span>
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
      <Show when={props.result}>
        <p class={props.result!.ok ? "muted" : "problem"} data-testid="services-result">
          {props.result!.text}
        </p>
      </Show>
    </section>
  );
}
