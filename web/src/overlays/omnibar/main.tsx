// /overlays/omnibar: one socket, `stream:overlays`, one orchestrator.
import { createEffect, createMemo, createSignal, onCleanup } from "solid-js";
import { render } from "solid-js/web";
import { connect } from "../../lib/landale";
import { Orchestrator } from "../../lib/orchestrator";
import { gsapAnimator } from "../../lib/motion";
import { Pill } from "../../lib/Pill";
import { installDebug } from "../../lib/debug";
import { parseState, type Item, type StreamState } from "../../lib/stream_state";
import { parseAlertSettings, styleOf, type AlertSettings } from "../../lib/alert_settings";
import { preloadMedia, SoundPlayer } from "../../lib/media";
import { parseBranding, type Branding } from "../../lib/branding";
import { applyEmoteIncrement, distribute, dropAlert, OFFLINE_ALERT_MS } from "./model";
import { Omnibar } from "./Omnibar";
import "../overlay.css";
import "./omnibar.css";

function Page() {
  const link = connect("omnibar");
  const orchestrator = new Orchestrator(gsapAnimator());
  const [state, setState] = createSignal<StreamState | null>(null);
  const [show, setShow] = createSignal("variety");
  const [settings, setSettings] = createSignal<AlertSettings | null>(null);
  const [branding, setBranding] = createSignal<Branding | null>(null);
  const preloaded = new Set<string>();
  let sound: SoundPlayer | undefined;
  const layers = createMemo(() => {
    const s = state();
    return s ? distribute(s) : { foreground: null, midground: null, background: null };
  });
  // Counters for the soak test and for people debugging in OBS.
  let states = 0;
  let alertsShown = 0;
  // The ids of the alerts shown, oldest first (the last 2,000): the rehearsal checks
  // that each was shown once.
  const shownIds: string[] = [];

  link.join(
    "stream:overlays",
    {
      stream_state: (p) => {
        const s = parseState(p);
        if (!s) return;
        states++;
        setState(s);
        setShow(s.current_show);
      },
      show_changed: (p) => typeof p?.show === "string" && setShow(p.show),
      // The channel's look (name, logo, font, corners, colours): applied at once.
      branding: (p) => setBranding(parseBranding(p)),
      // The streamer changed an alert's look: applied to the next alert, no reload.
      alert_settings: (p) => {
        const s = parseAlertSettings(p);
        if (!s) return;
        setSettings(s);
        preloadMedia(s, preloaded);
      },
      content_update: (p) => setState((s) => (s ? { ...s, base: applyEmoteIncrement(s.base, p) } : s)),
    },
    { overlay_type: "omnibar" },
  );
  installDebug("omnibar", link, {
    orchestrator,
    state,
    counters: () => ({ states, alertsShown, shownIds: [...shownIds], soundsPlayed: sound?.played ?? 0 }),
  });
  onCleanup(() => {
    orchestrator.dispose();
    sound?.stop();
    link.dispose();
  });

  // Offline, the hub cannot end the alert on screen: it finishes its own time and
  // leaves, instead of staying frozen on air until the page is back.
  let shown: { id: string; at: number } | null = null;
  let leave: ReturnType<typeof setTimeout> | undefined;
  createEffect(() => {
    clearTimeout(leave);
    const fg = layers().foreground;
    if (link.online() !== false || !fg) return;
    const since = shown?.id === fg.id ? performance.now() - shown.at : 0;
    const left = Math.max(0, (fg.duration ?? OFFLINE_ALERT_MS) - since);
    leave = setTimeout(() => setState((s) => (s ? dropAlert(s, fg.id) : s)), left);
  });
  onCleanup(() => clearTimeout(leave));

  const onAlertShown = (a: Item) => {
    alertsShown++;
    if (shownIds.push(a.id) > 2000) shownIds.shift();
    shown = { id: a.id, at: performance.now() };
    const style = styleOf(settings(), a);
    if (style?.sound) sound?.play(style.sound, style.volume);
    else sound?.stop();
  };
  return (
    <div class="canvas">
      <Omnibar layers={layers} settings={settings} branding={branding} show={show} orchestrator={orchestrator} onAlertShown={onAlertShown} />
      <audio data-testid="alert-sound" preload="auto" ref={(el) => (sound = new SoundPlayer(el))} />
      <Pill online={link.online} />
    </div>
  );
}

render(() => <Page />, document.getElementById("root")!);
