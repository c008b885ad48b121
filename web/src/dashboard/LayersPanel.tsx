// What the omnibar shows right now, per layer, from the same stream_state the
// overlay gets (and the same distribution code).
import { For } from "solid-js";
import type { StreamState } from "../lib/stream_state";
import { distribute } from "../overlays/omnibar/model";
import { words } from "../lib/words";

export function LayersPanel(props: { state: StreamState | null }) {
  const rows = () => {
    const s = props.state;
    if (!s) return [];
    const l = distribute(s);
    const fg = l.foreground;
    const mg = l.midground;
    return [
      ["foreground", fg ? `${words(fg.data.type ?? fg.type)} ${fg.data.user_name ?? ""}`.trim() : null, fg ? "on screen" : ""],
      ["midground", mg ? `Sub train ×${mg.data.count ?? 1}` : null, mg ? (fg ? "dimmed under the alert" : "on screen") : ""],
      ["background", l.background?.base ? words(l.background.base.type) : l.background ? "Latest events" : null, l.background ? (fg ? "dimmed under the alert" : "on screen") : ""],
    ] as const;
  };
  return (
    <section class="panel area-layers" data-testid="layers-panel" aria-label="Layers">
      <header>
        <h2>Omnibar layers</h2>
        <span class="muted" data-testid="current-show">
          show: {props.state ? words(props.state.current_show) : "–"}
        </span>
      </header>
      <dl class="layers">
        <For each={rows()}>
          {([layer, what, how]) => (
            <div data-testid={`layer-${layer}`} data-empty={String(what === null)}>
              <dt>{words(layer)}</dt>
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
