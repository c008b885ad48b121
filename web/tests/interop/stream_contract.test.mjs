// The stream producer's contract from a browser client's side: every stream_state
// and queue_state push the official phoenix client receives matches the JSON
// Schemas in docs/schema (the same files the Rust tests check).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import {
  itest,
  connectSocket,
  recordedChannel,
  joinOk,
  reply,
  publishFollow,
  TOKEN,
} from "./helpers.mjs";

const schemaDir = new URL("../../../docs/schema/", import.meta.url);
const ajv = new Ajv2020({ allErrors: true, strict: true });
const validState = ajv.compile(JSON.parse(readFileSync(new URL("stream_state.schema.json", schemaDir))));
const validQueue = ajv.compile(JSON.parse(readFileSync(new URL("queue_state.schema.json", schemaDir))));

function assertValid(validate, payload, what) {
  const ok = validate(payload);
  assert.ok(ok, `${what} breaks its schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(payload)}`);
}

const names = (state) => state.alerts.map((a) => a.data.user_name);

itest("stream_state and queue_state pushes match the schemas", async (t) => {
  const socket = await connectSocket(t); // overlays read without the token
  const overlay = recordedChannel(socket, "stream:overlays", { overlay_type: "omnibar" });
  const queue = recordedChannel(socket, "stream:queue", {});
  await joinOk(overlay);
  await joinOk(queue);
  const first = await overlay.inbox.waitFor((m) => m.event === "stream_state", { label: "stream_state on join" });
  assertValid(validState, first.payload, "stream_state on join");
  assert.equal(first.payload.base?.layer, "background", "the first push carries layers");
  const q0 = await queue.inbox.waitFor((m) => m.event === "queue_state", { label: "queue_state on join" });
  assertValid(validQueue, q0.payload, "queue_state on join");

  const login = `contract${Date.now() % 100000}`;
  await publishFollow(login);
  const withAlert = await overlay.inbox.waitFor(
    (m) => m.event === "stream_state" && m.payload.alerts.some((a) => a.data.user_login === login),
    { label: `stream_state with ${login}'s alert` },
  );
  const alert = withAlert.payload.alerts.find((a) => a.data.user_login === login);
  assert.equal(alert.layer, "foreground");
  assert.equal(alert.data.type, "channel.follow");
  await queue.inbox.waitFor(
    (m) => m.event === "queue_state" && m.payload.queue.some((i) => i.data.user_login === login),
    { label: "queue_state with the alert" },
  );
  for (const m of overlay.inbox.filter((m) => m.event === "stream_state")) {
    assertValid(validState, m.payload, "stream_state");
  }
  for (const m of queue.inbox.filter((m) => m.event === "queue_state")) {
    assertValid(validQueue, m.payload, "queue_state");
  }
  const versions = overlay.inbox
    .filter((m) => m.event === "stream_state")
    .map((m) => m.payload.metadata.state_version);
  assert.ok(versions.every((v, i) => i === 0 || v > versions[i - 1]), `versions rise: ${versions}`);
  assert.ok(names(withAlert.payload).length >= 1);
});

itest("queue controls need the token; with it they round-trip", async (t) => {
  const anon = await connectSocket(t);
  const q = recordedChannel(anon, "stream:queue", {});
  await joinOk(q);
  const denied = await reply(q.push("pause_queue", {}), "pause_queue without a token");
  assert.equal(denied.status, "error");
  assert.equal(denied.response.error.code, "unauthorized");

  const ctl = await connectSocket(t, { params: { token: TOKEN } });
  const cq = recordedChannel(ctl, "stream:queue", {});
  await joinOk(cq);
  const paused = await reply(cq.push("pause_queue", {}), "pause_queue");
  assert.equal(paused.status, "ok", JSON.stringify(paused.response));
  assert.equal(paused.response.data.operation, "queue_paused");
  const state = await cq.inbox.waitFor((m) => m.event === "queue_state" && m.payload.is_paused === true, {
    label: "queue_state paused",
  });
  assertValid(validQueue, state.payload, "paused queue_state");
  const resumed = await reply(cq.push("resume_queue", {}), "resume_queue");
  assert.equal(resumed.response.data.operation, "queue_resumed");
  await cq.inbox.waitFor((m) => m.event === "queue_state" && m.payload.is_paused === false, {
    label: "queue_state resumed",
  });
});
