// The first-run checklist's items, from what the dashboard already knows: OBS's
// status, Twitch's entry in the telemetry, whether this device may control, and
// whether the overlays were added to OBS. Pure, so the advice is tested in Node.

export interface SetupItem {
  key: "obs" | "twitch" | "token" | "overlays";
  title: string;
  done: boolean;
  /** What to do next, in words (shell commands in backticks). */
  advice: string;
}

export interface SetupInput {
  obs: { connected: boolean; connection_state: string; last_error: string | null } | null;
  twitch: { connected?: boolean; status?: string; error?: string | null } | null;
  /** This page may run controls: opened on the streaming machine, or a token is saved. */
  mayControl: boolean;
  overlaysAdded: boolean;
  /** The hub's own path (`landale` is rarely on PATH), so commands work as written. */
  cli?: string | null;
}

export function setupItems(i: SetupInput): SetupItem[] {
  const landale = i.cli && !/[`\s]/.test(i.cli) ? i.cli : "landale";
  const obs = i.obs;
  const obsAdvice = obs?.connection_state === "unknown"
    ? "Asking Landale about OBS…"
    : !obs || obs.connection_state === "not_configured"
    ? "In OBS: Tools → WebSocket Server Settings → Enable, note the port and password. Then start Landale with `OBS_WEBSOCKET_URL=ws://127.0.0.1:4455` (and `OBS_WEBSOCKET_PASSWORD=…`)."
    : obs.connection_state === "auth_failed"
      ? "OBS refused the password: set `OBS_WEBSOCKET_PASSWORD` to the one in OBS's WebSocket Server Settings and restart Landale."
      : `Landale is trying to reach OBS (${obs.connection_state.replace(/_/g, " ")}${obs.last_error ? `: ${obs.last_error}` : ""}). Is OBS running, with its WebSocket server on?`;
  const t = i.twitch;
  const twitchAdvice =
    !t || t.status === "not_configured"
      ? `Twitch needs an application first: create one at dev.twitch.tv (OAuth redirect \`http://localhost:17563/callback\`), start Landale with \`TWITCH_CLIENT_ID\` and \`TWITCH_CLIENT_SECRET\`, then run \`${landale} twitch login\`.`
      : t.status === "needs_login"
        ? `Run \`${landale} twitch login\` on the streaming machine and approve Landale in the browser (it works over SSH too).`
        : t.status === "vault_error"
          ? `The stored Twitch login cannot be read (${t.error ?? "vault error"}): check \`CLOAK_SECRET_KEY\`, or run \`${landale} twitch login\` again.`
          : `Signed in; EventSub is ${t.status ?? "starting"}${t.error ? `: ${t.error}` : ""}.`;
  return [
    { key: "obs", title: "Connect OBS", done: !!obs?.connected, advice: obs?.connected ? "Connected." : obsAdvice },
    {
      key: "twitch",
      title: "Sign in to Twitch",
      done: !!t?.connected,
      advice: t?.connected ? "Signed in, events arriving." : twitchAdvice,
    },
    {
      key: "token",
      title: "Controls from this device",
      done: i.mayControl,
      advice: i.mayControl
        ? "This device may run controls."
        : `Run \`${landale} token\` on the streaming machine and paste it when the dashboard asks (it is remembered on this device).`,
    },
    {
      key: "overlays",
      title: "Add the overlays to OBS",
      done: i.overlaysAdded,
      advice: "Add each as a Browser source, 1920×1080, keeping OBS's default custom CSS; put the takeover on top.",
    },
  ];
}
