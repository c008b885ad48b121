// The dashboard's Stream context panel in Chromium against a real landale and a real
// seed: the live analysis under "Now", a stored context with what it was built from,
// a question answered from the data with its sources, and words when seed is away.

import { test } from "node:test";
import assert from "node:assert/strict";
import { browserRig, freePort, publishEvent, SEED_BIN, startSeed, subscribe } from "./harness.mjs";

test("dashboard: stream context, its sources, and questions", { timeout: 120_000 }, async (t) => {
  if (!SEED_BIN) return t.skip("SEED_BIN is not set: run through cargo xtask test");
  const seedPort = await freePort();
  const rig = await browserRig(t, { env: { SEED_HEALTH_URL: `http://127.0.0.1:${seedPort}/health` } });
  if (!rig) return;
  const { hub, errors } = rig;
  const seed = await startSeed(hub, seedPort);
  t.after(() => seed.stop().catch(() => {}));

  const dash = await rig.page({ width: 1400, height: 1400 });
  await dash.goto(`${hub.base}/dashboard`);
  const panel = dash.getByTestId("context-panel");
  await panel.waitFor();
  await panel.getByText("No context stored yet").waitFor();

  // A context as seed stores it: the panel shows it and where it came from.
  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString();
  const stored = await hub.post("/api/contexts", {
    started: iso(now - 120_000), ended: iso(now), session: "stream_e2e", transcript: "we beat the gym leader",
    duration: 120, sentiment: "positive", topics: ["gym leader"], idempotency_key: "seed:e2e:1",
    summary: "The gym leader went down and chat celebrated.", analysis: "llm", analysis_source: { llm: { model: "qwen" } },
    sources: { transcriptions: [{ seq: 3, id: "t", at: iso(now - 60_000) }], chat: [{ seq: 4, id: "c1", at: iso(now - 50_000) }, { seq: 5, id: "c2", at: iso(now - 40_000) }], events: [] },
  });
  assert.equal(stored.status, 201, JSON.stringify(stored.body));
  await panel.getByText("The gym leader went down and chat celebrated.").waitFor();
  assert.equal(await panel.getByTestId("context-sources").first().textContent(), "1 line, 2 chat messages, 0 events · summed up by qwen");

  // The live analysis, as seed publishes it every interval.
  const published = await hub.post("/api/events", {
    type: "seed.analysis",
    data: { summary: "Chat is cheering a close fight.", analysis: "deterministic", sentiment: "positive", topics: ["fight"], reason: "no LLM configured" },
  });
  assert.equal(published.status, 200, JSON.stringify(published.body));
  await panel.getByTestId("context-now-summary").getByText("Chat is cheering a close fight.").waitFor();

  // A counting question, answered by seed from the hub's data, with its sources.
  await publishEvent(hub, "channel.subscribe", subscribe("Ann"));
  await publishEvent(hub, "channel.subscribe", subscribe("Bo"));
  await dash.getByTestId("context-ask-input").fill("How many subs today?");
  await dash.getByTestId("context-ask").click();
  const answer = dash.getByTestId("context-answer-text");
  await answer.waitFor();
  assert.match(await answer.textContent(), /^2 new subscriptions/);
  assert.match(await dash.getByTestId("context-answer-sources").textContent(), /\/api\/activity\/stats/);

  // seed stopped: the question gets words, not a spinner.
  await seed.stop();
  await dash.getByTestId("context-ask").click();
  await dash.getByTestId("context-answer-error").waitFor();
  assert.match(await dash.getByTestId("context-answer-error").textContent(), /seed is not reachable/);
  assert.deepEqual(errors, []);
});
