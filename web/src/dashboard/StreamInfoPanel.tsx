// Stream info (title, category, language) through the hub's Twitch commands on
// `stream:overlays`. It loads once the socket is up; until Twitch is connected the hub
// says why (no login, a refused token), and the panel shows it.
import { createEffect, createSignal, For, on, onCleanup, Show } from "solid-js";
import type { Control } from "./control";

interface ChannelInfo {
  title: string;
  game_id: string;
  game_name: string;
  broadcaster_language: string;
}
interface Category {
  id: string;
  name: string;
}

const LANGUAGES = ["en", "es", "fr", "de", "it", "pt", "ru", "ja", "ko", "zh"];

export function StreamInfoPanel(props: { control: Control; online: boolean }) {
  const [info, setInfo] = createSignal<ChannelInfo | null>(null);
  const [title, setTitle] = createSignal("");
  const [category, setCategory] = createSignal<Category | null>(null);
  const [language, setLanguage] = createSignal("en");
  const [query, setQuery] = createSignal("");
  const [results, setResults] = createSignal<Category[]>([]);
  const [status, setStatus] = createSignal<{ ok: boolean; text: string } | null>(null);
  let debounce: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(debounce));

  /** Read the channel from Twitch; true when it worked (otherwise the reason shows). */
  const load = async (): Promise<boolean> => {
    setStatus(null);
    try {
      const i = (await props.control("stream:overlays", "get_channel_info")) as ChannelInfo;
      setInfo(i);
      setTitle(i.title);
      setCategory({ id: i.game_id, name: i.game_name });
      setLanguage(i.broadcaster_language || "en");
      return true;
    } catch (e) {
      setStatus({ ok: false, text: (e as Error).message });
      return false;
    }
  };
  // First load when the socket comes up (and again after an outage, if it failed).
  createEffect(on(() => props.online, (online) => online && !info() && void load()));
  const search = (q: string) => {
    setQuery(q);
    clearTimeout(debounce);
    if (q.trim().length < 2) return setResults([]);
    debounce = setTimeout(async () => {
      try {
        setResults(((await props.control("stream:overlays", "search_categories", { query: q.trim() })) as Category[]) ?? []);
      } catch (e) {
        setStatus({ ok: false, text: (e as Error).message });
      }
    }, 300);
  };
  const save = async () => {
    const t = title().trim();
    if (!t || t.length > 140) return setStatus({ ok: false, text: "The title needs 1 to 140 characters" });
    const before = info();
    const changes: Record<string, string> = {};
    if (t !== before?.title) changes.title = t;
    if (category() && category()!.id !== before?.game_id) changes.game_id = category()!.id;
    if (language() !== before?.broadcaster_language) changes.broadcaster_language = language();
    if (Object.keys(changes).length === 0) return setStatus({ ok: true, text: "No changes to save" });
    try {
      await props.control("stream:overlays", "update_channel_info", changes);
      // Read back what Twitch now has, then say so (a load clears the message).
      if (await load()) setStatus({ ok: true, text: "Saved to Twitch" });
      else setStatus({ ok: false, text: `Saved to Twitch, but reading it back failed: ${status()?.text ?? ""}` });
    } catch (e) {
      setStatus({ ok: false, text: (e as Error).message });
    }
  };

  return (
    <section class="panel area-info" data-testid="stream-info-panel" aria-label="Stream info">
      <header>
        <h2>Stream info</h2>
        <button class="small" onClick={() => void load()} disabled={!props.online}>
          Load from Twitch
        </button>
      </header>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label>
          Title
          <input maxlength="140" value={title()} onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
        <label>
          Category {category() ? <b>{category()!.name}</b> : null}
          <input placeholder="Search categories" value={query()} onInput={(e) => search(e.currentTarget.value)} />
        </label>
        <Show when={results().length}>
          <ul class="list">
            <For each={results()}>
              {(c) => (
                <li>
                  <button type="button" class="small" onClick={() => (setCategory(c), setResults([]), setQuery(""))}>
                    {c.name}
                  </button>
                </li>
              )}
            </For>
          </ul>
        </Show>
        <label>
          Language
          <select value={language()} onChange={(e) => setLanguage(e.currentTarget.value)}>
            <For each={LANGUAGES}>{(l) => <option value={l}>{l}</option>}</For>
          </select>
        </label>
        <button type="submit" disabled={!info()}>
          Save
        </button>
      </form>
      <Show when={status()}>
        <p class={status()!.ok ? "muted" : "problem"} data-testid="stream-info-status">
          {status()!.text}
        </p>
      </Show>
    </section>
  );
}
