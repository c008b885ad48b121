// The activity log: `GET /api/activity/events?limit=50` first, then live events,
// de-duplicated, newest first, capped. Reloaded after every reconnect (the REST page
// and the rejoin's replay overlap; the merge keeps one of each).
import { createSignal, For, Show } from "solid-js";
import { describe, type Activity } from "./activity";
import { words } from "../lib/words";

const TYPES = ["all", "channel.chat.message", "channel.follow", "channel.subscribe", "channel.cheer", "channel.raid"];

export function ActivityPanel(props: { items: Activity[]; error: string | null }) {
  const [filter, setFilter] = createSignal("all");
  const shown = () => props.items.filter((a) => filter() === "all" || a.event_type === filter()).slice(0, 50);
  return (
    <section class="panel area-activity" data-testid="activity-panel" aria-label="Activity">
      <header>
        <h2>Activity</h2>
        <select value={filter()} onChange={(e) => setFilter(e.currentTarget.value)} aria-label="filter">
          <For each={TYPES}>{(t) => <option value={t}>{t === "all" ? "Everything" : words(t)}</option>}</For>
        </select>
      </header>
      <Show when={props.error}>
        <p class="problem">{props.error}</p>
      </Show>
      <ol class="list activity" data-testid="activity-list">
        <For each={shown()} fallback={<li class="muted">No events yet</li>}>
          {(a) => (
            <li data-testid="activity-item" data-id={a.id} data-type={a.event_type}>
              <time class="muted">{a.timestamp ? new Date(a.timestamp).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : ""}</time>{" "}
              {describe(a)}
            </li>
          )}
        </For>
      </ol>
    </section>
  );
}
