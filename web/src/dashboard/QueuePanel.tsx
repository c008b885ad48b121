// The alert queue (`stream:queue`): what is on screen and waiting, with pause,
// skip, remove, clear and replay. Every button waits for the hub's answer. Offline,
// the buttons say why they are off and no stale countdown is shown.
import { createEffect, createMemo, createSignal, For, onCleanup, Show } from "solid-js";
import type { Control } from "./control";
import { words } from "../lib/words";

export interface QueueItem {
  id: string;
  type: string;
  content_type: string;
  priority: number;
  status: string;
  remaining: number;
  data: Record<string, any>;
}

export interface QueueState {
  queue: QueueItem[];
  metadata: { total_items: number; pending_items: number; dropped_items: number; average_wait_time: number; paused: boolean };
  is_paused: boolean;
}

const who = (i: QueueItem) => i.data.user_name ?? i.data.latest_subscriber ?? i.data.message ?? "";

const OFFLINE = "The hub is offline: queue controls come back with it";

export function QueuePanel(props: { state: QueueState | null; control: Control; online: boolean }) {
  const [error, setError] = createSignal<string | null>(null);
  const [replayCount, setReplayCount] = createSignal(1);
  const run = (event: string, payload: object = {}) => {
    setError(null);
    props.control("stream:queue", event, payload).catch((e) => setError(e.message));
  };
  const s = () => (props.online ? props.state : null);
  const off = () => (props.online ? undefined : OFFLINE);
  // The hub sends `remaining` when the queue changes; the item on screen counts down
  // here, ticking only while there is one (an idle dashboard wakes for nothing).
  const [now, setNow] = createSignal(Date.now());
  const counting = createMemo(() => !!props.state?.queue.some((i) => i.status === "active"));
  createEffect(() => {
    if (!counting()) return;
    setNow(Date.now());
    const tick = setInterval(() => setNow(Date.now()), 1000);
    onCleanup(() => clearInterval(tick));
  });
  const receivedAt = createMemo(() => (props.state, Date.now()));
  const left = (i: QueueItem) =>
    i.status === "active" ? Math.max(0, i.remaining - (now() - receivedAt())) : i.remaining;
  return (
    <section class="panel area-queue" data-testid="queue-panel" aria-label="Alert queue">
      <header>
        <h2>Alert queue</h2>
        <span class={`pill ${s()?.is_paused ? "bad" : "ok"}`} data-testid="queue-status">
          {s()?.is_paused ? "paused" : "running"}
        </span>
        <span class="muted">
          {s()?.queue.length ?? 0} queued · {s()?.metadata.dropped_items ?? 0} dropped
        </span>
      </header>
      <div class="row">
        <Show
          when={s()?.is_paused}
          fallback={
            <button onClick={() => run("pause_queue")} disabled={!props.online} title={off()}>
              Pause
            </button>
          }
        >
          <button onClick={() => run("resume_queue")} disabled={!props.online} title={off()}>
            Resume
          </button>
        </Show>
        <button data-testid="queue-skip" onClick={() => run("skip_current")} disabled={!s()?.queue.length} title={off()}>
          Skip current
        </button>
        <button onClick={() => run("clear_queue")} disabled={!s()?.queue.length} title={off()}>
          Clear
        </button>
        <label class="inline">
          Replay last
          <input type="number" min="1" max="20" value={replayCount()} onInput={(e) => setReplayCount(Number(e.currentTarget.value) || 1)} />
        </label>
        <button data-testid="queue-replay" onClick={() => run("replay_alerts", { count: replayCount() })} disabled={!props.online} title={off()}>
          Replay
        </button>
      </div>
      <Show when={error()}>
        <p class="problem">{error()}</p>
      </Show>
      <ol class="list" data-testid="queue-list">
        <For
          each={s()?.queue ?? []}
          fallback={
            <li class="muted" data-testid="queue-empty">
              {props.online ? "Nothing queued" : OFFLINE}
            </li>
          }
        >
          {(i) => (
            <li data-testid="queue-item" data-id={i.id} data-status={i.status}>
              <span class={`tag ${i.status}`}>{i.status === "active" ? "on screen" : i.status}</span>
              <b>{words(i.data.type ?? i.content_type)}</b> {who(i)}
              <span class="muted"> {Math.ceil(left(i) / 1000)} s</span>
              <button class="small" data-testid="queue-remove" onClick={() => run("remove_queue_item", { id: i.id })}>
                Remove
              </button>
            </li>
          )}
        </For>
      </ol>
    </section>
  );
}
