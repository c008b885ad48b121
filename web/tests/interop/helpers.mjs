// Shared helpers for the Landale protocol-interop suite.
//
// The suite runs against a real Landale hub started by the test runner
// (`cargo xtask test`), which passes its addresses through the environment:
//
//   LANDALE_HTTP   http://127.0.0.1:PORT          (REST, e.g. POST /api/eventsub)
//   LANDALE_WS     ws://127.0.0.1:PORT/socket     (Phoenix socket endpoint)
//   LANDALE_TOKEN  control token (loopback trust is OFF on the test hub)
//
// Every wait in this suite is on a signal (a reply, a push, an open/close
// event) bounded by a deadline that FAILS the test; nothing sleeps for a
// fixed time to "let things settle".

import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { Socket } from "phoenix";

export { WebSocket, Socket, randomUUID };

// ---------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------

export const HTTP = (process.env.LANDALE_HTTP || "").replace(/\/+$/, "");
export const WS = (
  process.env.LANDALE_WS || (HTTP ? `${HTTP.replace(/^http/, "ws")}/socket` : "")
).replace(/\/+$/, "");
export const TOKEN = process.env.LANDALE_TOKEN || "";
export const SKIP_REASON = "LANDALE_HTTP not set: run through cargo xtask test";

/** Default deadline for a single awaited signal. */
export const DEADLINE_MS = 3000;

/**
 * Declares an interop test. When LANDALE_HTTP is not set the test is skipped
 * with a message saying why. `fn` receives the node:test context; use
 * `t.after(...)` (or the socket helpers below, which register it themselves)
 * so that every socket is closed even when the test fails.
 */
export function itest(name, fn, options = {}) {
  return test(name, { timeout: 15000, ...options }, async (t) => {
    if (!HTTP) {
      t.skip(SKIP_REASON);
      return;
    }
    await fn(t);
  });
}

// ---------------------------------------------------------------------------
// Deadlines and inboxes
// ---------------------------------------------------------------------------

/** Races `promise` against a deadline that rejects with a descriptive error. */
export function withDeadline(promise, ms, label) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`deadline of ${ms}ms exceeded waiting for ${label}`)),
      ms,
    );
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function describe(item) {
  try {
    const s = JSON.stringify(item);
    return s.length > 300 ? `${s.slice(0, 300)}...` : s;
  } catch {
    return String(item);
  }
}

/**
 * Collects items (pushes, frames) as they arrive and lets a test wait, with a
 * deadline, until some matching item has arrived (including items that
 * arrived before the wait started, so there is no subscribe/arrive race).
 */
export class Inbox {
  constructor(label = "inbox") {
    this.label = label;
    this.items = [];
    this.waiters = new Set();
  }

  push(item) {
    this.items.push(item);
    for (const w of [...this.waiters]) w.check();
  }

  /** Items matching `pred` so far. */
  filter(pred = () => true) {
    return this.items.filter(pred);
  }

  /** Resolves with the first item ever received that matches `pred`. */
  waitFor(pred, { timeout = DEADLINE_MS, label = "a matching item" } = {}) {
    return this.waitForCount(pred, 1, { timeout, label }).then((found) => found[0]);
  }

  /** Resolves with all matching items once at least `n` have been received. */
  waitForCount(pred, n, { timeout = DEADLINE_MS, label = `${n} matching items` } = {}) {
    return new Promise((resolve, reject) => {
      const waiter = {
        check: () => {
          const found = this.items.filter(pred);
          if (found.length >= n) {
            this.waiters.delete(waiter);
            clearTimeout(waiter.timer);
            resolve(found);
            return true;
          }
          return false;
        },
      };
      if (waiter.check()) return;
      waiter.timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const tail = this.items.slice(-10).map(describe).join("\n  ");
        reject(
          new Error(
            `${this.label}: deadline of ${timeout}ms exceeded waiting for ${label} ` +
              `(got ${this.items.filter(pred).length}/${n}; ${this.items.length} items received` +
              (tail ? `, last ones:\n  ${tail}` : "") +
              ")",
          ),
        );
      }, timeout);
      this.waiters.add(waiter);
    });
  }
}

// ---------------------------------------------------------------------------
// REST: publishing events
// ---------------------------------------------------------------------------

/**
 * POST /api/eventsub. Returns `{status, body}` without asserting anything.
 * `token: null` sends no Authorization header.
 */
export async function publishRaw(type, event, { token = TOKEN, version = "2" } = {}) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await withDeadline(
    fetch(`${HTTP}/api/eventsub`, {
      method: "POST",
      headers,
      body: JSON.stringify({ subscription: { type, version }, event }),
    }),
    DEADLINE_MS,
    `POST /api/eventsub (${type})`,
  );
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

/**
 * Publishes an event with the control token and asserts the documented
 * success reply. Returns the reply body `{success, message, id, seq}`.
 */
export async function publish(type, event) {
  const { status, body } = await publishRaw(type, event);
  assert.equal(status, 200, `publish ${type}: expected 200, got ${status}: ${describe(body)}`);
  assert.equal(body.success, true, `publish ${type}: ${describe(body)}`);
  assert.equal(typeof body.id, "string", `publish ${type}: reply id: ${describe(body)}`);
  assert.ok(Number.isInteger(body.seq), `publish ${type}: reply seq must be an integer: ${describe(body)}`);
  return body;
}

let userCounter = 0;
/** A fresh numeric Twitch-style user id (string). */
export function nextUserId() {
  userCounter += 1;
  return String(2_000_000 + (process.pid % 1000) * 10_000 + userCounter);
}

/** A valid channel.follow event body. */
export function followEvent(login = "alice", overrides = {}) {
  return {
    user_id: overrides.user_id ?? (login === "alice" ? "1001" : nextUserId()),
    user_login: login,
    user_name: login.charAt(0).toUpperCase() + login.slice(1),
    broadcaster_user_id: "12826",
    broadcaster_user_login: "avalonstar",
    broadcaster_user_name: "Avalonstar",
    followed_at: new Date().toISOString(),
    ...overrides,
  };
}

/** A valid channel.chat.message event body (full EventSub v1 field set). */
export function chatMessageEvent(text = "hello chat", login = "bob", overrides = {}) {
  return {
    broadcaster_user_id: "12826",
    broadcaster_user_login: "avalonstar",
    broadcaster_user_name: "Avalonstar",
    chatter_user_id: nextUserId(),
    chatter_user_login: login,
    chatter_user_name: login.charAt(0).toUpperCase() + login.slice(1),
    message_id: randomUUID(),
    message: {
      text,
      fragments: [{ type: "text", text, cheermote: null, emote: null, mention: null }],
    },
    color: "#9146FF",
    badges: [],
    message_type: "text",
    cheer: null,
    reply: null,
    channel_points_custom_reward_id: null,
    source_broadcaster_user_id: null,
    source_broadcaster_user_login: null,
    source_broadcaster_user_name: null,
    source_message_id: null,
    source_badges: null,
    ...overrides,
  };
}

/** Publishes a follow and returns the REST reply body. */
export function publishFollow(login = "alice", overrides = {}) {
  return publish("channel.follow", followEvent(login, overrides));
}

/**
 * The flat hub event carried by a push payload. Events channels push the flat
 * event itself; this also tolerates a `{data: event}` / `{event: event}`
 * wrapper (used for dashboard:main `twitch_event`, whose envelope the
 * contract does not pin down).
 */
export function eventOf(payload) {
  if (payload && Number.isInteger(payload.seq) && typeof payload.type === "string") return payload;
  for (const key of ["data", "event"]) {
    const inner = payload && payload[key];
    if (inner && Number.isInteger(inner.seq)) return inner;
  }
  return payload;
}

/** Asserts the fields every published hub event carries. */
export function assertHubEvent(ev, type) {
  assert.equal(typeof ev, "object", `event must be an object: ${describe(ev)}`);
  assert.equal(ev.type, type, `event type: ${describe(ev)}`);
  // source_id is the producer's own message id: null for events injected without one.
  assert.ok(
    ev.source_id === null || (typeof ev.source_id === "string" && ev.source_id.length > 0),
    `event.source_id must be null or a non-empty string: ${describe(ev)}`,
  );
  for (const key of ["id", "timestamp", "correlation_id", "raw_type"]) {
    assert.ok(
      typeof ev[key] === "string" && ev[key].length > 0,
      `event.${key} must be a non-empty string: ${describe(ev)}`,
    );
  }
  assert.equal(ev.source, "twitch", `event.source: ${describe(ev)}`);
  assert.ok(Number.isInteger(ev.seq), `event.seq must be an integer: ${describe(ev)}`);
}

// ---------------------------------------------------------------------------
// Official Phoenix client (vsn 2.0.0)
// ---------------------------------------------------------------------------

/**
 * Creates a phoenix Socket over `ws`, connects it, waits for it to open and
 * registers a cleanup that closes it when the test ends. Every raw message
 * the socket receives is recorded in `socket.inbox` (Inbox of
 * `{join_ref, ref, topic, event, payload}`).
 */
export async function connectSocket(t, opts = {}) {
  const socket = new Socket(WS, {
    transport: WebSocket,
    timeout: DEADLINE_MS,
    reconnectAfterMs: () => 50,
    rejoinAfterMs: () => 50,
    ...opts,
  });
  socket.inbox = new Inbox("socket messages");
  socket.onMessage((msg) => socket.inbox.push(msg));
  t.after(() => closeSocket(socket));
  const opened = new Promise((resolve, reject) => {
    socket.onOpen(() => resolve());
    socket.onError((err) => reject(new Error(`socket error before open: ${err?.message || err}`)));
  });
  socket.connect();
  await withDeadline(opened, DEADLINE_MS, `socket open (${WS})`);
  return socket;
}

/** Disconnects a phoenix socket and clears every timer it or its channels hold. */
export function closeSocket(socket) {
  for (const ch of [...socket.channels]) {
    ch.rejoinTimer?.reset();
    ch.joinPush?.cancelTimeout();
    for (const p of ch.pushBuffer || []) p.cancelTimeout();
  }
  socket.reconnectTimer?.reset();
  const conn = socket.conn;
  return new Promise((resolve) => {
    // teardown waits at most ~1.5s for the transport to close
    socket.disconnect(() => resolve());
  }).then(() => {
    // ws keeps a 30s close timer if the server never answers the close frame
    if (conn && conn.readyState !== WebSocket.CLOSED) conn.terminate?.();
  });
}

/**
 * Resolves with `{status, response}` once a phoenix Push gets a reply
 * ("ok" or "error"); rejects on client timeout or deadline.
 */
export function reply(push, label = "reply", ms = DEADLINE_MS) {
  return withDeadline(
    new Promise((resolve, reject) => {
      push
        .receive("ok", (response) => resolve({ status: "ok", response }))
        .receive("error", (response) => resolve({ status: "error", response }))
        .receive("timeout", () => reject(new Error(`phoenix push timed out: ${label}`)));
    }),
    ms,
    label,
  );
}

/**
 * Creates a channel whose every server push (anything that is not a
 * phx_* control message) is recorded in `channel.inbox` as `{event, payload}`.
 * Recording starts before the join, so pushes sent right after the join reply
 * are never missed.
 */
export function recordedChannel(socket, topic, params = {}) {
  const channel = socket.channel(topic, params);
  channel.inbox = new Inbox(`${topic} pushes`);
  const original = channel.onMessage.bind(channel);
  channel.onMessage = (event, payload, ref, joinRef) => {
    if (!event.startsWith("phx_") && !event.startsWith("chan_reply_")) {
      channel.inbox.push({ event, payload });
    }
    return original(event, payload, ref, joinRef);
  };
  return channel;
}

/** Joins and asserts an ok reply whose response has an integer `seq`. */
export async function joinOk(channel, label = channel.topic) {
  const r = await reply(channel.join(), `join ${label}`);
  assert.equal(r.status, "ok", `join ${label}: ${describe(r.response)}`);
  assert.ok(
    Number.isInteger(r.response?.seq),
    `join ${label}: response.seq must be an integer: ${describe(r.response)}`,
  );
  return r.response;
}

/** Round trip of a heartbeat on a phoenix socket (a barrier for in-flight frames). */
export function socketPing(socket, label = "heartbeat round trip") {
  return withDeadline(
    new Promise((resolve, reject) => {
      if (!socket.ping((rtt) => resolve(rtt))) reject(new Error("socket not connected for ping"));
    }),
    DEADLINE_MS,
    label,
  );
}

// ---------------------------------------------------------------------------
// Raw v1 client (JSON objects, no vsn)
// ---------------------------------------------------------------------------

/**
 * A minimal Phoenix v1 (object frame) client over `ws`. Frames received are
 * kept in `client.inbox` as `{frame, raw}`, where `frame` is the parsed JSON
 * and `raw` the text.
 */
export class RawV1Client {
  constructor(ws) {
    this.ws = ws;
    this.ref = 0;
    this.inbox = new Inbox("v1 frames");
    ws.on("error", () => {}); // errors surface through deadlines / `closed`
    this.closed = new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: String(reason) })));
    ws.on("message", (data, isBinary) => {
      const raw = isBinary ? data : data.toString();
      let frame;
      try {
        frame = JSON.parse(raw);
      } catch {
        frame = { unparsable: raw };
      }
      this.inbox.push({ frame, raw });
    });
  }

  /**
   * Opens `${LANDALE_WS}/websocket` (plus `query`) and waits for it to be
   * open. Registers a cleanup on `t`.
   */
  static async connect(t, { query = {}, origin, headers } = {}) {
    const url = new URL(`${WS}/websocket`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const ws = new WebSocket(url, { origin, headers });
    const client = new RawV1Client(ws);
    t.after(() => client.close());
    await withDeadline(
      new Promise((resolve, reject) => {
        ws.once("open", resolve);
        ws.once("error", reject);
        ws.once("unexpected-response", (_req, res) => {
          res.resume();
          reject(new Error(`unexpected HTTP ${res.statusCode} on upgrade`));
          ws.terminate();
        });
      }),
      DEADLINE_MS,
      `v1 socket open (${url})`,
    );
    return client;
  }

  nextRef() {
    this.ref += 1;
    return String(this.ref);
  }

  send(frame) {
    this.ws.send(JSON.stringify(frame));
  }

  /** Sends `{topic, event, payload, ref}` and resolves with the phx_reply frame for that ref. */
  async request(topic, event, payload = {}, { ref = this.nextRef(), label } = {}) {
    this.send({ topic, event, payload, ref });
    const { frame } = await this.inbox.waitFor(
      ({ frame: f }) => f && f.event === "phx_reply" && f.ref === ref && f.topic === topic,
      { label: label || `phx_reply to ${event} on ${topic} (ref ${ref})` },
    );
    return frame;
  }

  heartbeat() {
    return this.request("phoenix", "heartbeat", {});
  }

  /** Pushes (non-reply frames) on `topic`, optionally only `event`. */
  pushes(topic, event) {
    return this.inbox
      .filter(({ frame: f }) => f && f.topic === topic && f.event !== "phx_reply" && (!event || f.event === event))
      .map(({ frame }) => frame);
  }

  waitForPush(topic, event, pred = () => true, opts = {}) {
    return this.inbox
      .waitFor(({ frame: f }) => f && f.topic === topic && f.event === event && pred(f.payload), {
        label: `${event} push on ${topic}`,
        ...opts,
      })
      .then(({ frame }) => frame);
  }

  close() {
    const ws = this.ws;
    if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    if (ws.readyState === WebSocket.CONNECTING) {
      ws.terminate();
      return Promise.resolve();
    }
    ws.close(1000, "test done");
    // do not wait on a server that never answers the close frame
    return withDeadline(this.closed, 1000, "v1 close").catch(() => ws.terminate());
  }
}

/**
 * Attempts a WebSocket upgrade (v1 URL) with the given Origin (undefined =
 * no Origin header). Resolves with `{opened, statusCode}`: `opened` true if
 * the upgrade succeeded (the socket is then closed again), otherwise
 * `statusCode` is the HTTP status of the refused upgrade (if any).
 */
export function tryUpgrade(origin) {
  return withDeadline(
    new Promise((resolve) => {
      const ws = new WebSocket(`${WS}/websocket`, origin === undefined ? {} : { origin });
      let statusCode = null;
      let opened = false;
      ws.on("error", () => {});
      ws.on("unexpected-response", (_req, res) => {
        statusCode = res.statusCode;
        res.resume();
        ws.terminate();
      });
      ws.on("open", () => {
        opened = true;
        ws.close(1000, "origin probe");
      });
      ws.on("close", () => resolve({ opened, statusCode }));
    }),
    DEADLINE_MS,
    `upgrade with origin ${origin}`,
  );
}

export function isUuid(s) {
  return typeof s === "string" && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}

export { describe as show };
