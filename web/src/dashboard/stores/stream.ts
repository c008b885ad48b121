// `stream:overlays` and `stream:queue`: what the overlays show (stream_state), the
// takeover on screen, the alert queue and the alert settings.
import { createSignal } from "solid-js";
import type { Link } from "../../lib/landale";
import { parseState, type StreamState } from "../../lib/stream_state";
import { parseAlertSettings, type AlertSettings } from "../../lib/alert_settings";
import { parseBranding, type Branding } from "../../lib/branding";
import type { QueueState } from "../QueuePanel";

/** The takeover on screen, as the dashboard shows it. */
export interface ActiveTakeover {
  type: string;
  message: string;
  duration: number;
  at: number;
}

export function createStreamStore(link: Link) {
  const [stream, setStream] = createSignal<StreamState | null>(null);
  const [queue, setQueue] = createSignal<QueueState | null>(null);
  const [takeover, setTakeover] = createSignal<ActiveTakeover | null>(null);
  const [alertSettings, setAlertSettings] = createSignal<AlertSettings | null>(null);
  const [branding, setBranding] = createSignal<Branding | null>(null);
  link.join(
    "stream:overlays",
    {
      stream_state: (p) => {
        const s = parseState(p);
        if (s) setStream(s);
      },
      takeover: (p) =>
        setTakeover({
          type: String(p?.type ?? "custom"),
          message: String(p?.message ?? ""),
          // ms left as the hub said (0: until cleared), from when it said it.
          duration: typeof p?.duration === "number" && p.duration > 0 ? p.duration : 0,
          at: performance.now(),
        }),
      takeover_clear: () => setTakeover(null),
      branding: (p) => setBranding(parseBranding(p)),
      alert_settings: (p) => {
        const a = parseAlertSettings(p);
        if (a) setAlertSettings(a);
      },
    },
    { overlay_type: "dashboard" },
    // A page that missed a takeover_clear while away takes its cover down on rejoin.
    (reply) => reply && "takeover" in reply && reply.takeover === null && setTakeover(null),
  );
  link.join("stream:queue", { queue_state: (p) => p && Array.isArray(p.queue) && setQueue(p as QueueState) });
  return { stream, queue, takeover, alertSettings, branding };
}
