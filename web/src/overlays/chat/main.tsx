// /overlays/chat: the live chat as an OBS browser source. Names in their Twitch
// colours, badges, emotes as images (`/emotes/<id>`), at most `?max=` lines, each
// fading after `?fade=` seconds (0: never); deleted messages and cleared chat vanish at
// once. `?size=` and `?font=` set the type. Rejoins carry `last_seq`.
import { createSignal, For, onCleanup, Show } from "solid-js";
import { render } from "solid-js/web";
import { connect } from "../../lib/landale";
import { Pill } from "../../lib/Pill";
import { installDebug } from "../../lib/debug";
import { zoneStyle } from "../../lib/zones";
import { brandingVars, parseBranding, type Branding } from "../../lib/branding";
import { addLine, applyDelete, lineOf, settingsOf, type ChatLine } from "./model";
import "../overlay.css";
import "./chat.css";

/** The fade-out's own length (CSS). */
const FADE_MS = 600;

function Page() {
  const settings = settingsOf(location.search);
  const link = connect("chat");
  const [lines, setLines] = createSignal<ChatLine[]>([]);
  const [fading, setFading] = createSignal<ReadonlySet<string>>(new Set());
  const [branding, setBranding] = createSignal<Branding | null>(null);
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  let shown = 0;
  let deleted = 0;

  const forget = (id: string) => {
    clearTimeout(timers.get(id));
    timers.delete(id);
  };
  const keep = (next: ChatLine[]) => {
    const ids = new Set(next.map((l) => l.id));
    for (const id of [...timers.keys()]) if (!ids.has(id)) forget(id);
    setFading((f) => new Set([...f].filter((id) => ids.has(id))));
    setLines(next);
  };
  const add = (e: unknown) => {
    const l = lineOf(e);
    if (!l) return;
    const before = lines();
    const next = addLine(before, l, settings.max);
    if (next === before) return;
    shown++;
    keep(next);
    if (settings.fade > 0) {
      timers.set(
        l.id,
        setTimeout(() => {
          setFading((f) => new Set(f).add(l.id));
          timers.set(l.id, setTimeout(() => keep(lines().filter((x) => x.id !== l.id)), FADE_MS));
        }, settings.fade * 1000),
      );
    }
  };
  const remove = (e: any) => {
    const next = applyDelete(lines(), String(e?.type ?? ""), e ?? {});
    if (next.length !== lines().length) deleted += lines().length - next.length;
    keep(next);
  };

  link.join("events:chat", {
    chat_message: add,
    message_delete: remove,
    chat_clear: remove,
    twitch_event: (e) => e?.type === "channel.chat.clear_user_messages" && remove(e),
  });
  link.join("stream:overlays", { branding: (p) => setBranding(parseBranding(p)) }, { overlay_type: "chat" });
  installDebug("chat", link, { state: () => ({ lines: lines().length, settings }), counters: () => ({ shown, deleted }) });
  onCleanup(() => {
    for (const id of [...timers.keys()]) forget(id);
    link.dispose();
  });

  const font = settings.font ? { "font-family": `"${settings.font}", var(--brand-font)` } : {};
  return (
    <div class="canvas" style={brandingVars(branding(), "variety")}>
      <div class="chat-zone" style={{ ...zoneStyle("chat"), "font-size": `${settings.size}px`, ...font }}>
        <ol class="chat" data-testid="chat">
          <For each={lines()}>
            {(l) => (
              <li class="chat-line" classList={{ fading: fading().has(l.id), action: l.action }} data-testid="chat-line" data-id={l.id}>
                <For each={l.badges}>{(b) => <span class={`chat-badge badge-${b.id}`} data-badge={b.id}>{b.label}</span>}</For>
                <span class="chat-name" style={{ color: l.color }} data-testid="chat-name">
                  {l.name}
                </span>
                <Show when={!l.action}>
                  <span class="chat-colon">: </span>
                </Show>
                <span class="chat-text" style={l.action ? { color: l.color } : {}}>
                  <For each={l.pieces}>
                    {(p) =>
                      p.kind === "emote" ? <img class="chat-emote" src={p.src} alt={p.text} title={p.text} data-emote={p.text} /> : <span>{p.text}</span>
                    }
                  </For>
                </span>
              </li>
            )}
          </For>
        </ol>
      </div>
      <Pill online={link.online} />
    </div>
  );
}

render(() => <Page />, document.getElementById("root")!);
