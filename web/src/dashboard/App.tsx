// The dashboard: one socket, one store per domain (stores/), panels that read them.
//   stores/main         dashboard:main: OBS status and events, Twitch activity
//   stores/stream       stream:overlays and stream:queue: stream_state, takeovers, the queue, alert settings
//   stores/services     dashboard:services: telemetry and service start/stop
//   stores/transcripts  transcription:live: live lines
//   stores/context      events:seed and /api/contexts: stream context, questions
import { createSignal, onCleanup, Show } from "solid-js";
import { command, CommandError, connect, savedToken, saveToken } from "../lib/landale";
import { installDebug } from "../lib/debug";
import { ObsPanel } from "./ObsPanel";
import { QueuePanel } from "./QueuePanel";
import { TakeoverPanel } from "./TakeoverPanel";
import { LayersPanel } from "./LayersPanel";
import { ActivityPanel } from "./ActivityPanel";
import { ServicesPanel } from "./ServicesPanel";
import { TranscriptPanel } from "./TranscriptPanel";
import { StreamContextPanel } from "./StreamContextPanel";
import { createContextStore } from "./stores/context";
import { StreamInfoPanel } from "./StreamInfoPanel";
import { AlertsPanel } from "./AlertsPanel";
import { BrandingPanel } from "./BrandingPanel";
import { SetupPanel } from "./SetupPanel";
import { setupItems } from "./setup";
import { createMainStore } from "./stores/main";
import { createServicesStore } from "./stores/services";
import { createStreamStore } from "./stores/stream";
import { createTranscriptStore } from "./stores/transcripts";
import type { Control } from "./control";
import "./dashboard.css";

export function App() {
  const link = connect("dashboard");
  const [needToken, setNeedToken] = createSignal(false);

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

  // One store per domain, each joining its own topics on the page's one socket.
  const services = createServicesStore(link, () => setNeedToken(true));
  const main = createMainStore(link, control, services.refreshSoon);
  const { stream, queue, takeover, alertSettings, branding } = createStreamStore(link);
  const { lines } = createTranscriptStore(link);
  const context = createContextStore(link);
  installDebug("dashboard", link, { state: () => ({ stream: stream(), queue: queue() }) });
  onCleanup(() => {
    services.dispose();
    link.dispose();
  });

  // The first-run checklist: shown while a step is left, unless hidden.
  const HIDE_KEY = "landale.setup.hidden";
  const [setupHidden, setSetupHidden] = createSignal(localStorage.getItem(HIDE_KEY) === "1");
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(location.hostname);
  const setupInput = () => ({
    obs: main.obs.status,
    twitch: (services.telemetry()?.services?.twitch as { connected?: boolean; status?: string; error?: string | null }) ?? null,
    mayControl: !needToken() && (loopback || !!savedToken()),
    cli: services.telemetry()?.system?.cli ?? null,
  });
  const setupLeft = () =>
    setupItems({ ...setupInput(), overlaysAdded: localStorage.getItem("landale.setup.overlays-added") === "1" }).some((i) => !i.done);
  const hideSetup = (hidden: boolean) => {
    setSetupHidden(hidden);
    localStorage.setItem(HIDE_KEY, hidden ? "1" : "0");
  };

  let tokenInput!: HTMLInputElement;
  return (
    <main class="dashboard">
      <header class="topbar">
        <h1>Landale</h1>
        <span class="muted">show: {stream()?.current_show ?? "…"}</span>
        <Show when={setupHidden()}>
          <button class="small" onClick={() => hideSetup(false)} data-testid="setup-show">
            Setup
          </button>
        </Show>
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
            Controls from this device need the Landale token (<code>{setupInput().cli ?? "landale"} token</code> prints it):
            <input ref={tokenInput} type="password" autocomplete="off" required />
          </label>
          <button type="submit">Save</button>
        </form>
      </Show>
      <Show when={!setupHidden() && setupLeft()}>
        <SetupPanel input={setupInput()} onHide={() => hideSetup(true)} />
      </Show>
      {/* Live controls first, then what is on air and its status, then the rest. */}
      <div class="grid">
        <TakeoverPanel control={control} active={takeover()} online={link.online() === true} />
        <QueuePanel state={queue()} control={control} online={link.online() === true} />
        <ObsPanel status={main.obs.status} control={async (e, p) => void (await control("dashboard:main", e, p))} />
        <LayersPanel state={stream()} />
        <AlertsPanel
          settings={alertSettings()}
          branding={branding()}
          control={control}
          online={link.online() === true}
          show={stream()?.current_show ?? "variety"}
        />
        <BrandingPanel branding={branding()} control={control} online={link.online() === true} />
        <StreamInfoPanel control={control} online={link.online() === true} />
        <ServicesPanel
          telemetry={services.telemetry()}
          result={services.result()}
          send={services.send}
          fleet={services.fleet()}
          logs={services.logs()}
          showLogs={services.showLogs}
        />
        <ActivityPanel items={main.activity()} error={main.activityError()} />
        <TranscriptPanel lines={lines()} />
        <StreamContextPanel
          store={context}
          seed={(services.telemetry()?.services?.seed as { status?: string; error?: string | null; detail?: string | null }) ?? null}
        />
      </div>
    </main>
  );
}
