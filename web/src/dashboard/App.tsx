// The dashboard page. One socket, one `dashboard:main` channel; panels read shared state.
// Today: the OBS panel. The other panels (queue, takeovers, activity, services,
// transcription) arrive with the overlays-and-dashboard issue.
import { createSignal, onCleanup, onMount, Show } from "solid-js";
import { command, CommandError, openSocket, saveToken } from "../lib/landale";
import { applyEvent, createObsStore, HubEvent, ObsStatus } from "./obs";
import { ObsPanel } from "./ObsPanel";
import "./dashboard.css";

export function App() {
  const socket = openSocket();
  const channel = socket.channel("dashboard:main", {});
  const obs = createObsStore();
  const [online, setOnline] = createSignal(false);
  const [needToken, setNeedToken] = createSignal(false);

  const refresh = async () => {
    try {
      obs.replace(await command<ObsStatus>(channel, "obs:get_status"));
    } catch (e) {
      console.warn("obs:get_status failed", e);
    }
  };

  /** Run a control command; an `unauthorized` answer asks for the token once. */
  const control = async (event: string, payload: object = {}) => {
    try {
      await command(channel, event, payload);
    } catch (e) {
      if (e instanceof CommandError && e.code === "unauthorized") setNeedToken(true);
      throw e;
    }
  };

  onMount(() => {
    socket.onOpen(() => void setOnline(true));
    socket.onClose(() => void setOnline(false));
    socket.onError(() => void setOnline(false));
    channel.on("obs_event", (e: HubEvent) => {
      const { next, refetch } = applyEvent(obs.status, e);
      obs.replace(next);
      if (refetch) void refresh();
    });
    channel.join().receive("ok", () => void refresh());
  });
  onCleanup(() => socket.disconnect());

  let tokenInput!: HTMLInputElement;
  return (
    <main class="dashboard">
      <header class="topbar">
        <h1>Landale</h1>
        <Show when={!online()}>
          <span class="pill offline" data-testid="hub-offline">
            hub offline, reconnecting
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
      <ObsPanel status={obs.status} control={control} />
    </main>
  );
}
