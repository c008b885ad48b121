// The channel's look on every overlay: the name or logo in the bar, the font, the
// corners and each show's colours. Saved changes reach open overlays at once; a
// colour no text can be read on (a mid grey) is flagged before it goes on air.
import { createEffect, createSignal, For, on, Show } from "solid-js";
import { CommandError } from "../lib/landale";
import { readable, type Branding } from "../lib/branding";
import { words } from "../lib/words";
import type { Control } from "./control";
import { upload } from "./upload";

const SHOWS = ["variety", "ironmon", "coding"] as const;
/** The built-in colours, for the pickers' starting point. */
const BUILT_IN: Record<string, { accent: string; accent_2: string }> = {
  variety: { accent: "#6644e8", accent_2: "#928add" },
  ironmon: { accent: "#e5484d", accent_2: "#ff9f43" },
  coding: { accent: "#2f9e44", accent_2: "#5be058" },
};

export function BrandingPanel(props: { branding: Branding | null; control: Control; online: boolean }) {
  const [draft, setDraft] = createSignal<Branding | null>(null);
  const [status, setStatus] = createSignal<{ ok: boolean; text: string } | null>(null);
  const [errors, setErrors] = createSignal<Record<string, string[]>>({});
  createEffect(on(() => props.branding, (b) => b && setDraft(structuredClone(b))));
  const set = (f: (b: Branding) => void) =>
    setDraft((d) => {
      if (!d) return d;
      const n = structuredClone(d);
      f(n);
      return n;
    });
  const save = async () => {
    const d = draft();
    if (!d) return;
    setStatus(null);
    try {
      await props.control("stream:queue", "update_branding", {
        changes: { name: d.name, logo: d.logo, font: d.font, corners: d.corners, shows: d.shows },
      });
      setErrors({});
      setStatus({ ok: true, text: "Saved: the overlays changed" });
    } catch (e) {
      if (e instanceof CommandError) setErrors(e.fields);
      setStatus({ ok: false, text: (e as Error).message });
    }
  };
  const attachLogo = async (ev: Event) => {
    const input = ev.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    try {
      const name = await upload(file);
      set((b) => (b.logo = name));
      setStatus({ ok: true, text: `${file.name} uploaded: save to use it` });
    } catch (e) {
      setStatus({ ok: false, text: (e as Error).message });
    }
    input.value = "";
  };
  const off = () => (props.online ? undefined : "The hub is offline: changes wait until it is back");
  return (
    <section class="panel area-look branding-panel" data-testid="branding-panel" aria-label="Look">
      <header>
        <h2>Look</h2>
        <span class="muted">your channel on every overlay</span>
      </header>
      <Show when={draft()} fallback={<p class="muted">Loading…</p>}>
        {(d) => (
          <form class="alerts-form" onSubmit={(e) => (e.preventDefault(), void save())}>
            <div class="row">
              <label>
                Name in the bar
                <input value={d().name} maxLength={24} placeholder="LANDALE" onInput={(e) => set((b) => (b.name = e.currentTarget.value))} data-testid="brand-name" />
              </label>
              <label>
                Font
                <select value={d().font} onChange={(e) => set((b) => (b.font = e.currentTarget.value))} data-testid="brand-font">
                  <option value="inter">Inter</option>
                  <option value="outfit">Outfit</option>
                </select>
              </label>
              <label>
                Corners
                <select value={d().corners} onChange={(e) => set((b) => (b.corners = e.currentTarget.value))} data-testid="brand-corners">
                  <option value="rounded">Rounded</option>
                  <option value="square">Square</option>
                </select>
              </label>
            </div>
            <div class="row">
              <label>
                Logo (instead of the name)
                <input type="file" accept="image/png,image/gif,image/webp,image/jpeg" onChange={(e) => void attachLogo(e)} data-testid="brand-logo-file" />
              </label>
              <Show when={d().logo}>
                <button type="button" onClick={() => set((b) => (b.logo = null))}>
                  Remove logo
                </button>
              </Show>
            </div>
            <For each={SHOWS}>
              {(show) => {
                const colour = (k: "accent" | "accent_2") => d().shows[show]?.[k] ?? BUILT_IN[show][k];
                return (
                  <div class="row">
                    <span class="show-name">{words(show)}</span>
                    <For each={["accent", "accent_2"] as const}>
                      {(k) => (
                        <label>
                          {k === "accent" ? "Colour" : "Second colour"}
                          <input
                            type="color"
                            value={colour(k)}
                            data-testid={`brand-${show}-${k}`}
                            onInput={(e) => set((b) => ((b.shows[show] ??= {})[k] = e.currentTarget.value))}
                          />
                          <Show when={!readable(colour(k))}>
                            <span class="field-error">hard to read text on</span>
                          </Show>
                        </label>
                      )}
                    </For>
                    <Show when={d().shows[show]}>
                      <button type="button" class="small" onClick={() => set((b) => (b.shows[show] = { accent: null, accent_2: null }))}>
                        Built-in colours
                      </button>
                    </Show>
                    <Show when={errors()[`shows.${show}.accent`] ?? errors()[`shows.${show}.accent_2`]}>
                      {(e) => <span class="field-error">{e().join("; ")}</span>}
                    </Show>
                  </div>
                );
              }}
            </For>
            <div class="row buttons">
              <button type="submit" disabled={!props.online} title={off()} data-testid="brand-save">
                Save look
              </button>
            </div>
            <Show when={status()}>
              {(s) => (
                <p class={s().ok ? "muted" : "problem"} data-testid="brand-status">
                  {s().text}
                </p>
              )}
            </Show>
          </form>
        )}
      </Show>
    </section>
  );
}
