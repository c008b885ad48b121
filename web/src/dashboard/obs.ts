// The OBS panel's state: the hub's status map, kept current by `obs_event` pushes.
import { createStore, reconcile } from "solid-js/store";

export interface Output {
  active: boolean;
  paused?: boolean;
  reconnecting?: boolean;
  state?: string | null;
  timecode?: string;
  output_path?: string;
}

export interface ObsStats {
  active_fps: number | null;
  average_frame_time: number | null;
  cpu_usage: number | null;
  memory_usage: number | null;
  render_total_frames: number | null;
  render_skipped_frames: number | null;
  output_total_frames: number | null;
  output_skipped_frames: number | null;
}

export interface ObsStatus {
  connected: boolean;
  connection_state: string;
  url: string | null;
  obs_version: string | null;
  websocket_version: string | null;
  current_scene: string | null;
  scenes: string[];
  streaming: Output;
  recording: Output;
  stats: ObsStats | null;
  last_error: string | null;
}

export const emptyStatus = (): ObsStatus => ({
  connected: false,
  connection_state: "unknown",
  url: null,
  obs_version: null,
  websocket_version: null,
  current_scene: null,
  scenes: [],
  streaming: { active: false },
  recording: { active: false },
  stats: null,
  last_error: null,
});

/** A hub event as pushed (flat fields). */
export interface HubEvent {
  type: string;
  [field: string]: unknown;
}

/**
 * Fold one `obs_event` into the status. Returns true when the event means the cached
 * status is stale as a whole (connection changes, scene list changes) and should be
 * asked for again.
 */
export function applyEvent(s: ObsStatus, e: HubEvent): { next: ObsStatus; refetch: boolean } {
  const next: ObsStatus = { ...s, streaming: { ...s.streaming }, recording: { ...s.recording } };
  switch (e.type) {
    case "obs.scene_changed":
      next.current_scene = (e.scene_name as string) ?? null;
      return { next, refetch: !s.scenes.includes(e.scene_name as string) };
    case "obs.stream_started":
    case "obs.stream_stopped":
      next.streaming.active = e.type === "obs.stream_started";
      return { next, refetch: false };
    case "obs.recording_started":
    case "obs.recording_stopped":
      next.recording.active = e.type === "obs.recording_started";
      if (typeof e.output_path === "string") next.recording.output_path = e.output_path;
      return { next, refetch: false };
    case "obs.stats_updated":
      next.stats = e as unknown as ObsStats;
      return { next, refetch: false };
    case "obs.connection_lost":
      next.connected = false;
      next.connection_state = "disconnected";
      next.last_error = (e.reason as string) ?? null;
      return { next, refetch: true };
    case "obs.connection_established":
      return { next, refetch: true };
    case "obs.websocket_event": {
      const t = e.event_type as string;
      return { next, refetch: t === "SceneListChanged" || t === "SceneNameChanged" };
    }
    default:
      return { next, refetch: false };
  }
}

export function createObsStore() {
  const [status, setStatus] = createStore<ObsStatus>(emptyStatus());
  return {
    status,
    replace: (s: ObsStatus) => setStatus(reconcile(s)),
  };
}
