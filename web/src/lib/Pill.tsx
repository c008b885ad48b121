// The connection pill: only while the page is offline, or always with `?debug=true`
// (without the original pages' flash on every page load: the pill waits
// for the socket's first verdict).
import { Show, type Accessor } from "solid-js";

export function debugMode(): string | null {
  return new URLSearchParams(location.search).get("debug");
}

export function Pill(props: { online: Accessor<boolean | null> }) {
  const forced = debugMode() === "true";
  return (
    <Show when={forced || props.online() === false}>
      <div class="landale-pill" data-testid="connection-pill" data-online={String(props.online() === true)}>
        <span class="landale-pill-dot" />
        {props.online() ? "Landale: connected" : "Landale: reconnecting…"}
      </div>
    </Show>
  );
}
