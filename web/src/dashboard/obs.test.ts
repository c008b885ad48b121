import { describe, expect, it } from "vitest";
import { applyEvent, emptyStatus, ObsStatus } from "./obs";

const ready = (): ObsStatus => ({
  ...emptyStatus(),
  connected: true,
  connection_state: "ready",
  current_scene: "Main",
  scenes: ["Main", "BRB"],
});

describe("OBS panel reducer", () => {
  it("follows scene changes, and asks again for a scene it does not know", () => {
    const a = applyEvent(ready(), { type: "obs.scene_changed", scene_name: "BRB", previous_scene: "Main" });
    expect(a.next.current_scene).toBe("BRB");
    expect(a.refetch).toBe(false);
    const b = applyEvent(ready(), { type: "obs.scene_changed", scene_name: "New" });
    expect(b.next.current_scene).toBe("New");
    expect(b.refetch).toBe(true);
  });

  it("tracks outputs without touching the input", () => {
    const s = ready();
    const live = applyEvent(s, { type: "obs.stream_started", output_active: true }).next;
    expect(live.streaming.active).toBe(true);
    expect(s.streaming.active).toBe(false);
    const rec = applyEvent(live, { type: "obs.recording_stopped", output_path: "/r/a.mkv" }).next;
    expect(rec.recording).toMatchObject({ active: false, output_path: "/r/a.mkv" });
  });

  it("shows a lost connection with its reason and refetches on reconnect", () => {
    const lost = applyEvent(ready(), { type: "obs.connection_lost", reason: "OBS stopped answering" });
    expect(lost.next).toMatchObject({ connected: false, connection_state: "disconnected", last_error: "OBS stopped answering" });
    expect(lost.refetch).toBe(true);
    expect(applyEvent(lost.next, { type: "obs.connection_established" }).refetch).toBe(true);
  });

  it("keeps stats and refetches only on scene list changes among raw events", () => {
    const st = applyEvent(ready(), { type: "obs.stats_updated", active_fps: 30, cpu_usage: 2 });
    expect(st.next.stats?.active_fps).toBe(30);
    expect(applyEvent(ready(), { type: "obs.websocket_event", event_type: "SceneListChanged" }).refetch).toBe(true);
    expect(applyEvent(ready(), { type: "obs.websocket_event", event_type: "InputVolumeChanged" }).refetch).toBe(false);
  });
});
