// The connection pill, for the streamer checking a page, never for viewers: with
// `?debug` (any value) it shows while the page is offline, with `?debug=true` always.
// On air (no `?debug`) a lost connection shows nothing: the dashboard says so. It
// waits for the socket's first verdict, so it does not flash on every page load.
import { Show, type Accessor } from "solid-js";

export function debugMode(): string | null {
  return new URLSearchParams(location.search).get("debug");
}

export function Pill(props: { online: Accessor<boolean | null> }) {
  const mode = debugMode();
  const forced = mode === "true";
  return (
    <Show when={mode !== null && (forced || props.online() === false)}>
      <div class="landale-pill" data-testid="connection-pill" data-online={String(props.online() === true)}>
        <span class="landale-pill-dot" />
        {props.online() ? "Landale: connected" : "Landale: reconnecting…"}
      </div>
    </Show>
  );
}
