// OBS: connection, scenes, stream and recording controls, and OBS's own figures.
// Every button waits for OBS's real answer; a refusal is shown in OBS's words.
import { createSignal, For, Show } from "solid-js";
import type { ObsStatus } from "./obs";

interface Props {
  status: ObsStatus;
  control: (event: string, payload?: object) => Promise<void>;
}

const fmt = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined ? "–" : n.toFixed(digits);

export function ObsPanel(props: Props) {
  const [busy, setBusy] = createSignal<string | null>(null);
  const [error, setError] = createSignal<string | null>(null);

  const run = async (key: string, event: string, payload: object = {}) => {
    setBusy(key);
    setError(null);
    try {
      await props.control(event, payload);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  };

  const s = () => props.status;
  const stats = () => s().stats;
  return (
    <section class="panel area-obs obs" data-testid="obs-panel" aria-label="OBS">
      <header>
        <h2>OBS</h2>
        <span
          class={`pill ${s().connected ? "ok" : "bad"}`}
          data-testid="obs-connection"
          data-state={s().connection_state}
        >
          {s().connected ? "connected" : s().connection_state.replace("_", " ")}
        </span>
        <Show when={s().obs_version}>
          <span class="muted">
            OBS {s().obs_version} · obs-websocket {s().websocket_version}
          </span>
        </Show>
      </header>

      <Show when={!s().connected && s().last_error}>
        <p class="problem" data-testid="obs-last-error">
          {s().last_error}
        </p>
      </Show>
      <Show when={!s().connected && s().connection_state !== "not_configured"}>
        <button onClick={() => run("reconnect", "obs:reconnect")} disabled={busy() !== null}>
          Reconnect now
        </button>
      </Show>
      <Show when={s().connection_state === "not_configured"}>
        <p class="muted">Set OBS_WEBSOCKET_URL (and OBS_WEBSOCKET_PASSWORD) and restart Landale.</p>
      </Show>

      <Show when={s().connected}>
        <h3>Scenes</h3>
        <div class="scenes" role="group" aria-label="Scenes">
          <For each={s().scenes}>
            {(name) => (
              <button
                class="scene"
                classList={{ current: name === s().current_scene }}
                data-testid="scene-button"
                data-scene={name}
                aria-pressed={name === s().current_scene}
                disabled={busy() !== null}
                onClick={() => run(`scene:${name}`, "obs:set_current_scene", { scene_name: name })}
              >
                {name}
              </button>
            )}
          </For>
        </div>

        <div class="outputs">
          <OutputControl
            testid="obs-stream"
            toggle="stream-toggle"
            active={s().streaming.active}
            on="Live"
            off="Offline"
            dot="live"
            start="Start stream"
            stop="Stop stream"
            disabled={busy() !== null}
            onToggle={() => run("stream", s().streaming.active ? "obs:stop_streaming" : "obs:start_streaming")}
          />
          <OutputControl
            testid="obs-record"
            toggle="record-toggle"
            active={s().recording.active}
            on="Recording"
            off="Not recording"
            dot="rec"
            start="Start recording"
            stop="Stop recording"
            disabled={busy() !== null}
            onToggle={() => run("record", s().recording.active ? "obs:stop_recording" : "obs:start_recording")}
          />
        </div>

        <dl class="stats" data-testid="obs-stats">
          <div>
            <dt>FPS</dt>
            <dd data-testid="obs-fps">{fmt(stats()?.active_fps, 1)}</dd>
          </div>
          <div>
            <dt>Render skipped</dt>
            <dd>
              {fmt(stats()?.render_skipped_frames)} / {fmt(stats()?.render_total_frames)}
            </dd>
          </div>
          <div>
            <dt>Output skipped</dt>
            <dd>
              {fmt(stats()?.output_skipped_frames)} / {fmt(stats()?.output_total_frames)}
            </dd>
          </div>
          <div>
            <dt>CPU</dt>
            <dd>{fmt(stats()?.cpu_usage, 1)} %</dd>
          </div>
          <div>
            <dt>Memory</dt>
            <dd>{fmt(stats()?.memory_usage)} MB</dd>
          </div>
        </dl>
      </Show>

      <Show when={error()}>
        <p class="problem" role="alert" data-testid="obs-error">
          {error()}
        </p>
      </Show>
    </section>
  );
}

/** One output (stream or recording): its state and its start/stop button. */
function OutputControl(p: {
  testid: string;
  toggle: string;
  active: boolean;
  on: string;
  off: string;
  dot: string;
  start: string;
  stop: string;
  disabled: boolean;
  onToggle: () => void;
}) {
  return (
    <div class="output" data-testid={p.testid} data-active={String(p.active)}>
      <span class={`dot ${p.active ? p.dot : ""}`} />
      <span>{p.active ? p.on : p.off}</span>
      <button data-testid={p.toggle} disabled={p.disabled} onClick={() => p.onToggle()}>
        {p.active ? p.stop : p.start}
      </button>
    </div>
  );
}
