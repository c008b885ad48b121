// The one socket a page opens to landale, and the reply envelope helpers.
//
// Token: a page opened on the streaming machine (loopback) controls without one. From
// another machine the hub answers control pushes with `unauthorized`; the page then
// asks once (see TokenBar) and keeps the token in localStorage. `?token=` also works.
import { Channel, Socket } from "phoenix";

const TOKEN_KEY = "landale.token";

export function savedToken(): string | undefined {
  const fromUrl = new URLSearchParams(location.search).get("token");
  if (fromUrl) {
    localStorage.setItem(TOKEN_KEY, fromUrl);
    return fromUrl;
  }
  return localStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function saveToken(token: string) {
  localStorage.setItem(TOKEN_KEY, token.trim());
}

/// The reference's reconnect schedule: quick first retries, then at most 5 s apart.
const RECONNECT_MS = [100, 500, 1000, 2000, 5000];

export function openSocket(): Socket {
  const token = savedToken();
  const socket = new Socket("/socket", {
    params: token ? { token } : {},
    reconnectAfterMs: (tries: number) => RECONNECT_MS[Math.min(tries - 1, RECONNECT_MS.length - 1)],
    rejoinAfterMs: (tries: number) => RECONNECT_MS[Math.min(tries - 1, RECONNECT_MS.length - 1)],
  });
  socket.connect();
  return socket;
}

/** A reply envelope: `{success: true, data}` or `{success: false, error: {code, message}}`. */
export interface Envelope<T = unknown> {
  success: boolean;
  data?: T;
  error?: { code: string; message: string };
}

export class CommandError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Push a command and resolve with the envelope's `data`, or reject with its error. */
export function command<T = unknown>(
  channel: Channel,
  event: string,
  payload: object = {},
  timeoutMs = 35_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    channel
      .push(event, payload, timeoutMs)
      .receive("ok", (r: Envelope<T>) => resolve(r.data as T))
      .receive("error", (r: Envelope) =>
        reject(new CommandError(r.error?.code ?? "error", r.error?.message ?? "the command failed")),
      )
      .receive("timeout", () => reject(new CommandError("timeout", `${event}: no answer from landale`)));
  });
}
