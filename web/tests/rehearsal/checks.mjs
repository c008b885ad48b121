// The rehearsal's judgements, as pure functions of what it recorded: each returns
// `{ name, ok, summary, details }` so the report lists them the same way. Unit tests:
// checks.test.mjs (Vitest).

/** Lower-case words without punctuation ("Okay, that's" → ["okay", "that's"]). */
export function words(text) {
  return String(text)
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, " ")
    .split(/\s+/)
    .filter(Boolean);
}

/** Word error rate of `hyp` against `ref`: (substitutions + deletions + insertions) / words of ref. */
export function wer(ref, hyp) {
  const r = words(ref);
  const h = words(hyp);
  if (r.length === 0) return h.length === 0 ? 0 : 1;
  let prev = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= r.length; i++) {
    const cur = [i];
    for (let j = 1; j <= h.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r[i - 1] === h[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[h.length] / r.length;
}

/** The `p`th percentile (0–100) of `xs` by nearest rank; null when empty. */
export function percentile(xs, p) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

/** Is `t` (ms) inside any of `spans` ([from, to] ms)? */
export const inSpans = (t, spans) => spans.some(([a, b]) => t >= a && t <= b);

/**
 * Pair each spoken sentence with the finals recognised from it. A final belongs to
 * the last sentence that started before its own start (`ts`, ms) plus `slackMs`, if
 * it started before that sentence ended (plus `slackMs`); two finals on one sentence
 * are joined. Others are stray (speech the journal does not have, such as a sentence
 * cut off when the voice stopped). `sentences`: [{text, started_ms, ended_ms}];
 * `finals`: [{text, ts, at?}] (`at`: when it reached the hub's socket, ms).
 */
export function pairCaptions(sentences, finals, slackMs = 1500) {
  const spoken = [...sentences].sort((a, b) => a.started_ms - b.started_ms);
  const heard = spoken.map(() => []);
  const stray = [];
  for (const f of [...finals].sort((a, b) => a.ts - b.ts)) {
    let k = -1;
    for (let i = 0; i < spoken.length; i++) if (spoken[i].started_ms <= f.ts + slackMs) k = i;
    if (k < 0 || f.ts > spoken[k].ended_ms + slackMs) stray.push(f);
    else heard[k].push(f);
  }
  return {
    pairs: spoken.map((s, i) => {
      const fs = heard[i];
      const text = fs.map((f) => f.text).join(" ");
      const arrivals = fs.map((f) => f.at).filter((a) => typeof a === "number");
      const last = arrivals.length === fs.length && fs.length ? Math.max(...arrivals) : null;
      return {
        sentence: s.text,
        heard: text,
        finals: fs.length,
        wer: fs.length ? wer(s.text, text) : 1,
        latency_ms: last === null ? null : last - s.ended_ms,
        started_ms: s.started_ms,
        ended_ms: s.ended_ms,
      };
    }),
    stray,
  };
}

/**
 * Every spoken sentence captioned, the mean WER under `maxWer`, latency p50/p95 of
 * the sentences spoken outside a fault (`faultSpans`; a sentence whose caption was due
 * within `dueMs` of its end during a fault counts as inside) under `maxP95Ms`. A sentence
 * spoken just before phononmaser was killed (`inFlight`) may be lost with it: it is
 * counted apart, not failed.
 */
export function captionCheck(pairs, { faultSpans = [], inFlight = [], maxWer = 0.35, maxP95Ms = 10_000, dueMs = 5000 } = {}) {
  const lostInKill = pairs.filter((p) => p.finals === 0 && inSpans(p.ended_ms, inFlight));
  const missing = pairs.filter((p) => p.finals === 0 && !inSpans(p.ended_ms, inFlight));
  const heard = pairs.filter((p) => p.finals > 0);
  const meanWer = heard.length ? heard.reduce((a, p) => a + p.wer, 0) / heard.length : 1;
  const hit = (p) => faultSpans.some(([a, b]) => p.ended_ms <= b && p.ended_ms + dueMs >= a);
  const clean = heard.filter((p) => p.latency_ms !== null && !hit(p));
  const lat = clean.map((p) => p.latency_ms);
  const p50 = percentile(lat, 50);
  const p95 = percentile(lat, 95);
  const problems = [];
  if (!pairs.length) problems.push("nothing was spoken");
  if (missing.length) problems.push(`${missing.length} sentence(s) never captioned: ${missing.map((p) => JSON.stringify(p.sentence)).join(", ")}`);
  if (meanWer > maxWer) problems.push(`mean WER ${meanWer.toFixed(2)} above ${maxWer}`);
  if (p95 === null) problems.push("no caption latency measured outside the faults");
  else if (p95 > maxP95Ms) problems.push(`caption latency p95 ${p95} ms above ${maxP95Ms} ms`);
  return {
    name: "captions",
    ok: problems.length === 0,
    summary:
      `${heard.length}/${pairs.length} sentences captioned` +
      (lostInKill.length ? ` (${lostInKill.length} in flight when phononmaser was killed)` : "") +
      `, mean WER ${meanWer.toFixed(2)}, latency p50 ${p50 ?? "–"} ms, p95 ${p95 ?? "–"} ms (${clean.length} outside faults)`,
    problems,
    figures: { spoken: pairs.length, captioned: heard.length, lostInKill: lostInKill.length, meanWer, p50, p95 },
  };
}

/**
 * Every alert the hub put on screen was shown by the omnibar exactly once, and every
 * alert-worthy notification Twitch delivered became exactly one alert.
 * `expected`: [{key, user_name}] the alerts the script caused (a follow, a cheer, a
 * raid, a gift bomb), delivered to the hub; `history`: the hub's queue history
 * ([{id, content_type, data}]); `shownIds`: the page's own list.
 */
export function alertCheck(expected, history, shownIds) {
  const problems = [];
  const byId = new Map();
  for (const h of history) byId.set(h.id, (byId.get(h.id) ?? 0) + 1);
  const shown = new Map();
  for (const id of shownIds) shown.set(id, (shown.get(id) ?? 0) + 1);
  for (const [id, n] of byId) if (n > 1) problems.push(`the hub's history has ${id} ${n} times`);
  for (const [id, n] of shown) {
    if (n > 1) problems.push(`the omnibar showed ${id} ${n} times`);
    if (!byId.has(id)) problems.push(`the omnibar showed ${id}, which the hub's history does not have`);
  }
  for (const id of byId.keys()) if (!shown.has(id)) problems.push(`${id} was on air at the hub but the omnibar never showed it`);
  for (const e of expected) {
    const hits = history.filter((h) => h.content_type === e.type && h.data?.user_name === e.user_name);
    if (hits.length !== 1) problems.push(`${e.type} from ${e.user_name}: ${hits.length} alerts on air (expected 1)`);
  }
  return {
    name: "alerts",
    ok: problems.length === 0,
    summary: `${expected.length} alerts caused, ${byId.size} on air at the hub, ${shown.size} shown by the omnibar (${shownIds.length} shows)`,
    problems,
    figures: { expected: expected.length, onAir: byId.size, shown: shown.size, shows: shownIds.length },
  };
}

/**
 * Every notification Twitch delivered was stored once. `sent`: [{type, marker, sent}]
 * (`sent`: how many sessions the fake handed it to; 0 when no session was up, which
 * real Twitch drops too); `stored`: the activity rows ([{event_type, ...}]);
 * `markerOf(row)` the same marker of a stored row.
 */
export function deliveryCheck(sent, stored, markerOf) {
  const counts = new Map();
  for (const r of stored) {
    const m = markerOf(r);
    if (m) counts.set(m, (counts.get(m) ?? 0) + 1);
  }
  const delivered = sent.filter((s) => s.sent > 0);
  const undeliverable = sent.length - delivered.length;
  const problems = [];
  for (const s of delivered) {
    const n = counts.get(s.marker) ?? 0;
    if (n !== 1) problems.push(`${s.type} ${s.marker}: stored ${n} times`);
  }
  return {
    name: "twitch delivery",
    ok: problems.length === 0,
    summary: `${delivered.length} notifications delivered, each stored once: ${problems.length === 0 ? "yes" : "no"}; ${undeliverable} sent while no EventSub session was up (Twitch drops those too)`,
    problems: problems.slice(0, 20).concat(problems.length > 20 ? [`… and ${problems.length - 20} more`] : []),
    figures: { sent: sent.length, delivered: delivered.length, undeliverable },
  };
}

/**
 * Each fault recovered within its bound. `recoveries`: [{fault, service, back_ms,
 * bound_ms, restarts_before, restarts_after, expect_restarts, instances}].
 */
export function restartCheck(recoveries) {
  const problems = [];
  for (const r of recoveries) {
    if (r.back_ms === null) problems.push(`${r.fault}: ${r.service} not back within ${r.bound_ms / 1000} s`);
    else if (r.back_ms > r.bound_ms) problems.push(`${r.fault}: ${r.service} back after ${r.back_ms} ms (bound ${r.bound_ms} ms)`);
    if (r.expect_restarts !== undefined && r.restarts_after - r.restarts_before !== r.expect_restarts)
      problems.push(`${r.fault}: nurvus counted ${r.restarts_after - r.restarts_before} restarts of ${r.service} (expected ${r.expect_restarts})`);
    if (r.instances !== undefined && r.instances !== 1) problems.push(`${r.fault}: ${r.instances} copies of ${r.service} running afterwards`);
  }
  return {
    name: "recovery",
    ok: problems.length === 0,
    summary: recoveries.map((r) => `${r.fault}: ${r.back_ms === null ? "not back" : `${(r.back_ms / 1000).toFixed(1)} s`}`).join("; "),
    problems,
    figures: { recoveries },
  };
}

/**
 * RSS of each process instance over time: its last sample against its settled level
 * (the median of its samples from `settleMs` after it started, when its models are
 * loaded and its first work done, to the middle of its life) may grow by at most
 * `max(fraction × settled, floorBytes)`. A lifetime with fewer than `minSamples`
 * samples after settling is too short to judge (counted). `series`:
 * {label: [{t, rss, pid}]}; an instance is one pid.
 */
export function rssCheck(series, { settleMs = 60_000, fraction = 0.3, floorBytes = 48 * 1024 * 1024, minSamples = 8 } = {}) {
  const problems = [];
  const rows = [];
  let short = 0;
  for (const [label, samples] of Object.entries(series)) {
    const byPid = new Map();
    for (const s of samples) {
      if (!byPid.has(s.pid)) byPid.set(s.pid, []);
      byPid.get(s.pid).push(s);
    }
    for (const [pid, xs] of byPid) {
      const t0 = xs[0].t;
      const life = xs.filter((s) => s.t >= t0 + settleMs);
      if (life.length < minSamples) {
        short++;
        continue;
      }
      const half = life.slice(0, Math.max(1, Math.floor(life.length / 2)));
      const settled = percentile(
        half.map((s) => s.rss),
        50,
      );
      const last = life[life.length - 1].rss;
      const peak = Math.max(...life.map((s) => s.rss));
      const bound = Math.max(settled * fraction, floorBytes);
      const grew = last - settled;
      rows.push({ label, pid, settled, last, peak, grew, bound });
      if (grew > bound) problems.push(`${label} (pid ${pid}) grew ${mb(grew)} from ${mb(settled)} (bound ${mb(bound)})`);
    }
  }
  return {
    name: "memory",
    ok: problems.length === 0,
    summary: `${rows.length} process lifetimes judged (${short} too short after a restart); largest growth once settled ${rows.length ? mb(Math.max(...rows.map((r) => r.grew))) : "–"}; bound max(${fraction * 100}%, ${mb(floorBytes)})`,
    problems,
    figures: { rows, fraction, floorBytes, short },
  };
}

export const mb = (b) => `${(b / (1024 * 1024)).toFixed(1)} MiB`;

/**
 * Contexts from seed in each window of the run: no stretch longer than `maxGapWindows`
 * windows without one (seed's restart and a cut link may cost a window or two).
 * `contexts`: [{started_ms}]; [from, to]: the part of the run seed was expected to
 * work in.
 */
export function contextCheck(contexts, { from, to, windowMs, maxGapWindows = 3 }) {
  const buckets = [];
  for (let t = from; t < to; t += windowMs) {
    buckets.push({ from: t, count: contexts.filter((c) => c.started_ms >= t && c.started_ms < t + windowMs).length });
  }
  let gap = 0;
  let worst = 0;
  for (const b of buckets) {
    gap = b.count ? 0 : gap + 1;
    worst = Math.max(worst, gap);
  }
  const problems = [];
  if (!contexts.length) problems.push("seed made no context");
  if (worst > maxGapWindows) problems.push(`${worst} windows in a row without a context (bound ${maxGapWindows})`);
  return {
    name: "contexts",
    ok: problems.length === 0,
    summary: `${contexts.length} contexts over ${buckets.length} windows of ${windowMs / 1000} s; longest stretch without one: ${worst} windows`,
    problems,
    figures: { buckets, worst },
  };
}

/**
 * No error in any page: uncaught exceptions and `console.error` from the pages' code
 * fail; the browser's own network messages ("WebSocket connection … failed",
 * "net::ERR_…") are expected while the hub restarts (`expectedSpans`) and only listed.
 */
export function consoleCheck(entries, expectedSpans = []) {
  const network = (e) => /WebSocket connection to|net::ERR_|Failed to load resource/.test(e.text);
  const expected = entries.filter((e) => network(e) && inSpans(e.t, expectedSpans));
  const bad = entries.filter((e) => !expected.includes(e));
  return {
    name: "page consoles",
    ok: bad.length === 0,
    summary: `${bad.length} errors in the pages; ${expected.length} network messages while the hub was restarting (expected)`,
    problems: bad.slice(0, 20).map((e) => `${e.page}: ${e.text}`),
    figures: { errors: bad.length, expected: expected.length },
  };
}

/**
 * One alert followed through the hub's JSON log by its Twitch message id (`traceId`):
 * the notification, the event published, the alert queued (its alert id), the alert on
 * air, and the omnibar's own list showing that alert. `lines`: the log, one JSON object
 * per line (anything before the first `{` is the log file's prefix).
 */
export function traceCheck(lines, traceId, shownIds) {
  const records = lines
    .map((l) => {
      const i = l.indexOf("{");
      try {
        return i < 0 ? null : JSON.parse(l.slice(i));
      } catch {
        return null;
      }
    })
    .filter(Boolean);
  const mine = (r) => r.correlation_id === traceId || r.event_id === traceId;
  const find = (message, also = () => true) => records.find((r) => r.message === message && also(r));
  const hops = [
    ["EventSub notification", find("EventSub notification", mine)],
    ["event published", find("event published", mine)],
    ["alert queued", find("alert queued", mine)],
  ];
  const alert = hops[2][1]?.alert;
  hops.push(["alert on air", alert ? find("alert on air", (r) => r.alert === alert) : undefined]);
  const shown = alert !== undefined && shownIds.includes(alert);
  const problems = hops.filter(([, r]) => !r).map(([h]) => `no "${h}" line for ${traceId} in the hub's log`);
  if (!shown) problems.push(`the omnibar's list does not have alert ${alert ?? "(none queued)"}`);
  return {
    name: "correlation",
    ok: problems.length === 0,
    summary: `Twitch message ${traceId}: ${hops.map(([h, r]) => `${h} ${r ? "✓" : "✗"}`).join(", ")}, shown by the omnibar ${shown ? "✓" : "✗"}${alert ? ` (alert ${alert})` : ""}`,
    problems,
    figures: { alert, hops: hops.map(([h, r]) => ({ hop: h, at: r?.timestamp ?? null })) },
  };
}
