// Interop tests for the Phoenix v1 wire format (JSON object frames
// `{topic, event, payload, ref}`, no `vsn` query parameter), spoken directly
// over `ws`, against the Landale hub.

import assert from "node:assert/strict";
import {
  TOKEN,
  itest,
  RawV1Client,
  tryUpgrade,
  publishFollow,
  assertHubEvent,
  isUuid,
  randomUUID,
  show,
} from "./helpers.mjs";

const V1_KEYS = ["event", "payload", "ref", "topic"];

function assertV1Frame(frame) {
  assert.ok(frame && typeof frame === "object" && !Array.isArray(frame), `v1 frame must be an object: ${show(frame)}`);
  assert.deepEqual(Object.keys(frame).sort(), V1_KEYS, `v1 frame keys: ${show(frame)}`);
}

function transcription(text) {
  return {
    timestamp: new Date().toISOString(),
    duration: 1.5,
    text,
    source_id: "phononmaser",
    confidence: 0.9,
  };
}

itest("v1: join, heartbeat and reply frames have exactly the v1 shape", async (t) => {
  const c = await RawV1Client.connect(t);

  const join = await c.request("events:all", "phx_join", {}, { ref: "1" });
  assertV1Frame(join);
  assert.equal(join.topic, "events:all");
  assert.equal(join.event, "phx_reply");
  assert.equal(join.ref, "1");
  assert.deepEqual(Object.keys(join.payload).sort(), ["response", "status"]);
  assert.equal(join.payload.status, "ok");
  assert.ok(Number.isInteger(join.payload.response.seq), `join response.seq: ${show(join)}`);

  const hb = await c.request("phoenix", "heartbeat", {}, { ref: "2" });
  assert.deepEqual(hb, { topic: "phoenix", event: "phx_reply", payload: { status: "ok", response: {} }, ref: "2" });

  const ping = await c.request("events:all", "ping", {}, { ref: "3" });
  assertV1Frame(ping);
  assert.equal(ping.payload.status, "ok");
  assert.equal(ping.payload.response.data.pong, true);

  for (const { frame, raw } of c.inbox.items) {
    assert.ok(!raw.trimStart().startsWith("["), `v1 socket sent an array frame: ${raw}`);
    assertV1Frame(frame);
  }
});

itest("v1: a broadcast is a 4-key object with ref null", async (t) => {
  const c = await RawV1Client.connect(t);
  const join = await c.request("events:all", "phx_join", {});
  assert.equal(join.payload.status, "ok");

  const pub = await publishFollow("v1_broadcast");
  const frame = await c.waitForPush("events:all", "follower", (p) => p?.id === pub.id);
  assertV1Frame(frame);
  assert.equal(frame.topic, "events:all");
  assert.equal(frame.event, "follower");
  assert.equal(frame.ref, null);
  assertHubEvent(frame.payload, "channel.follow");
  assert.equal(frame.payload.seq, pub.seq);
  assert.equal(frame.payload.user_login, "v1_broadcast");
});

itest("v1: joining the same topic twice replaces the first join (event arrives once)", async (t) => {
  const c = await RawV1Client.connect(t);
  const first = await c.request("events:all", "phx_join", {}, { ref: "1" });
  assert.equal(first.payload.status, "ok", show(first));
  const second = await c.request("events:all", "phx_join", {}, { ref: "2" });
  assert.equal(second.payload.status, "ok", show(second));
  assert.ok(Number.isInteger(second.payload.response.seq));

  const a = await publishFollow("v1_double_a");
  const b = await publishFollow("v1_double_b");
  await c.waitForPush("events:all", "follower", (p) => p?.id === b.id);
  await c.heartbeat(); // barrier: frames queued before the reply have been received

  const followers = c.pushes("events:all", "follower");
  assert.equal(followers.filter((f) => f.payload.id === a.id).length, 1, `event A: ${show(followers)}`);
  assert.equal(followers.filter((f) => f.payload.id === b.id).length, 1, `event B: ${show(followers)}`);
  assert.deepEqual(
    followers.map((f) => f.payload.seq),
    [a.seq, b.seq],
  );
});

itest("v1: joining an unknown topic replies error `unmatched topic`", async (t) => {
  const c = await RawV1Client.connect(t);
  const r = await c.request("nope:1", "phx_join", {}, { ref: "7" });
  assert.deepEqual(r, {
    topic: "nope:1",
    event: "phx_reply",
    payload: { status: "error", response: { reason: "unmatched topic" } },
    ref: "7",
  });
  // the socket itself stays usable
  const hb = await c.heartbeat();
  assert.equal(hb.payload.status, "ok");
});

itest("v1: submit_transcription with ?token= is accepted and broadcast", async (t) => {
  const c = await RawV1Client.connect(t, { query: { token: TOKEN } });
  const join = await c.request("transcription:live", "phx_join", {});
  assert.equal(join.payload.status, "ok", show(join));
  assert.ok(Number.isInteger(join.payload.response.seq));

  const established = await c.waitForPush("transcription:live", "connection_established");
  assertV1Frame(established);
  assert.equal(established.ref, null);
  assert.equal(established.payload.type, "transcription:live");
  assert.equal(established.payload.status, "connected");

  const text = `hello chat ${randomUUID()}`;
  const r = await c.request("transcription:live", "submit_transcription", transcription(text));
  assertV1Frame(r);
  assert.equal(r.payload.status, "ok", show(r));
  assert.ok(isUuid(r.payload.response.transcription_id), show(r));

  const pushed = await c.waitForPush("transcription:live", "new_transcription", (p) => p?.text === text);
  assertV1Frame(pushed);
  assert.equal(pushed.ref, null);
});

itest("v1: submit_transcription without a token is unauthorized", async (t) => {
  const anon = await RawV1Client.connect(t);
  const join = await anon.request("transcription:live", "phx_join", {});
  assert.equal(join.payload.status, "ok", show(join));

  const rejectedText = `unauthorized ${randomUUID()}`;
  const r = await anon.request("transcription:live", "submit_transcription", transcription(rejectedText));
  assert.equal(r.payload.status, "error", show(r));
  assert.equal(r.payload.response.reason, "unauthorized");

  // Signal: an authorized submission made afterwards reaches the anonymous subscriber.
  const authed = await RawV1Client.connect(t, { query: { token: TOKEN } });
  const authedJoin = await authed.request("transcription:live", "phx_join", {});
  assert.equal(authedJoin.payload.status, "ok", show(authedJoin));
  const sentinelText = `sentinel ${randomUUID()}`;
  const ok = await authed.request("transcription:live", "submit_transcription", transcription(sentinelText));
  assert.equal(ok.payload.status, "ok", show(ok));
  await anon.waitForPush("transcription:live", "new_transcription", (p) => p?.text === sentinelText);
  await anon.heartbeat();

  const texts = anon.pushes("transcription:live", "new_transcription").map((f) => f.payload.text);
  assert.ok(!texts.includes(rejectedText), `rejected transcription was broadcast: ${show(texts)}`);
});

itest("v1: origin check allows a missing Origin header", async (t) => {
  const c = await RawV1Client.connect(t);
  const hb = await c.heartbeat();
  assert.equal(hb.payload.status, "ok");
});

itest("v1: origin check allows http://localhost:5173", async (t) => {
  const c = await RawV1Client.connect(t, { origin: "http://localhost:5173" });
  const hb = await c.heartbeat();
  assert.equal(hb.payload.status, "ok");
});

itest("v1: origin check refuses http://evil.example with 403", async () => {
  const denied = await tryUpgrade("http://evil.example");
  assert.equal(denied.opened, false, "upgrade from a foreign origin must be refused");
  assert.equal(denied.statusCode, 403);

  // control: the same probe without an Origin header does upgrade
  const control = await tryUpgrade(undefined);
  assert.equal(control.opened, true, "probe without Origin must upgrade");
});
