// /overlays/emote-rain: emotes from chat fall across the transparent canvas, more as
// chat speeds up, with at most `?max=` live sprites (default 150) so a spam wave
// cannot drop frames. It pauses (and clears) during a takeover. Nothing runs while
// nothing falls: the animation frame loop stops when the last sprite leaves.
import { onCleanup } from "solid-js";
import { render } from "solid-js/web";
import { connect } from "../../lib/landale";
import { Pill } from "../../lib/Pill";
import { installDebug } from "../../lib/debug";
import { emoteSrcs, HEIGHT, maxOf, Rain, WIDTH } from "./rain";
import "../overlay.css";

/** Emote images kept decoded; beyond this the oldest are forgotten. */
const IMAGES = 200;

function Page() {
  const link = connect("emote-rain");
  const rain = new Rain(maxOf(location.search));
  const images = new Map<string, HTMLImageElement>();
  let canvas!: HTMLCanvasElement;
  let raf = 0;
  let last = 0;
  let paused = false;
  let frames = 0;

  const image = (src: string) => {
    let img = images.get(src);
    if (!img) {
      img = new Image();
      img.src = src;
      images.set(src, img);
      if (images.size > IMAGES) images.delete(images.keys().next().value!);
    }
    return img;
  };
  const draw = (t: number) => {
    raf = 0;
    rain.step(last ? (t - last) / 1000 : 0);
    last = t;
    frames++;
    const ctx = canvas.getContext("2d")!;
    ctx.clearRect(0, 0, WIDTH, HEIGHT);
    for (const s of rain.sprites) {
      const img = image(s.src);
      if (!img.complete || img.naturalWidth === 0) continue;
      ctx.save();
      ctx.translate(s.x + s.size / 2, s.y + s.size / 2);
      ctx.rotate(s.angle);
      ctx.drawImage(img, -s.size / 2, -s.size / 2, s.size, s.size);
      ctx.restore();
    }
    if (rain.sprites.length > 0 && !paused) raf = requestAnimationFrame(draw);
    else last = 0;
  };
  const wake = () => {
    if (!raf && !paused && rain.sprites.length > 0) raf = requestAnimationFrame(draw);
  };
  const pause = (on: boolean) => {
    paused = on;
    if (on) {
      cancelAnimationFrame(raf);
      raf = 0;
      last = 0;
      rain.clear();
      canvas?.getContext("2d")?.clearRect(0, 0, WIDTH, HEIGHT);
    }
  };

  link.join("events:chat", {
    chat_message: (e) => {
      if (paused) return;
      const srcs = emoteSrcs(e);
      if (srcs.length === 0) return;
      srcs.forEach(image);
      rain.message(srcs, performance.now());
      wake();
    },
  });
  link.join(
    "stream:overlays",
    { takeover: () => pause(true), takeover_clear: () => pause(false) },
    { overlay_type: "emote-rain" },
    // A rejoin that missed a takeover_clear learns from the reply that none is up.
    (reply) => pause(reply?.takeover != null),
  );
  installDebug("emote-rain", link, {
    state: () => ({ paused, running: raf !== 0 }),
    counters: () => ({ ...rain.stats, frames, images: images.size }),
  });
  onCleanup(() => {
    cancelAnimationFrame(raf);
    link.dispose();
  });

  return (
    <div class="canvas">
      <canvas ref={canvas} width={WIDTH} height={HEIGHT} data-testid="rain" style={{ position: "absolute", inset: "0" }} />
      <Pill online={link.online} />
    </div>
  );
}

render(() => <Page />, document.getElementById("root")!);
