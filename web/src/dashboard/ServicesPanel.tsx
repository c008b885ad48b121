// Services (`dashboard:services`): health from `telemetry_update`, and start, stop,
// restart of phononmaser and seed through nurvus (answered by `command_result`).
import { createSignal, For, Show } from "solid-js";
import type { Control } from "./control";

export interface Telemetry {
  services?: Record<string, { connected?: boolean; error?: string | null; status?: string }>;
  system?: { status?: string; version?: string; uptime?: number };
}

const CONTROLLED = ["phononmaser", "seed"];

export function ServicesPanel(props: { telemetry: Telemetry | null; result: string | null; control: Control }) {
  const [error, setError] = createSignal<string | null>(null);
  const run = (event: string, service: string) => {
    setError(null);
    props.control("dashboard:services", event, { service }).catch((e) => setError(e.message));
  };
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
                  <button class="small" onClick={() => run("start", name)}>Start</button>
                  <button class="small" onClick={() => run("stop", name)}>Stop</button>
                  <button class="small" onClick={() => run("restart", name)}>Restart</button>
                </span>
              </Show>
            </li>
          )}
        </For>
      </ul>
      <Show when={error() ?? props.result}>
        <p class={error() ? "problem" : "muted"} data-testid="services-result">
          {error() ?? props.result}
        </p>
      </Show>
    </section>
  );
}
