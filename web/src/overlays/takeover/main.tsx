// /overlays/takeover: the top-most full-screen source. `takeover` shows (a new one
// replaces the current), it hides after its duration or on `takeover_clear`.
// The hub also sends `takeover_clear` at expiry; the local timer covers a page that
// missed it. Every timer and tween is cleared on replace and on unload.
import { createSignal, onCleanup, Show } from "solid-js";
import { render } from "solid-js/web";
import gsap from "gsap";
import { connect } from "../../lib/landale";
import { Pill } from "../../lib/Pill";
import { installDebug } from "../../lib/debug";
import { countdown, parseTakeover, takeoverText, type Takeover } from "./model";
import { brandingVars, parseBranding, type Branding } from "../../lib/branding";
import "../overlay.css";
import "./takeover.css";

function Page() {
  const link = connect("takeover");
  const [shown, setShown] = createSignal<Takeover | null>(null);
  const [active, setActive] = createSignal(false);
  let el: HTMLDivElement | undefined;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let tween: gsap.core.Tween | null = null;
  let shows = 0;
  const [branding, setBranding] = createSignal<Branding | null>(null);
  const [show, setShow] = createSignal("variety");
  // The countdown of a takeover with a duration: when it ends, and a 1 s tick.
  const [left, setLeft] = createSignal(0);
  let endsAt = 0;
  let tick: ReturnType<typeof setInterval> | null = null;
  const stopTick = () => {
    if (tick) clearInterval(tick);
    tick = null;
  };

  const stopTimer = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    stopTick();
  };
  const fade = (to: number, done?: () => void) => {
    tween?.kill();
    tween = el ? gsap.to(el, { opacity: to, duration: to ? 0.35 : 0.3, ease: to ? "power2.out" : "power2.in", onComplete: done }) : null;
    if (!el) done?.();
  };
  const hide = () => {
    stopTimer();
    if (!active()) return;
    setActive(false);
    fade(0, () => {
      tween = null;
      if (!active()) setShown(null);
    });
  };
  const showTakeover = (t: Takeover) => {
    stopTimer();
    shows++;
    setShown(t);
    setActive(true);
    queueMicrotask(() => fade(1, () => (tween = null)));
    if (t.duration > 0) {
      timer = setTimeout(hide, t.duration);
      endsAt = performance.now() + t.duration;
      setLeft(t.duration);
      tick = setInterval(() => setLeft(endsAt - performance.now()), 250);
    }
  };

  link.join(
    "stream:overlays",
    {
      takeover: (p) => {
        const t = parseTakeover(p);
        if (t) showTakeover(t);
      },
      takeover_clear: () => hide(),
      branding: (p) => setBranding(parseBranding(p)),
      stream_state: (p) => typeof p?.current_show === "string" && setShow(p.current_show),
    },
    { overlay_type: "takeover" },
    // A rejoin after missing a takeover_clear: the reply says none is up.
    (reply) => reply && "takeover" in reply && reply.takeover === null && hide(),
  );
  installDebug("takeover", link, { state: () => ({ active: active(), takeover: shown() }), counters: () => ({ shows }) });
  onCleanup(() => {
    stopTimer();
    tween?.kill();
    link.dispose();
  });

  return (
    <div class="canvas" data-show={show()} style={brandingVars(branding(), show())}>
      <div class="takeover-root" data-testid="takeover-root" data-active={String(active())} data-type={shown()?.kind ?? ""}>
        <Show when={shown()}>
          {(t) => (
            <div ref={el} class={`takeover takeover-${t().kind}`} data-testid="takeover" data-type={t().kind}>
              <Show when={takeoverText(t()).title}>
                <div class="takeover-title">{takeoverText(t()).title}</div>
              </Show>
              <Show when={takeoverText(t()).line}>
                <div class="takeover-line" data-testid="takeover-line">
                  {takeoverText(t()).line}
                </div>
              </Show>
              <Show when={t().kind !== "screen-cover"}>
                <div class="takeover-bar" />
              </Show>
              <Show when={t().duration > 0 && t().kind !== "screen-cover"}>
                <div class="takeover-countdown" data-testid="takeover-countdown">
                  Back in {countdown(left())}
                </div>
              </Show>
            </div>
          )}
        </Show>
      </div>
      <Pill online={link.online} />
    </div>
  );
}

render(() => <Page />, document.getElementById("root")!);
