// The rehearsal's judgements on hand-made records: each check passes what it should
// and names what it should not.
import { describe, expect, it } from "vitest";
import { alertCheck, captionCheck, consoleCheck, contextCheck, deliveryCheck, pairCaptions, percentile, restartCheck, rssCheck, traceCheck, wer } from "./checks.mjs";
import { chart, html, markdown, recoveryBars, timeline } from "./report.mjs";

describe("wer", () => {
  it("counts substitutions, deletions and insertions against the reference", () => {
    expect(wer("Hydrate check, everyone grab some water.", "hydrate check everyone grab some water")).toBe(0);
    expect(wer("one two three four", "one too three four")).toBe(0.25);
    expect(wer("one two three four", "one three four")).toBe(0.25);
    expect(wer("one two", "one two three four")).toBe(1);
    expect(wer("", "")).toBe(0);
  });
});

describe("percentile", () => {
  it("takes the nearest rank", () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([], 50)).toBeNull();
  });
});

describe("captions", () => {
  const spoken = [
    { text: "Welcome in everybody.", started_ms: 10_000, ended_ms: 12_000 },
    { text: "Hydrate check, everyone.", started_ms: 20_000, ended_ms: 22_000 },
    { text: "We are live.", started_ms: 30_000, ended_ms: 31_000 },
  ];

  it("pairs finals with the sentence they started in, joining a split one", () => {
    const finals = [
      { text: "Welcome in", ts: 10_200, at: 12_800 },
      { text: "everybody.", ts: 11_000, at: 13_100 },
      { text: "Hydrate check, everyone.", ts: 20_100, at: 23_000 },
      { text: "We are live.", ts: 30_300, at: 32_000 },
    ];
    const { pairs, stray } = pairCaptions(spoken, finals);
    expect(stray).toEqual([]);
    expect(pairs.map((p) => [p.finals, p.wer, p.latency_ms])).toEqual([
      [2, 0, 1100],
      [1, 0, 1000],
      [1, 0, 1000],
    ]);
    const c = captionCheck(pairs);
    expect(c.ok).toBe(true);
    expect(c.figures).toMatchObject({ spoken: 3, captioned: 3, p50: 1000, p95: 1100 });
  });

  it("fails a sentence never captioned, unless it was in flight when phononmaser was killed", () => {
    const finals = [
      { text: "Welcome in everybody.", ts: 10_100, at: 13_000 },
      { text: "We are live.", ts: 30_100, at: 32_000 },
    ];
    const { pairs } = pairCaptions(spoken, finals);
    const failed = captionCheck(pairs);
    expect(failed.ok).toBe(false);
    expect(failed.problems[0]).toMatch(/1 sentence\(s\) never captioned: "Hydrate check, everyone\."/);
    const killed = captionCheck(pairs, { inFlight: [[21_000, 23_000]] });
    expect(killed.ok).toBe(true);
    expect(killed.figures.lostInKill).toBe(1);
  });

  it("leaves a final that started after its sentence ended stray", () => {
    const finals = [
      { text: "Welcome in everybody.", ts: 10_100, at: 13_000 },
      { text: "Hydrate check, everyone.", ts: 20_100, at: 23_000 },
      { text: "We are live.", ts: 30_100, at: 32_000 },
      { text: "The music on", ts: 40_000, at: 42_000 },
    ];
    const { pairs, stray } = pairCaptions(spoken, finals);
    expect(stray.map((f) => f.text)).toEqual(["The music on"]);
    expect(pairs[2].heard).toBe("We are live.");
  });

  it("counts a sentence whose caption was due in a fault as inside it", () => {
    const finals = [
      { text: "Welcome in everybody.", ts: 10_100, at: 13_000 },
      { text: "Hydrate check, everyone.", ts: 20_100, at: 40_000 },
      { text: "We are live.", ts: 30_100, at: 32_000 },
    ];
    const { pairs } = pairCaptions(spoken, finals);
    // The link was cut a second after the sentence ended, before its caption came.
    expect(captionCheck(pairs, { faultSpans: [[23_000, 39_000]] }).ok).toBe(true);
    expect(captionCheck(pairs, { faultSpans: [[28_000, 39_000]] }).ok).toBe(false);
  });

  it("keeps sentences spoken during a fault out of the latency figures", () => {
    const finals = [
      { text: "Welcome in everybody.", ts: 10_100, at: 13_000 },
      { text: "Hydrate check, everyone.", ts: 20_100, at: 60_000 },
      { text: "We are live.", ts: 30_100, at: 32_000 },
    ];
    const { pairs } = pairCaptions(spoken, finals);
    expect(captionCheck(pairs).ok).toBe(false);
    const c = captionCheck(pairs, { faultSpans: [[19_000, 25_000]] });
    expect(c.ok).toBe(true);
    expect(c.figures.p95).toBe(1000);
  });
});

describe("alerts", () => {
  const history = [
    { id: "a1", content_type: "channel.follow", data: { user_name: "Ada" } },
    { id: "a2", content_type: "channel.raid", data: { user_name: "Bo" } },
  ];
  const expected = [
    { type: "channel.follow", user_name: "Ada" },
    { type: "channel.raid", user_name: "Bo" },
  ];

  it("passes each alert on air once and shown once", () => {
    expect(alertCheck(expected, history, ["a1", "a2"]).ok).toBe(true);
  });

  it("names an alert shown twice, one never shown, and one that never went on air", () => {
    const twice = alertCheck(expected, history, ["a1", "a2", "a2"]);
    expect(twice.problems).toEqual(["the omnibar showed a2 2 times"]);
    const unseen = alertCheck(expected, history, ["a1"]);
    expect(unseen.problems).toEqual(["a2 was on air at the hub but the omnibar never showed it"]);
    const lost = alertCheck([...expected, { type: "channel.cheer", user_name: "Cy" }], history, ["a1", "a2"]);
    expect(lost.problems).toEqual(["channel.cheer from Cy: 0 alerts on air (expected 1)"]);
  });
});

describe("delivery", () => {
  it("wants each delivered notification stored once and forgives what no session got", () => {
    const sent = [
      { type: "channel.follow", marker: "Ada", sent: 1 },
      { type: "channel.follow", marker: "Bo", sent: 0 },
      { type: "channel.chat.message", marker: "chat #1", sent: 1 },
    ];
    const marker = (r) => r.m;
    expect(deliveryCheck(sent, [{ m: "Ada" }, { m: "chat #1" }], marker).ok).toBe(true);
    const twice = deliveryCheck(sent, [{ m: "Ada" }, { m: "Ada" }, { m: "chat #1" }], marker);
    expect(twice.problems).toEqual(["channel.follow Ada: stored 2 times"]);
    expect(twice.figures.undeliverable).toBe(1);
  });
});

describe("recovery", () => {
  it("fails a part not back in time, a restart counted twice, or two copies", () => {
    const ok = { fault: "kill -9 seed", service: "seed", back_ms: 3000, bound_ms: 45_000, restarts_before: 0, restarts_after: 1, expect_restarts: 1, instances: 1 };
    expect(restartCheck([ok]).ok).toBe(true);
    expect(restartCheck([{ ...ok, back_ms: null }]).problems[0]).toMatch(/not back within 45 s/);
    expect(restartCheck([{ ...ok, restarts_after: 2 }]).problems[0]).toMatch(/counted 2 restarts/);
    expect(restartCheck([{ ...ok, instances: 2 }]).problems[0]).toMatch(/2 copies of seed/);
  });
});

describe("memory", () => {
  const series = (f) => Array.from({ length: 120 }, (_, i) => ({ t: i * 2000, rss: f(i), pid: 7 }));
  it("lets a process settle and then holds it to its bound", () => {
    const MiB = 1024 * 1024;
    expect(rssCheck({ hub: series(() => 100 * MiB) }).ok).toBe(true);
    // A slow leak of 2 MiB every sample: 120 MiB over the run.
    const leak = rssCheck({ hub: series((i) => (100 + 2 * i) * MiB) });
    expect(leak.ok).toBe(false);
    expect(leak.problems[0]).toMatch(/^hub \(pid 7\) grew/);
    // A restarted process is judged per lifetime: a fresh pid starting lower is no leak.
    const restarted = series(() => 300 * MiB).concat(series(() => 100 * MiB).map((s) => ({ ...s, t: s.t + 400_000, pid: 8 })));
    expect(rssCheck({ seed: restarted }).ok).toBe(true);
    // A lifetime too short to settle is counted, not judged.
    const brief = rssCheck({ hub: series((i) => (100 + 5 * i) * 1024 * 1024).slice(0, 20) });
    expect(brief.ok).toBe(true);
    expect(brief.figures.short).toBe(1);
  });
});

describe("contexts", () => {
  it("allows a short gap (a restart) but not a long silence", () => {
    const at = (s) => ({ started_ms: s * 1000 });
    const opts = { from: 0, to: 200_000, windowMs: 20_000 };
    expect(contextCheck([0, 20, 40, 100, 120, 140, 160, 180].map(at), opts).ok).toBe(true);
    const quiet = contextCheck([0, 20].map(at), opts);
    expect(quiet.ok).toBe(false);
    expect(quiet.problems[0]).toMatch(/^8 windows in a row/);
  });
});

describe("consoles", () => {
  it("forgives the browser's network messages while the hub restarts, nothing else", () => {
    const entries = [
      { page: "omnibar", t: 1500, text: "WebSocket connection to 'ws://127.0.0.1:1/socket/websocket' failed" },
      { page: "chat", t: 9000, text: "TypeError: x is undefined" },
    ];
    const c = consoleCheck(entries, [[1000, 2000]]);
    expect(c.ok).toBe(false);
    expect(c.problems).toEqual(["chat: TypeError: x is undefined"]);
    expect(consoleCheck(entries.slice(0, 1), [[1000, 2000]]).ok).toBe(true);
    expect(consoleCheck(entries.slice(0, 1), []).ok).toBe(false);
  });
});

describe("correlation", () => {
  const log = [
    '2026-12-05T21:00:00Z stderr {"timestamp":"t1","level":"DEBUG","message":"EventSub notification","correlation_id":"m-1","event_type":"channel.follow"}',
    '2026-12-05T21:00:00Z stderr {"timestamp":"t2","level":"DEBUG","message":"event published","correlation_id":"m-1","seq":4}',
    '2026-12-05T21:00:00Z stderr {"timestamp":"t3","level":"INFO","message":"alert queued","alert":"a9","event_id":"m-1","style":"follow"}',
    "2026-12-05T21:00:00Z stderr not json at all",
    '2026-12-05T21:00:00Z stderr {"timestamp":"t4","level":"INFO","message":"alert on air","alert":"a9","event_id":"m-1"}',
  ];
  it("follows one Twitch message to the overlay", () => {
    const c = traceCheck(log, "m-1", ["a9"]);
    expect(c.problems).toEqual([]);
    expect(c.figures.alert).toBe("a9");
  });
  it("names the hop that is missing", () => {
    const c = traceCheck([log[0], log[2], log[4]], "m-1", ["a9"]);
    expect(c.problems).toEqual(['no "event published" line for m-1 in the hub\'s log']);
    expect(traceCheck(log, "m-1", []).problems).toEqual(["the omnibar's list does not have alert a9"]);
  });
});

describe("report", () => {
  it("draws the plots as SVG and lists every check", () => {
    const svg = chart({ title: "RSS <MiB>", series: [{ name: "hub", points: [[0, 10], [5, 12]] }], faults: [{ t: 2, label: "kill" }], xMax: 10, yLabel: "MiB" });
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain("RSS &lt;MiB&gt;");
    expect(svg).toContain('<path d="M');
    expect(timeline({ title: "t", lanes: [{ name: "sent", marks: [{ t: 1, type: "follow" }] }], xMax: 10 })).toContain("<rect");
    expect(recoveryBars({ title: "r", recoveries: [{ fault: "f", service: "s", t: 1, back_ms: null, bound_ms: 1000 }], xMax: 10 })).toContain("not back");
    const run = {
      started_iso: "x",
      minutes: 2,
      machine: "m",
      parts: ["hub"],
      faults: [{ t: 1, label: "kill -9 seed" }],
      checks: [
        { name: "alerts", ok: true, summary: "3 alerts", problems: [] },
        { name: "captions", ok: false, summary: "1/2", problems: ["a sentence"] },
      ],
    };
    const md = markdown(run);
    expect(md).toContain("| pass | alerts | 3 alerts |");
    expect(md).toContain("| **FAIL** | captions | 1/2 |");
    expect(md).toContain("- captions: a sentence");
    expect(html(run, [{ heading: "Memory", caption: "c", svg }])).toContain("<h2>Memory</h2>");
  });
});
