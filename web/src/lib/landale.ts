// The one socket a page opens to landale, its channels, and the reply helpers.
//
// - One socket per page (the reference opened up to five). Every channel the page
//   uses is joined on it, once.
// - Reconnect schedule: the reference's (10 ms … 5 s, then every 10 s); rejoins use
//   Phoenix's own schedule (1, 2, 5, then 10 s).
// - Each channel remembers the highest `seq` it has seen (join reply and pushes) and
//   rejoins with `last_seq`, so the hub replays what the page missed while away.
//   `stream:*` channels answer a rejoin with their full current state instead.
// - Token: a page opened on the streaming machine (loopback) controls without one.
//   From another machine the hub answers control pushes with `unauthorized`; the page
//   then asks once and keeps the token in localStorage. `?token=` also works.
import { Channel, Socket } from "phoenix";
import { createSignal, type Accessor } from "solid-js";

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

/** The reference's socket reconnect schedule, then every 10 s. */
export const RECONNECT_MS = [10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000];
export const reconnectAfterMs = (tries: number) => RECONNECT_MS[tries - 1] ?? 10_000;
/** Phoenix's default channel rejoin schedule. */
export const rejoinAfterMs = (tries: number) => [1000, 2000, 5000][tries - 1] ?? 10_000;

/** Where the page runs: OBS browser source, or a plain browser. */
export function environment(): string {
  return (window as unknown as { obsstudio?: unknown }).obsstudio ? "obs" : "browser";
}

/** The highest `seq` in a push payload (hub events carry it at the top level). */
export function seqOf(payload: unknown): number | null {
  const s = (payload as { seq?: unknown } | null)?.seq;
  return typeof s === "number" && Number.isInteger(s) ? s : null;
}

export type Handlers = Record<string, (payload: any) => void>;

export interface Link {
  socket: Socket;
  /** null until the first open or failure, then whether the socket is open. */
  online: Accessor<boolean | null>;
  /** Join `topic` once with `handlers`; rejoins carry `last_seq`. */
  join(topic: string, handlers: Handlers, params?: object, onJoined?: (reply: any) => void): Channel;
  channel(topic: string): Channel | undefined;
  lastSeq(topic: string): number | null;
  dispose(): void;
}

/** Open the page's socket. `name` identifies the page to the hub (`overlay_type`). */
export function connect(name: string): Link {
  const token = savedToken();
  const socket = new Socket("/socket", {
    params: { environment: environment(), page: name, ...(token ? { token } : {}) },
    reconnectAfterMs,
    rejoinAfterMs,
    heartbeatIntervalMs: 15_000,
  });
  const [online, setOnline] = createSignal<boolean | null>(null);
  socket.onOpen(() => void setOnline(true));
  socket.onClose(() => void setOnline(false));
  socket.onError(() => void setOnline(false));
  const channels = new Map<string, Channel>();
  const seqs = new Map<string, number>();
  const note = (topic: string, seq: number | null) => {
    if (seq !== null && seq > (seqs.get(topic) ?? -1)) seqs.set(topic, seq);
  };

  const link: Link = {
    socket,
    online,
    join(topic, handlers, params = {}, onJoined) {
      const existing = channels.get(topic);
      if (existing) return existing;
      const ch = socket.channel(topic, () => {
        const last = seqs.get(topic);
        return last === undefined ? { ...params } : { ...params, last_seq: last };
      });
      const onMessage = ch.onMessage.bind(ch);
      ch.onMessage = (event: string, payload: unknown, ref: unknown) => {
        note(topic, seqOf(payload));
        return onMessage(event, payload, ref as any);
      };
      for (const [event, fn] of Object.entries(handlers)) {
        ch.on(event, (p: unknown) => {
          try {
            fn(p);
          } catch (e) {
            // A bad payload must never take the page down.
            console.error(`[landale] ${topic} ${event} handler failed`, e, p);
          }
        });
      }
      ch.join()
        .receive("ok", (reply: { seq?: number }) => {
          // The reply's seq is the hub's head when the join was answered. After a
          // rejoin with last_seq the replay follows the reply, so taking the head now
          // would skip what a drop mid-replay left undelivered: only the first join
          // takes it; later ones advance from delivered messages.
          if (!seqs.has(topic)) note(topic, seqOf(reply));
          onJoined?.(reply);
        })
        .receive("error", (r: unknown) => console.warn(`[landale] join ${topic} refused`, r))
        .receive("timeout", () => console.warn(`[landale] join ${topic} timed out`));
      channels.set(topic, ch);
      return ch;
    },
    channel: (topic) => channels.get(topic),
    lastSeq: (topic) => seqs.get(topic) ?? null,
    dispose() {
      for (const ch of channels.values()) ch.leave();
      channels.clear();
      socket.disconnect();
    },
  };
  socket.connect();
  return link;
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
    /** Field → what is wrong with it, for `validation_failed` with `details.fields`. */
    public fields: Record<string, string[]> = {},
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
      .receive("ok", (r: Envelope<T>) => resolve((r?.data ?? r) as T))
      .receive("error", (r: Envelope & { reason?: string; message?: string }) =>
        reject(
          new CommandError(
            r?.error?.code ?? r?.reason ?? "error",
            r?.error?.message ?? r?.message ?? r?.reason ?? `${event} failed`,
            (r?.error as { details?: { fields?: Record<string, string[]> } } | undefined)?.details?.fields ?? {},
          ),
        ),
      )
      .receive("timeout", () => reject(new CommandError("timeout", `${event}: no answer from landale`)));
  });
}
