// Alerts, made the streamer's own: for each kind (follows, subs, cheers, …) whether it
// goes on air, its words (templates with {user}, {amount} …), a minimum, how long it
// stays, its colour, an image or video and a sound, with a live preview at broadcast
// size (the overlay's own card, drawn from the unsaved form) and a test button that
// sends one through the real pipeline and queue. Saved settings reach open overlays
// at once.
import { createEffect, createMemo, createSignal, For, on, onCleanup, Show } from "solid-js";
import { CommandError } from "../lib/landale";
import { upload } from "./upload";
import {
  AMOUNT_LABELS,
  sampleItem,
  STYLE_LABELS,
  type AlertSettings,
  type AlertStyle,
} from "../lib/alert_settings";
import { ZONES } from "../lib/zones";
import { brandingVars, type Branding } from "../lib/branding";
import { AlertCard, SubTrain } from "../overlays/omnibar/Omnibar";
import "../overlays/omnibar/omnibar.css";
import type { Control } from "./control";

const FIELDS = ["enabled", "kicker", "title", "detail", "min_amount", "duration_ms", "accent", "variant", "image", "sound", "volume"] as const;

export function AlertsPanel(props: {
  settings: AlertSettings | null;
  branding: Branding | null;
  control: Control;
  online: boolean;
  show: string;
}) {
  const [selected, setSelected] = createSignal("follow");
  const [draft, setDraft] = createSignal<AlertStyle | null>(null);
  const [errors, setErrors] = createSignal<Record<string, string[]>>({});
  const [status, setStatus] = createSignal<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [sample, setSample] = createSignal({ user: "TestViewer", amount: 100, message: "Great stream!" });

  const saved = () => props.settings?.types[selected()] ?? null;
  const dirty = createMemo(() => {
    const d = draft();
    const s = saved();
    return !!d && !!s && FIELDS.some((f) => d[f] !== s[f]);
  });
  // Another type chosen: its saved settings. Settings pushed (saved here or elsewhere)
  // while the form is untouched: the new ones.
  const [touched, setTouched] = createSignal(false);
  const load = () => {
    setDraft(saved() ? { ...saved()! } : null);
    setTouched(false);
    setErrors({});
  };
  createEffect(on(selected, load));
  createEffect(on(saved, () => (draft() === null || !touched()) && load(), { defer: true }));
  const set = <K extends keyof AlertStyle>(k: K, v: AlertStyle[K]) => {
    setTouched(true);
    setDraft((d) => (d ? { ...d, [k]: v } : d));
  };

  const run = async (what: () => Promise<string>) => {
    setBusy(true);
    setStatus(null);
    try {
      setStatus({ ok: true, text: await what() });
    } catch (e) {
      if (e instanceof CommandError) setErrors(e.fields);
      setStatus({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const save = () =>
    run(async () => {
      const d = draft()!;
      const s = saved()!;
      const changes = Object.fromEntries(FIELDS.filter((f) => d[f] !== s[f]).map((f) => [f, d[f]]));
      await props.control("stream:queue", "update_alert_settings", { type: selected(), changes });
      setErrors({});
      setTouched(false); // the pushed settings load into the form
      return "Saved: overlays use it from the next alert";
    });
  const reset = () =>
    run(async () => {
      await props.control("stream:queue", "update_alert_settings", { type: selected(), reset: true });
      setTouched(false);
      return "Back to the defaults";
    });
  const test = () =>
    run(async () => {
      const s = sample();
      await props.control("stream:queue", "test_alert", { type: selected(), user: s.user, amount: s.amount, message: s.message });
      return dirty() ? "Test sent (with the saved settings: save to test your changes)" : "Test sent: it joins the queue like a real one";
    });
  const attach = (field: "image" | "sound") => (ev: Event) => {
    const input = ev.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    void run(async () => {
      const name = await upload(file);
      set(field, name);
      input.value = "";
      return `${file.name} uploaded: save to use it`;
    });
  };

  const item = () => sampleItem(selected(), sample());
  const midground = () => item().layer === "midground";
  const zone = () => (midground() ? ZONES.train : ZONES.alert);
  // The preview is drawn at broadcast size and scaled down only to fit the panel.
  let stage: HTMLDivElement | undefined;
  const [scale, setScale] = createSignal(1);
  const fit = () => stage && setScale(Math.min(1, stage.clientWidth / zone().w));
  /** The stage exists once the settings have loaded: watch its width from then on. */
  const watchStage = (el: HTMLDivElement) => {
    stage = el;
    const ro = new ResizeObserver(fit);
    ro.observe(el);
    onCleanup(() => ro.disconnect());
  };
  createEffect(on(zone, fit));

  const error = (f: string) => (
    <Show when={errors()[f]}>
      <span class="field-error" data-testid={`alert-error-${f}`}>
        {errors()[f].join("; ")}
      </span>
    </Show>
  );
  const offline = () => (props.online ? undefined : "The hub is offline: changes wait until it is back");

  return (
    <section class="panel area-alerts alerts-panel" data-testid="alerts-panel" aria-label="Alerts">
      <header>
        <h2>Alerts</h2>
        <span class="muted">what viewers see for each kind of alert</span>
      </header>
      <div class="alert-tabs" role="tablist">
        <For each={props.settings?.styles ?? []}>
          {(key) => (
            <button
              role="tab"
              classList={{ active: selected() === key, off: props.settings?.types[key]?.enabled === false }}
              aria-selected={selected() === key}
              data-testid={`alert-tab-${key}`}
              onClick={() => setSelected(key)}
            >
              {STYLE_LABELS[key] ?? key}
            </button>
          )}
        </For>
      </div>
      <Show when={draft()} fallback={<p class="muted">Loading the alert settings…</p>}>
        {(d) => (
          <div class="alerts-body">
            <form class="alerts-form" onSubmit={(e) => (e.preventDefault(), void save())}>
              <label class="check">
                <input type="checkbox" checked={d().enabled} onChange={(e) => set("enabled", e.currentTarget.checked)} data-testid="alert-enabled" />
                On air
              </label>
              <label>
                Small line
                <input value={d().kicker} onInput={(e) => set("kicker", e.currentTarget.value)} data-testid="alert-kicker" />
                {error("kicker")}
              </label>
              <label>
                Name line
                <input value={d().title} onInput={(e) => set("title", e.currentTarget.value)} data-testid="alert-title-input" />
                {error("title")}
              </label>
              <label>
                Detail line
                <input value={d().detail} onInput={(e) => set("detail", e.currentTarget.value)} data-testid="alert-detail-input" />
                {error("detail")}
              </label>
              <p class="muted hint">
                Words in braces are filled in: <For each={props.settings?.variables ?? []}>{(v) => <code>{`{${v}}`}</code>}</For>
              </p>
              <div class="row">
                <Show when={AMOUNT_LABELS[selected()]}>
                  <label>
                    Only from ({AMOUNT_LABELS[selected()]})
                    <input type="number" min="0" value={d().min_amount} onInput={(e) => set("min_amount", Number(e.currentTarget.value))} data-testid="alert-min" />
                    {error("min_amount")}
                  </label>
                </Show>
                <label>
                  Seconds on screen
                  <input
                    type="number"
                    min="1"
                    max="60"
                    value={d().duration_ms / 1000}
                    onInput={(e) => set("duration_ms", Math.round(Number(e.currentTarget.value) * 1000))}
                    data-testid="alert-seconds"
                  />
                  {error("duration_ms")}
                </label>
                <label>
                  Look
                  <select value={d().variant} onChange={(e) => set("variant", e.currentTarget.value)} data-testid="alert-variant">
                    <For each={props.settings?.variants ?? ["card"]}>{(v) => <option value={v}>{v}</option>}</For>
                  </select>
                </label>
              </div>
              <div class="row">
                <label>
                  Colour
                  <input type="color" value={d().accent ?? "#6644e8"} onInput={(e) => set("accent", e.currentTarget.value)} data-testid="alert-accent" />
                </label>
                <Show when={d().accent}>
                  <button type="button" onClick={() => set("accent", null)}>
                    Use the show's colour
                  </button>
                </Show>
              </div>
              <div class="row">
                <label>
                  Image or video
                  <input type="file" accept="image/png,image/gif,image/webp,image/jpeg,video/webm" onChange={attach("image")} data-testid="alert-image-file" disabled={busy()} />
                  {error("image")}
                </label>
                <Show when={d().image}>
                  <span class="muted">{d().image}</span>
                  <button type="button" onClick={() => set("image", null)}>
                    Remove
                  </button>
                </Show>
              </div>
              <div class="row">
                <label>
                  Sound
                  <input type="file" accept="audio/mpeg,audio/ogg,audio/wav" onChange={attach("sound")} data-testid="alert-sound-file" disabled={busy()} />
                  {error("sound")}
                </label>
                <Show when={d().sound}>
                  <label>
                    Volume
                    <input type="range" min="0" max="1" step="0.05" value={d().volume} onInput={(e) => set("volume", Number(e.currentTarget.value))} data-testid="alert-volume" />
                  </label>
                  <button type="button" onClick={() => set("sound", null)}>
                    Remove
                  </button>
                </Show>
              </div>
              <div class="row buttons">
                <button type="submit" disabled={busy() || !dirty() || !props.online} title={offline()} data-testid="alert-save">
                  Save changes
                </button>
                <button type="button" disabled={busy() || !props.online} title={offline()} onClick={() => void reset()}>
                  Reset to defaults
                </button>
                <button type="button" disabled={busy() || !props.online} title={offline()} onClick={() => void test()} data-testid="alert-test">
                  Send a test alert
                </button>
              </div>
              <Show when={status()}>
                {(s) => (
                  <p class={s().ok ? "muted" : "problem"} data-testid="alert-status">
                    {s().text}
                  </p>
                )}
              </Show>
            </form>
            <div class="alerts-preview">
              <div class="row">
                <label>
                  Test name
                  <input value={sample().user} maxLength={25} onInput={(e) => setSample((s) => ({ ...s, user: e.currentTarget.value }))} data-testid="alert-sample-user" />
                </label>
                <label>
                  Amount
                  <input type="number" min="1" value={sample().amount} onInput={(e) => setSample((s) => ({ ...s, amount: Math.max(1, Number(e.currentTarget.value) || 1) }))} />
                </label>
                <label>
                  Message
                  <input value={sample().message} onInput={(e) => setSample((s) => ({ ...s, message: e.currentTarget.value }))} />
                </label>
              </div>
              <div
                class="preview-stage"
                ref={watchStage}
                style={{ height: `${zone().h * scale()}px`, ...brandingVars(props.branding, props.show) }}
                data-show={props.show}
              >
                <div
                  class="preview-card"
                  data-testid="alert-preview"
                  style={{ width: `${zone().w}px`, height: `${zone().h}px`, transform: `scale(${scale()})` }}
                >
                  <Show
                    when={midground()}
                    fallback={<AlertCard item={item()} style={d()} />}
                  >
                    <SubTrain item={item()} style={d()} />
                  </Show>
                </div>
              </div>
              <p class="muted hint">Drawn at broadcast size ({zone().w}×{zone().h} on the 1920×1080 canvas), with your unsaved changes.</p>
            </div>
          </div>
        )}
      </Show>
    </section>
  );
}
