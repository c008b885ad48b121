// What the omnibar shows right now, per layer, from the same stream_state the
// overlay gets (and the same distribution code).
import { For } from "solid-js";
import type { StreamState } from "../lib/stream_state";
import { distribute } from "../overlays/omnibar/model";

export function LayersPanel(props: { state: StreamState | null }) {
  const rows = () => {
    const s = props.state;
    if (!s) return [];
    const l = distribute(s);
    const fg = l.foreground;
    const mg = l.midground;
    return [
      ["foreground", fg ? `${fg.data.type ?? fg.type} ${fg.data.user_name ?? ""}` : null, fg ? "on screen" : ""],
      ["midground", mg ? `sub train ×${mg.data.count ?? 1}` : null, mg ? (fg ? "covered" : "on screen") : ""],
      ["background", l.background?.base?.type?.replace(/_/g, " ") ?? (l.background ? "latest events" : null), l.background ? (fg || mg ? "covered" : "on screen") : ""],
    ] as const;
  };
  return (
    <section class="panel" data-testid="layers-panel" aria-label="Layers">
      <header>
        <h2>Omnibar layers</h2>
        <span class="muted" data-testid="current-show">
          show: {props.state?.current_show ?? "–"} · v{props.state?.metadata.state_version ?? 0}
        </span>
      </header>
      <dl class="layers">
        <For each={rows()}>
          {([layer, what, how]) => (
            <div data-testid={`layer-${layer}`} data-empty={String(what === null)}>
              <dt>{layer}</dt>
              <dd>
                {what ?? "(empty)"} <span class="muted">{how}</span>
              </dd>
            </div>
          )}
        </For>
      </dl>
    </section>
  );
}
