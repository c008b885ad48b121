// Takeovers for /overlays/takeover: type, message, duration (0 = until cleared),
// presets that fill the form, send and clear.
import { createEffect, createSignal, For, onCleanup, Show } from "solid-js";
import { countdown, takeoverText } from "../overlays/takeover/model";
import type { ActiveTakeover } from "./stores/stream";
import type { Control } from "./control";
import { words } from "../lib/words";

const TYPES = [
  ["technical-difficulties", "Technical difficulties"],
  ["screen-cover", "Screen cover"],
  ["please-stand-by", "Please stand by"],
  ["custom", "Custom message"],
] as const;

const PRESETS = [
  { label: "BRB: technical difficulties", type: "technical-difficulties", message: "", seconds: 30 },
  { label: "Screen cover", type: "screen-cover", message: "", seconds: 10 },
  { label: "Resuming shortly", type: "please-stand-by", message: "Stream will resume shortly", seconds: 15 },
];

export function TakeoverPanel(props: { control: Control; active: ActiveTakeover | null; online: boolean }) {
  const [type, setType] = createSignal<string>("technical-difficulties");
  const [message, setMessage] = createSignal("");
  const [seconds, setSeconds] = createSignal(10);
  const [busy, setBusy] = createSignal(false);
  const [status, setStatus] = createSignal<{ ok: boolean; text: string } | null>(null);

  const needsText = () => type() === "custom" && !message().trim();
  // The countdown of the takeover on screen (from the hub's duration), ticking only
  // while one counts down: an idle dashboard (a dock, the desktop app) wakes for nothing.
  const [now, setNow] = createSignal(performance.now());
  createEffect(() => {
    const a = props.active;
    if (!a || a.duration <= 0) return;
    setNow(performance.now());
    const tick = setInterval(() => setNow(performance.now()), 500);
    onCleanup(() => clearInterval(tick));
  });
  const left = () => {
    const a = props.active;
    return a && a.duration > 0 ? countdown(a.duration - (now() - a.at)) : null;
  };
  // What viewers will see with the form as it is.
  const preview = () => takeoverText({ id: "preview", kind: type(), message: message().trim(), duration: 0 });
  const off = () => (props.online ? undefined : "The hub is offline: takeovers come back with it");
  const send = async (event: string, payload: object) => {
    setBusy(true);
    setStatus(null);
    try {
      await props.control("stream:overlays", event, payload);
      setStatus({ ok: true, text: event === "takeover" ? `Sent at ${new Date().toLocaleTimeString()}` : "Cleared" });
    } catch (e) {
      setStatus({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel area-takeover" data-testid="takeover-panel" aria-label="Takeover">
      <header>
        <h2>Takeover</h2>
        <Show when={props.active} fallback={<span class="muted">none on screen</span>}>
          <span class="pill bad" data-testid="takeover-active">
            on screen: {words(props.active!.type)}
            <Show when={left()}> · {left()} left</Show>
          </span>
        </Show>
      </header>
      <div class="row">
        <For each={PRESETS}>
          {(p) => (
            <button
              class="small"
              onClick={() => {
                setType(p.type);
                setMessage(p.message);
                setSeconds(p.seconds);
              }}
            >
              {p.label}
            </button>
          )}
        </For>
      </div>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!needsText()) void send("takeover", { type: type(), message: message().trim(), duration: seconds() * 1000 });
        }}
      >
        <label>
          Type
          <select data-testid="takeover-type" value={type()} onChange={(e) => setType(e.currentTarget.value)}>
            <For each={TYPES}>{([v, l]) => <option value={v}>{l}</option>}</For>
          </select>
        </label>
        <label>
          Message
          <input
            data-testid="takeover-message"
            maxlength="200"
            placeholder={type() === "custom" ? "Takeover message (required)" : "Optional message"}
            value={message()}
            onInput={(e) => setMessage(e.currentTarget.value)}
          />
        </label>
        <label>
          Seconds (0 = until cleared)
          <input
            data-testid="takeover-seconds"
            type="number"
            min="0"
            max="86400"
            step="5"
            value={seconds()}
            onInput={(e) => setSeconds(Math.max(0, Number(e.currentTarget.value) || 0))}
          />
        </label>
        <div class="row">
          <button type="submit" data-testid="takeover-send" disabled={busy() || needsText() || !props.online} title={off()}>
            Send takeover
          </button>
          <button type="button" data-testid="takeover-clear" disabled={busy() || !props.online} title={off()} onClick={() => void send("takeover_clear", {})}>
            Clear
          </button>
        </div>
      </form>
      <div class={`takeover-preview takeover-${type()}`} data-testid="takeover-preview" aria-label="Preview">
        <Show when={preview().title}>
          <b>{preview().title}</b>
        </Show>
        <Show when={preview().line}>
          <span>{preview().line}</span>
        </Show>
        <Show when={seconds() > 0 && type() !== "screen-cover"}>
          <small>Back in {countdown(seconds() * 1000)}</small>
        </Show>
      </div>
      <Show when={status()}>
        <p class={status()!.ok ? "muted" : "problem"} data-testid="takeover-status">
          {status()!.text}
        </p>
      </Show>
    </section>
  );
}
