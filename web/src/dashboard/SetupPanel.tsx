// First run: a checklist instead of a wall of errors (connect OBS, sign in to Twitch,
// controls from this device, the overlays in OBS with copyable URLs). Shown while a
// step is left, until hidden; the topbar's "Setup" brings it back.
import { createSignal, For, Show } from "solid-js";
import { OVERLAY_PAGES } from "../lib/zones";
import { setupItems, type SetupInput } from "./setup";

const ADDED_KEY = "landale.setup.overlays-added";

/** `code` spans for the backticked parts of an advice line. */
function Advice(props: { text: string }) {
  return (
    <For each={props.text.split("`")}>{(part, i) => (i() % 2 === 1 ? <code>{part}</code> : <>{part}</>)}</For>
  );
}

export function SetupPanel(props: { input: Omit<SetupInput, "overlaysAdded">; onHide: () => void }) {
  const [added, setAdded] = createSignal(localStorage.getItem(ADDED_KEY) === "1");
  const [copied, setCopied] = createSignal<string | null>(null);
  const items = () => setupItems({ ...props.input, overlaysAdded: added() });
  const copy = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(url);
    } catch {
      setCopied(null); // no clipboard (plain http on another machine): the URL is selectable
    }
  };
  return (
    <section class="panel setup-panel" data-testid="setup-panel" aria-label="Setup">
      <header>
        <h2>Set up Landale</h2>
        <span class="muted">
          {items().filter((i) => i.done).length} of {items().length} done
        </span>
        <button class="small" onClick={props.onHide} data-testid="setup-hide">
          Hide
        </button>
      </header>
      <ol class="setup-list">
        <For each={items()}>
          {(item) => (
            <li data-testid={`setup-${item.key}`} data-done={String(item.done)}>
              <span class={`tag ${item.done ? "done" : "todo"}`}>{item.done ? "done" : "to do"}</span>
              <b>{item.title}</b>
              <p class="muted">
                <Advice text={item.advice} />
              </p>
              <Show when={item.key === "overlays"}>
                <table class="overlay-urls">
                  <tbody>
                    <For each={OVERLAY_PAGES}>
                      {(o) => {
                        const url = `${location.origin}/overlays/${o.name}`;
                        return (
                          <tr>
                            <td>{o.label}</td>
                            <td>
                              <code class="url">{url}</code>
                            </td>
                            <td class="muted">1920×1080</td>
                            <td>
                              <button class="small" onClick={() => void copy(url)}>
                                {copied() === url ? "Copied" : "Copy"}
                              </button>
                            </td>
                          </tr>
                        );
                      }}
                    </For>
                  </tbody>
                </table>
                <label class="check">
                  <input
                    type="checkbox"
                    checked={added()}
                    onChange={(e) => {
                      setAdded(e.currentTarget.checked);
                      localStorage.setItem(ADDED_KEY, e.currentTarget.checked ? "1" : "0");
                    }}
                  />
                  I added them
                </label>
              </Show>
            </li>
          )}
        </For>
      </ol>
    </section>
  );
}
