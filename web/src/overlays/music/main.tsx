// /overlays/music: what is playing on Rainwave: title, artist, album and art, with a
// progress bar from the song's start and end times. It slides in on a song change
// and slides out when the streamer is not tuned in (or Rainwave is off).
import { createEffect, createSignal, onCleanup, Show } from "solid-js";
import { render } from "solid-js/web";
import gsap from "gsap";
import { connect } from "../../lib/landale";
import { Pill } from "../../lib/Pill";
import { installDebug } from "../../lib/debug";
import { zoneStyle } from "../../lib/zones";
import { brandingVars, parseBranding, type Branding } from "../../lib/branding";
import { clock, nowPlaying, progress, type NowPlaying } from "./model";
import "../overlay.css";
import "./music.css";

function Page() {
  const link = connect("music");
  const [song, setSong] = createSignal<NowPlaying | null>(null);
  const [shown, setShown] = createSignal<NowPlaying | null>(null);
  const [now, setNow] = createSignal(Date.now() / 1000);
  const [branding, setBranding] = createSignal<Branding | null>(null);
  let card: HTMLDivElement | undefined;
  let changes = 0;

  link.join("overlay:music", {
    initial_state: (p) => setSong(nowPlaying(p?.data)),
    music_event: (e) => {
      if (e?.type === "rainwave.update" || e?.type === "rainwave.song_changed") setSong(nowPlaying(e));
    },
  });
  link.join("stream:overlays", { branding: (p) => setBranding(parseBranding(p)) }, { overlay_type: "music" });

  // A new song slides the card out and back in with it; no song slides it away.
  createEffect(() => {
    const next = song();
    const current = shown();
    if (next?.id === current?.id) {
      if (next) setShown(next);
      return;
    }
    changes++;
    const enter = () => {
      setShown(next);
      if (next && card) gsap.fromTo(card, { x: 60, opacity: 0 }, { x: 0, opacity: 1, duration: 0.5, ease: "power2.out", overwrite: true });
    };
    if (current && card) gsap.to(card, { x: 60, opacity: 0, duration: 0.3, ease: "power2.in", overwrite: true, onComplete: enter });
    else enter();
  });
  // The bar moves once a second (a CSS transition smooths it): no per-frame work.
  const tick = setInterval(() => setNow(Date.now() / 1000), 1000);
  installDebug("music", link, { state: () => ({ song: song(), shown: shown() }), counters: () => ({ changes }) });
  onCleanup(() => {
    clearInterval(tick);
    link.dispose();
  });

  return (
    <div class="canvas" style={brandingVars(branding(), "variety")}>
      <div class="music-zone" style={zoneStyle("music")}>
        <Show when={shown()}>
          {(s) => (
            <div class="music" ref={card} data-testid="music" data-song={s().id}>
              <Show when={s().art}>
                <img class="music-art" data-testid="music-art" src={s().art!} alt="" />
              </Show>
              <div class="music-text">
                <div class="music-title" data-testid="music-title">{s().title}</div>
                <div class="music-artist" data-testid="music-artist">{s().artist}</div>
                <Show when={s().album}>
                  <div class="music-album">{s().album}</div>
                </Show>
                <div class="music-progress" data-testid="music-progress" data-progress={progress(s(), now()).toFixed(3)}>
                  <div class="music-fill" style={{ width: `${(progress(s(), now()) * 100).toFixed(1)}%` }} />
                </div>
                <Show when={s().start !== null && s().end !== null}>
                  <div class="music-time">
                    {clock(now() - s().start!)} / {clock(s().end! - s().start!)}
                    <Show when={s().station}> · {s().station}</Show>
                  </div>
                </Show>
              </div>
            </div>
          )}
        </Show>
      </div>
      <Pill online={link.online} />
    </div>
  );
}

render(() => <Page />, document.getElementById("root")!);
