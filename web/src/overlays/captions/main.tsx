// /overlays/captions: live captions from `transcription:live`. Rejoins carry
// `last_seq`, so lines spoken while the page was offline still arrive (in order).
import { createSignal, For, onCleanup } from "solid-js";
import { render } from "solid-js/web";
import { connect } from "../../lib/landale";
import { Pill } from "../../lib/Pill";
import { installDebug } from "../../lib/debug";
import { zoneStyle } from "../../lib/zones";
import { brandingVars, parseBranding, type Branding } from "../../lib/branding";
import { addLine, captionOf, FADE_MS, HOLD_MS, PARTIAL_HOLD_MS, partialOf, type Line } from "./model";
import "../overlay.css";
import "./captions.css";

function Page() {
  const link = connect("captions");
  const [lines, setLines] = createSignal<Line[]>([]);
  // Kept apart from the lines so a fading line keeps its element (and its transition).
  const [fading, setFading] = createSignal<ReadonlySet<string>>(new Set());
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  let received = 0;

  const forget = (id: string) => {
    const t = timers.get(id);
    if (t) clearTimeout(t);
    timers.delete(id);
    setFading((f) => {
      if (!f.has(id)) return f;
      const n = new Set(f);
      n.delete(id);
      return n;
    });
  };
  const expire = (id: string) => {
    setFading((f) => new Set(f).add(id));
    timers.set(
      id,
      setTimeout(() => {
        forget(id);
        setLines((ls) => ls.filter((l) => l.id !== id));
      }, FADE_MS),
    );
  };

  // The channel's font and corners (captions have no show colours).
  const [branding, setBranding] = createSignal<Branding | null>(null);
  link.join("stream:overlays", { branding: (p) => setBranding(parseBranding(p)) }, { overlay_type: "captions" });
  const show = (c: Line | null) => {
    if (!c) return;
    received++;
    const before = lines();
    const { lines: next, dropped } = addLine(before, c);
    if (next === before) return;
    dropped.forEach(forget);
    setLines(next);
    forget(c.id);
    timers.set(c.id, setTimeout(() => expire(c.id), c.partial ? PARTIAL_HOLD_MS : HOLD_MS));
  };
  link.join("transcription:live", {
    new_transcription: (p) => show(captionOf(p)),
    partial_transcription: (p) => show(partialOf(p)),
  });
  installDebug("captions", link, { state: lines, counters: () => ({ received, timers: timers.size }) });
  onCleanup(() => {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
    link.dispose();
  });

  return (
    <div class="canvas" style={brandingVars(branding(), "")}>
      <div class="captions" data-testid="captions" style={zoneStyle("captions")}>
        <For each={lines()}>
          {(l, i) => (
            <div
              class={`caption ${l.partial ? "partial" : ""} ${i() < lines().length - 1 ? "older" : ""} ${fading().has(l.id) ? "fading" : ""}`}
              data-testid="caption"
              data-partial={String(!!l.partial)}
              dir="auto"
            >
              {l.text}
            </div>
          )}
        </For>
      </div>
      <Pill online={link.online} />
    </div>
  );
}

render(() => <Page />, document.getElementById("root")!);
