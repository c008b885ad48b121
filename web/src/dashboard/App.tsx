// The dashboard: one socket, one channel per topic, panels that read shared state.
//   dashboard:main      OBS status and events, Twitch activity
//   stream:overlays     stream_state (layers), takeovers, stream info commands
//   stream:queue        queue_state and the queue controls
//   dashboard:services  telemetry and service start/stop
//   transcription:live  live lines
import { createSignal, onCleanup, Show } from "solid-js";
import { command, CommandError, connect, saveToken } from "../lib/landale";
import { installDebug } from "../lib/debug";
import { parseState, type StreamState } from "../lib/stream_state";
import { applyEvent, createObsStore, HubEvent, ObsStatus } from "./obs";
import { ObsPanel } from "./ObsPanel";
import { QueuePanel, type QueueState } from "./QueuePanel";
import { TakeoverPanel } from "./TakeoverPanel";
import { LayersPanel } from "./LayersPanel";
import { ActivityPanel } from "./ActivityPanel";
import { ServicesPanel, type ServiceResult, type Telemetry } from "./ServicesPanel";
import { TranscriptPanel, type Transcript } from "./TranscriptPanel";
import { StreamInfoPanel } from "./StreamInfoPanel";
import { fromPush, fromRest, merge, type Activity } from "./activity";
import type { Control } from "./control";
import "./dashboard.css";

const TELEMETRY_EVERY_MS = 30_000;

export function App() {
  const link = connect("dashboard");
  const obs = createObsStore();
  const [needToken, setNeedToken] = createSignal(false);
  const [stream, setStream] = createSignal<StreamState | null>(null);
  const [queue, setQueue] = createSignal<QueueState | null>(null);
  const [takeover, setTakeover] = createSignal<{ type: string; message: string } | null>(null);
  const [activity, setActivity] = createSignal<Activity[]>([]);
  const [activityError, setActivityError] = createSignal<string | null>(null);
  const [telemetry, setTelemetry] = createSignal<Telemetry | null>(null);
  const [serviceResult, setServiceResult] = createSignal<ServiceResult | null>(null);
  let lastServiceCommand = "";
  const [lines, setLines] = createSignal<Transcript[]>([]);

  /** Run a control command; an `unauthorized` answer asks for the token once. */
  const control: Control = async (topic, event, payload = {}) => {
    const ch = link.channel(topic);
    if (!ch) throw new Error(`${topic} is not joined`);
    try {
      return await command(ch, event, payload);
    } catch (e) {
      if (e instanceof CommandError && e.code === "unauthorized") setNeedToken(true);
      throw e;
    }
  };

  const refreshObs = async () => {
    try {
      obs.replace((await control("dashboard:main", "obs:get_status")) as ObsStatus);
    } catch (e) {
      console.warn("obs:get_status failed", e);
    }
  };
  const loadActivity = async () => {
    try {
      const r = await fetch("/api/activity/events?limit=50");
      if (!r.ok) throw new Error(`activity: HTTP ${r.status}`);
      const body = await r.json();
      const rows = (body?.data?.events ?? []).map(fromRest).filter(Boolean) as Activity[];
      setActivity((list) => merge(list, rows));
      setActivityError(null);
    } catch (e) {
      setActivityError(`Could not load recent activity: ${(e as Error).message}`);
    }
  };

  link.join(
    "dashboard:main",
    {
      obs_event: (e: HubEvent) => {
        const { next, refetch } = applyEvent(obs.status, e);
        obs.replace(next);
        if (refetch) void refreshObs();
      },
      twitch_event: (e) => {
        // A change in the Twitch connection: fresh health for the services panel now.
        if (e?.type === "twitch.service_status") return refreshTelemetrySoon();
        const a = fromPush(e);
        if (a) setActivity((list) => merge(list, [a]));
      },
    },
    {},
    () => {
      void refreshObs();
      void loadActivity();
    },
  );
  link.join(
    "stream:overlays",
    {
      stream_state: (p) => {
        const s = parseState(p);
        if (s) setStream(s);
      },
      takeover: (p) => setTakeover({ type: String(p?.type ?? "custom"), message: String(p?.message ?? "") }),
      takeover_clear: () => setTakeover(null),
    },
    { overlay_type: "dashboard" },
    (reply) => reply && "takeover" in reply && reply.takeover === null && setTakeover(null),
  );
  link.join("stream:queue", { queue_state: (p) => p && Array.isArray(p.queue) && setQueue(p as QueueState) });
  const services = link.join(
    "dashboard:services",
    {
      telemetry_update: (t) => setTelemetry(t as Telemetry),
      // The answer to start/stop/restart (through nurvus), then fresh health.
      command_result: (r) => {
        setServiceResult(
          r?.success === false
            ? { ok: false, text: `${lastServiceCommand}: ${r?.error?.message ?? "failed"}` }
            : { ok: true, text: `${lastServiceCommand}: done` },
        );
        services.push("get_telemetry", {});
      },
    },
    {},
    () => void services.push("get_telemetry", {}),
  );
  /** Service commands answer with a `command_result` push, not a reply; only a
   * refusal (unauthorized, busy, unknown service) comes back as an error reply. */
  const sendService = (action: string, service: string) => {
    lastServiceCommand = `${action} ${service}`;
    setServiceResult({ ok: true, text: `${lastServiceCommand}: sent` });
    services
      .push(action, { service }, 15_000)
      .receive("error", (r: any) => {
        if (r?.error?.code === "unauthorized") setNeedToken(true);
        setServiceResult({ ok: false, text: `${lastServiceCommand}: ${r?.error?.message ?? "refused"}` });
      });
  };
  // Status changes come in bursts (a reconnect announces several): one fetch each.
  let telemetrySoon: ReturnType<typeof setTimeout> | undefined;
  function refreshTelemetrySoon() {
    if (telemetrySoon) return;
    telemetrySoon = setTimeout(() => {
      telemetrySoon = undefined;
      services.push("get_telemetry", {});
    }, 300);
  }
  const telemetryTimer = setInterval(() => link.socket.isConnected() && services.push("get_telemetry", {}), TELEMETRY_EVERY_MS);
  link.join("transcription:live", {
    new_transcription: (t) => {
      if (typeof t?.text !== "string" || typeof t?.id !== "string") return;
      setLines((ls) => (ls.some((l) => l.id === t.id) ? ls : [{ id: t.id, text: t.text, timestamp: t.timestamp }, ...ls].slice(0, 20)));
    },
  });
  installDebug("dashboard", link, { state: () => ({ stream: stream(), queue: queue() }) });
  onCleanup(() => {
    clearInterval(telemetryTimer);
    link.dispose();
  });

  let tokenInput!: HTMLInputElement;
  return (
    <main class="dashboard">
      <header class="topbar">
        <h1>Landale</h1>
        <span class="muted">show: {stream()?.current_show ?? "…"}</span>
        <Show when={link.online() === false}>
          <span class="pill offline" data-testid="hub-offline">
            hub offline, reconnecting
          </span>
        </Show>
        <Show when={link.online()}>
          <span class="pill ok" data-testid="hub-online">
            live
          </span>
        </Show>
      </header>
      <Show when={needToken()}>
        <form
          class="token-bar"
          onSubmit={(ev) => {
            ev.preventDefault();
            saveToken(tokenInput.value);
            location.reload();
          }}
        >
          <label>
            Controls from this device need the Landale token (<code>landale token</code> prints it):
            <input ref={tokenInput} type="password" autocomplete="off" required />
          </label>
          <button type="submit">Save</button>
        </form>
      </Show>
      <div class="grid">
        <ObsPanel status={obs.status} control={async (e, p) => void (await control("dashboard:main", e, p))} />
        <QueuePanel state={queue()} control={control} />
        <TakeoverPanel control={control} active={takeover()} />
        <LayersPanel state={stream()} />
        <ActivityPanel items={activity()} error={activityError()} />
        <StreamInfoPanel control={control} online={link.online() === true} />
        <ServicesPanel telemetry={telemetry()} result={serviceResult()} send={sendService} />
        <TranscriptPanel lines={lines()} />
      </div>
    </main>
  );
}
