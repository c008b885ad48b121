// Interop tests with the official Phoenix JavaScript client (serializer vsn 2.0.0,
// array frames `[join_ref, ref, topic, event, payload]`) against the Landale hub.
//
// Run through `cargo xtask test` (which starts the hub and sets LANDALE_*), or
// by hand: `cd web && LANDALE_HTTP=... LANDALE_WS=... LANDALE_TOKEN=... npm run test:interop`.

import assert from "node:assert/strict";
import {
  TOKEN,
  itest,
  connectSocket,
  recordedChannel,
  joinOk,
  reply,
  socketPing,
  withDeadline,
  publish,
  publishRaw,
  publishFollow,
  followEvent,
  chatMessageEvent,
  assertHubEvent,
  eventOf,
  isUuid,
  randomUUID,
  show,
  DEADLINE_MS,
} from "./helpers.mjs";

const isPush = (event, pred = () => true) => (m) => m.event === event && pred(m.payload);

itest("v2: connect and join events:all replies ok with the hub's integer head seq", async (t) => {
  const socket = await connectSocket(t);
  assert.equal(socket.isConnected(), true);
  assert.match(socket.endPointURL(), /\/websocket\?vsn=2\.0\.0$/);

  const ch = recordedChannel(socket, "events:all");
  const response = await joinOk(ch);
  assert.ok(response.seq >= 0, `seq must be non-negative: ${response.seq}`);

  // The join reply is a v2 array frame carrying the join's ref as both join_ref and ref.
  const joinReply = socket.inbox.items.find((m) => m.topic === "events:all" && m.event === "phx_reply");
  assert.ok(joinReply, "join reply frame recorded");
  assert.equal(joinReply.join_ref, ch.joinRef());
  assert.equal(joinReply.ref, ch.joinRef());
  assert.equal(joinReply.payload.status, "ok");
});

itest("v2: ping on an events channel returns the documented pong shape", async (t) => {
  const socket = await connectSocket(t);
  const ch = recordedChannel(socket, "events:all");
  await joinOk(ch);

  const before = Math.floor(Date.now() / 1000);
  const r = await reply(ch.push("ping", {}), "ping reply");
  const after = Math.ceil(Date.now() / 1000);
  assert.equal(r.status, "ok", `ping: ${show(r.response)}`);
  const { response } = r;
  assert.equal(response.success, true);
  assert.equal(response.data.pong, true);
  assert.ok(Number.isInteger(response.data.timestamp), `data.timestamp must be unix seconds: ${show(response)}`);
  assert.ok(
    response.data.timestamp >= before - 5 && response.data.timestamp <= after + 5,
    `data.timestamp ${response.data.timestamp} is not now (${before}..${after})`,
  );
  assert.equal(typeof response.meta.timestamp, "string");
  assert.ok(!Number.isNaN(Date.parse(response.meta.timestamp)), `meta.timestamp not ISO: ${response.meta.timestamp}`);
  assert.equal(typeof response.meta.server_version, "string");
  assert.ok(response.meta.server_version.length > 0);
});

itest("v2: a published follow arrives on events:all as `follower`", async (t) => {
  const socket = await connectSocket(t);
  const ch = recordedChannel(socket, "events:all");
  const joined = await joinOk(ch);

  const pub = await publishFollow("alice");
  assert.ok(pub.seq > joined.seq, `published seq ${pub.seq} must be after the join head ${joined.seq}`);

  const { payload } = await ch.inbox.waitFor(isPush("follower", (p) => p?.id === pub.id), {
    label: `follower push with id ${pub.id}`,
  });
  assertHubEvent(payload, "channel.follow");
  assert.equal(payload.seq, pub.seq);
  assert.equal(payload.user_login, "alice");
  assert.equal(payload.user_name, "Alice");
  assert.equal(payload.user_id, "1001");
  assert.equal(payload.broadcaster_user_id, "12826");
  assert.equal(payload.broadcaster_user_login, "avalonstar");
  assert.equal(typeof payload.followed_at, "string");
});

itest("v2: REST publish needs the token and rejects invalid events without publishing", async (t) => {
  const socket = await connectSocket(t);
  const ch = recordedChannel(socket, "events:all");
  await joinOk(ch);

  const noToken = await publishRaw("channel.follow", followEvent("rest_no_token"), { token: null });
  assert.equal(noToken.status, 401, `no token: ${show(noToken.body)}`);
  assert.equal(noToken.body.success, false);
  assert.equal(noToken.body.error?.code, "unauthorized");

  const invalid = await publishRaw("channel.follow", followEvent("rest_invalid", { user_id: "abc" }));
  assert.equal(invalid.status, 400, `invalid: ${show(invalid.body)}`);
  assert.equal(invalid.body.success, false);
  assert.equal(invalid.body.error, "Event processing failed");
  assert.equal(typeof invalid.body.details, "object");
  assert.ok(invalid.body.details !== null && Object.keys(invalid.body.details).length > 0, show(invalid.body));

  // Signal: a valid event published afterwards must be the first push.
  const sentinel = await publishFollow("rest_sentinel");
  await ch.inbox.waitFor(isPush("follower", (p) => p?.id === sentinel.id), { label: "sentinel follower" });
  assert.equal(ch.inbox.items[0].payload.id, sentinel.id, `first push: ${show(ch.inbox.items[0])}`);
  assert.equal(ch.inbox.items.filter((m) => ["rest_no_token", "rest_invalid"].includes(m.payload?.user_login)).length, 0);
});

itest("v2: events:chat skips a follow but forwards a channel.chat.message", async (t) => {
  const socket = await connectSocket(t);
  const chat = recordedChannel(socket, "events:chat");
  const interactions = recordedChannel(socket, "events:interactions");
  await joinOk(chat);
  await joinOk(interactions);

  const follow1 = await publishFollow("chat_filter_follow");
  const text = `hello chat ${randomUUID()}`;
  const msg = await publish("channel.chat.message", chatMessageEvent(text, "chat_filter_bob"));
  const follow2 = await publishFollow("chat_filter_follow2");
  assert.ok(follow1.seq < msg.seq && msg.seq < follow2.seq, "REST seqs are increasing");

  const first = await chat.inbox.waitFor(() => true, { label: "first push on events:chat" });
  assert.equal(first.event, "chat_message", `first push on events:chat: ${show(first)}`);
  assertHubEvent(first.payload, "channel.chat.message");
  assert.equal(first.payload.id, msg.id);
  assert.equal(first.payload.seq, msg.seq);

  // events:interactions gets both follows and not the chat message.
  await interactions.inbox.waitFor(isPush("follower", (p) => p?.id === follow2.id), { label: "second follow" });
  await socketPing(socket);
  assert.deepEqual(
    interactions.inbox.items.map((m) => [m.event, m.payload?.id]),
    [
      ["follower", follow1.id],
      ["follower", follow2.id],
    ],
  );
  assert.deepEqual(
    chat.inbox.items.map((m) => [m.event, m.payload?.id]),
    [["chat_message", msg.id]],
  );
});

itest("v2: joining an unknown topic fails with `unmatched topic`", async (t) => {
  const socket = await connectSocket(t, { rejoinAfterMs: () => 60_000 });
  const ch = socket.channel("nope:1", {});
  const r = await reply(ch.join(), "join nope:1");
  assert.equal(r.status, "error");
  assert.deepEqual(r.response, { reason: "unmatched topic" });
  assert.equal(socket.isConnected(), true, "the socket stays up after a refused join");
});

itest("v2: leave replies ok, is followed by phx_close, and stops pushes", async (t) => {
  const socket = await connectSocket(t);
  const all = recordedChannel(socket, "events:all");
  const interactions = recordedChannel(socket, "events:interactions");
  await joinOk(all);
  await joinOk(interactions);

  const before = await publishFollow("leave_before");
  await all.inbox.waitFor(isPush("follower", (p) => p?.id === before.id), { label: "follower before leave" });

  const joinRef = all.joinRef();
  const leaveIndex = socket.inbox.items.length;
  const left = await reply(all.leave(), "leave events:all");
  assert.equal(left.status, "ok", `leave: ${show(left.response)}`);
  const close = await socket.inbox.waitFor(
    (m) => m.topic === "events:all" && m.event === "phx_close",
    { label: "phx_close on events:all" },
  );
  assert.equal(close.join_ref, joinRef, "phx_close carries the join_ref of the left join");
  // Pushes the hub sent before it read the leave may still arrive first (e.g. the
  // stream producer's state update after the follow); from the reply on, only the close.
  const sinceLeave = socket.inbox.items.slice(leaveIndex).filter((m) => m.topic === "events:all");
  const replyAt = sinceLeave.findIndex((m) => m.event === "phx_reply");
  assert.ok(replyAt >= 0, `leave reply: ${show(sinceLeave)}`);
  assert.ok(
    sinceLeave.slice(0, replyAt).every((m) => !m.event.startsWith("phx_")),
    `only ordinary pushes before the leave reply: ${show(sinceLeave)}`,
  );
  const afterLeave = sinceLeave.slice(replyAt);
  assert.deepEqual(
    afterLeave.map((m) => m.event),
    ["phx_reply", "phx_close"],
    `frames on events:all after phx_leave: ${show(afterLeave)}`,
  );
  assert.equal(afterLeave[0].payload.status, "ok");

  // Signal: the event reaches the still-joined topic; events:all must get nothing.
  const after = await publishFollow("leave_after");
  await interactions.inbox.waitFor(isPush("follower", (p) => p?.id === after.id), { label: "follower on events:interactions" });
  await socketPing(socket);
  const replyIndex = socket.inbox.items.indexOf(afterLeave[0]);
  const late = socket.inbox.items.slice(replyIndex).filter((m) => m.topic === "events:all" && !["phx_reply", "phx_close"].includes(m.event));
  assert.deepEqual(late, [], "no pushes on events:all after leaving");
});

itest("v2: dashboard:main sends initial_state and each twitch event exactly once", async (t) => {
  const socket = await connectSocket(t);
  const ch = recordedChannel(socket, "dashboard:main");
  await joinOk(ch);

  const initial = await ch.inbox.waitFor(isPush("initial_state"), { label: "initial_state" });
  assert.equal(initial.payload.connected, true);
  assert.ok(Number.isInteger(initial.payload.timestamp), `initial_state.timestamp: ${show(initial.payload)}`);

  const e1 = await publishFollow("dashboard_1");
  const e2 = await publishFollow("dashboard_2");
  await ch.inbox.waitFor(isPush("twitch_event", (p) => eventOf(p)?.id === e2.id), { label: "second twitch_event" });
  await socketPing(socket);

  const ids = new Set([e1.id, e2.id]);
  const carrying = ch.inbox.items.filter((m) => ids.has(eventOf(m.payload)?.id));
  assert.deepEqual(
    carrying.map((m) => [m.event, eventOf(m.payload).seq]),
    [
      ["twitch_event", e1.seq],
      ["twitch_event", e2.seq],
    ],
    `pushes carrying the two events: ${show(carrying)}`,
  );
  const ev = eventOf(carrying[0].payload);
  assertHubEvent(ev, "channel.follow");
  assert.equal(ev.user_login, "dashboard_1");
});

function transcription(text = "hello chat") {
  return {
    timestamp: new Date().toISOString(),
    duration: 1.5,
    text,
    source_id: "phononmaser",
    confidence: 0.9,
  };
}

itest("v2: transcription:live join, submit_transcription and new_transcription", async (t) => {
  const socket = await connectSocket(t, { params: { token: TOKEN } });
  assert.match(socket.endPointURL(), /[?&]token=/);
  const ch = recordedChannel(socket, "transcription:live");
  await joinOk(ch);

  const established = await ch.inbox.waitFor(isPush("connection_established"), { label: "connection_established" });
  assert.equal(established.payload.type, "transcription:live");
  assert.equal(established.payload.status, "connected");
  assert.ok(established.payload.timestamp !== undefined && established.payload.timestamp !== null);

  const r = await reply(ch.push("submit_transcription", transcription("hello chat")), "submit_transcription");
  assert.equal(r.status, "ok", `submit: ${show(r.response)}`);
  assert.ok(isUuid(r.response.transcription_id), `transcription_id: ${show(r.response)}`);

  const pushed = await ch.inbox.waitFor(isPush("new_transcription", (p) => p?.text === "hello chat"), {
    label: "new_transcription",
  });
  assert.equal(pushed.payload.text, "hello chat");
});

itest("v2: get_recent returns the transcription just submitted", async (t) => {
  const socket = await connectSocket(t, { params: { token: TOKEN } });
  const ch = recordedChannel(socket, "transcription:live");
  await joinOk(ch);

  const text = `hello chat ${randomUUID()}`;
  const submitted = await reply(ch.push("submit_transcription", transcription(text)), "submit_transcription");
  assert.equal(submitted.status, "ok", `submit: ${show(submitted.response)}`);
  const id = submitted.response.transcription_id;
  await ch.inbox.waitFor(isPush("new_transcription", (p) => p?.text === text), { label: "new_transcription" });

  const r = await reply(ch.push("get_recent", { minutes: 5 }), "get_recent");
  assert.equal(r.status, "ok", `get_recent: ${show(r.response)}`);
  assert.ok(Array.isArray(r.response.transcriptions), show(r.response));
  assert.equal(r.response.count, r.response.transcriptions.length);
  const mine = r.response.transcriptions.filter((x) => x.text === text);
  assert.equal(mine.length, 1, `exactly the submitted transcription, once: ${show(r.response)}`);
  if (mine[0].id !== undefined) assert.equal(mine[0].id, id);
});

itest("v2: submit_transcription validation errors are sorted by field", async (t) => {
  const socket = await connectSocket(t, { params: { token: TOKEN } });
  const ch = recordedChannel(socket, "transcription:live");
  await joinOk(ch);

  const r = await reply(ch.push("submit_transcription", { duration: -1 }), "invalid submit_transcription");
  assert.equal(r.status, "error", `invalid submit: ${show(r.response)}`);
  assert.deepEqual(r.response.errors, [
    { field: "duration", messages: ["must be greater than 0"] },
    { field: "text", messages: ["is required"] },
    { field: "timestamp", messages: ["is required"] },
  ]);
});

itest("v2: submit_transcription without the socket token is unauthorized and not broadcast", async (t) => {
  const anon = await connectSocket(t);
  const anonCh = recordedChannel(anon, "transcription:live");
  await joinOk(anonCh, "transcription:live (no token)");

  const rejectedText = `unauthorized ${randomUUID()}`;
  const r = await reply(anonCh.push("submit_transcription", transcription(rejectedText)), "unauthorized submit");
  assert.equal(r.status, "error", `unauthorized submit: ${show(r.response)}`);
  assert.equal(r.response.reason, "unauthorized");

  // Signal: an authorized submission made afterwards reaches the anonymous subscriber.
  const authed = await connectSocket(t, { params: { token: TOKEN } });
  const authedCh = recordedChannel(authed, "transcription:live");
  await joinOk(authedCh, "transcription:live (token)");
  const sentinelText = `sentinel ${randomUUID()}`;
  const ok = await reply(authedCh.push("submit_transcription", transcription(sentinelText)), "sentinel submit");
  assert.equal(ok.status, "ok", `sentinel submit: ${show(ok.response)}`);
  await anonCh.inbox.waitFor(isPush("new_transcription", (p) => p?.text === sentinelText), {
    label: "sentinel new_transcription",
  });
  await socketPing(anon);

  const texts = anonCh.inbox.filter(isPush("new_transcription")).map((m) => m.payload.text);
  assert.ok(!texts.includes(rejectedText), `rejected transcription was broadcast: ${show(texts)}`);
  assert.ok(!authedCh.inbox.filter(isPush("new_transcription")).some((m) => m.payload.text === rejectedText));
});

itest("v2: heartbeats are answered and keep the socket open", async (t) => {
  let closes = 0;
  const socket = await connectSocket(t, { heartbeatIntervalMs: 100 });
  socket.onClose(() => {
    closes += 1;
  });

  const replies = await socket.inbox.waitForCount(
    (m) => m.topic === "phoenix" && m.event === "phx_reply",
    3,
    { label: "3 heartbeat replies" },
  );
  for (const m of replies) {
    assert.deepEqual(m.payload, { status: "ok", response: {} });
    assert.equal(m.join_ref, null, "heartbeat replies have a null join_ref");
    assert.equal(typeof m.ref, "string");
  }
  assert.equal(new Set(replies.map((m) => m.ref)).size, replies.length, "each heartbeat has its own ref");
  assert.equal(closes, 0, "socket did not close");
  assert.equal(socket.isConnected(), true);
  assert.equal(socket.establishedConnections, 1, "socket never reconnected");
});

itest("v2: reconnect with last_seq replays missed events exactly once and in order", async (t) => {
  let holdReconnect = false;
  const socket = await connectSocket(t, {
    // While held, the reconnect is parked far in the future; the test releases it
    // explicitly once every event has been published, so the replay path is what
    // delivers them.
    reconnectAfterMs: () => (holdReconnect ? 60_000 : 20),
    rejoinAfterMs: () => 50,
  });

  let head = null;
  const joinParams = [];
  const seqOf = (m) => eventOf(m.payload)?.seq;
  const ch = recordedChannel(socket, "events:all", () => {
    const seen = ch.inbox.items.map(seqOf).filter(Number.isInteger);
    const maxSeen = head === null ? null : Math.max(head, ...seen);
    const params = maxSeen === null ? {} : { last_seq: maxSeen };
    joinParams.push(params);
    return params;
  });
  head = (await joinOk(ch)).seq;
  assert.deepEqual(joinParams, [{}]);

  const pre = await publishFollow("reconnect_pre");
  await ch.inbox.waitFor(isPush("follower", (p) => p?.id === pre.id), { label: "follower before the drop" });

  // Drop the connection and wait until the client has noticed.
  holdReconnect = true;
  const closed = new Promise((resolve) => socket.onClose(resolve));
  socket.conn.close(4001, "test drop");
  await withDeadline(closed, DEADLINE_MS, "socket close after drop");
  assert.equal(socket.isConnected(), false);

  const restSeqs = [];
  for (let i = 0; i < 20; i++) {
    const r = await publishFollow(`reconnect_${i}`);
    restSeqs.push(r.seq);
  }
  for (let i = 1; i < restSeqs.length; i++) {
    assert.ok(restSeqs[i] > restSeqs[i - 1], `REST seqs strictly increasing: ${restSeqs}`);
  }

  // Let the client reconnect (its own reconnect timer) and rejoin.
  holdReconnect = false;
  const reopened = new Promise((resolve) => socket.onOpen(resolve));
  socket.reconnectTimer.scheduleTimeout();
  await withDeadline(reopened, DEADLINE_MS, "socket reopen");

  const isReconnectFollow = (m) => m.event === "follower" && /^reconnect_\d+$/.test(m.payload?.user_login ?? "");
  await ch.inbox.waitForCount(isReconnectFollow, 20, { timeout: 5000, label: "20 replayed follows" });
  await socketPing(socket);

  assert.equal(joinParams.length, 2, `one rejoin expected, join params: ${show(joinParams)}`);
  // The channel also sees the hub's own events (e.g. stream.state_updated after a follow),
  // so the last seq seen may be above the follow's; it must be below every missed follow.
  const rejoinSeq = joinParams[1].last_seq;
  assert.ok(
    Number.isInteger(rejoinSeq) && rejoinSeq >= pre.seq && rejoinSeq < restSeqs[0],
    `rejoin asks for everything after the last event seen: ${show(joinParams[1])}, pre ${pre.seq}, first missed ${restSeqs[0]}`,
  );

  const got = ch.inbox.filter(isReconnectFollow);
  assert.deepEqual(
    got.map((m) => m.payload.seq),
    restSeqs,
    "all 20 follows, exactly once, in seq order, no gaps relative to the REST replies",
  );
  assert.deepEqual(
    got.map((m) => m.payload.user_login),
    restSeqs.map((_, i) => `reconnect_${i}`),
  );

  // Nothing on the channel was delivered twice or out of order, across the reconnect.
  const all = ch.inbox.items.map(seqOf).filter(Number.isInteger);
  for (let i = 1; i < all.length; i++) {
    assert.ok(all[i] > all[i - 1], `seqs on events:all must strictly increase: ${all}`);
  }
  assert.equal(ch.inbox.filter((m) => m.payload?.id === pre.id).length, 1, "pre-drop event not replayed");
});
