// `window.debug` (any `?debug=` parameter): socket controls, layer controls, the last
// state, page counters and a frame-time recorder. Used by people in OBS's "Interact"
// window and by the browser tests.
import type { Link } from "./landale";
import type { Orchestrator, Layer } from "./orchestrator";
import { liveTweens } from "./motion";
import { debugMode } from "./Pill";

export interface PageDebug {
  orchestrator?: Orchestrator;
  state?: () => unknown;
  counters?: () => Record<string, number | string[]>;
}

/** At most 10 minutes of frames at 60 fps: a forgotten start() cannot grow forever. */
const MAX_FRAMES = 36_000;

/** Frame deltas from requestAnimationFrame, in ms. */
function frameRecorder() {
  let deltas: number[] = [];
  let last = 0;
  let raf = 0;
  const tick = (t: number) => {
    if (last) deltas.push(t - last);
    last = t;
    raf = deltas.length < MAX_FRAMES ? requestAnimationFrame(tick) : 0;
  };
  return {
    start() {
      cancelAnimationFrame(raf);
      deltas = [];
      last = 0;
      raf = requestAnimationFrame(tick);
    },
    stop(): number[] {
      cancelAnimationFrame(raf);
      raf = 0;
      return deltas;
    },
  };
}

export function installDebug(name: string, link: Link, page: PageDebug) {
  if (debugMode() === null) return;
  const frames = frameRecorder();
  const api = {
    page: name,
    socket: {
      state: () => link.socket.connectionState(),
      connected: () => link.socket.isConnected(),
      disconnect: () => link.socket.disconnect(),
      connect: () => link.socket.connect(),
      /** Drop the connection as a network failure would: Phoenix reconnects on its own. */
      drop: () => (link.socket as any).conn?.close(4000, "debug drop"),
      lastSeq: (topic: string) => link.lastSeq(topic),
    },
    layers: {
      state: () => page.orchestrator && Object.fromEntries(
        (["foreground", "midground", "background"] as Layer[]).map((l) => [l, page.orchestrator!.state(l)]),
      ),
      show: (l: Layer) => page.orchestrator?.show(l),
      hide: (l: Layer) => page.orchestrator?.hide(l),
    },
    state: () => page.state?.(),
    counters: () => ({
      ...(page.counters?.() ?? {}),
      tweens: liveTweens(),
      animations: page.orchestrator?.runningCount() ?? 0,
      domNodes: document.getElementsByTagName("*").length,
    }),
    frames,
    help() {
      console.log(
        "debug.socket.{state,connected,disconnect,connect,drop,lastSeq}, debug.layers.{state,show,hide}, " +
          "debug.state(), debug.counters(), debug.frames.{start,stop}",
      );
    },
  };
  (window as unknown as { debug: typeof api }).debug = api;
  console.info(`[landale] ${name}: debug tools ready, call debug.help()`);
}
