// The rehearsal: a compressed streaming evening against the real parts, with the
// faults that hurt live, checked and reported. Run by `cargo xtask rehearsal
// [--minutes N]`, which builds the programs and passes their paths.
//
// Two machines, as the README's two-machine setup has them: the services host (its
// nurvus supervising the hub and seed) and the streaming PC (its nurvus supervising
// phononmaser and the voice), joined by a link (link.mjs) that can be cut. Beside
// them: real OBS streaming to a local RTMP ingest, the fake Twitch sending the
// evening over EventSub, the fake Rainwave, an IronMON run replayed, and Chromium with
// the omnibar, captions and chat overlays. The script (SCRIPT below) is fractions of
// the run, so a short CI run and a long one see the same evening.
//
// Output: <out>/report.md, <out>/report.html, <out>/run.json; exit 1 when a check fails.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import {
  LANDALE_BIN,
  NURVUS_BIN,
  SEED_BIN,
  chat,
  follow,
  freePort,
  launchChromium,
  missing,
  obsRequest,
  onPath,
  replayIronmon,
  startFakeRainwave,
  startFakeTwitch,
  startObs,
  subscribe,
  waitPort,
} from "../e2e/harness.mjs";
import { startLink } from "./link.mjs";
import { alertCheck, captionCheck, consoleCheck, contextCheck, deliveryCheck, pairCaptions, restartCheck, rssCheck, traceCheck } from "./checks.mjs";
import { chart, html, markdown, recoveryBars, timeline } from "./report.mjs";

const { values: opts } = parseArgs({
  options: {
    minutes: { type: "string", default: "4" },
    out: { type: "string", default: "rehearsal" },
  },
});
const MINUTES = Number(opts.minutes);
if (!(MINUTES >= 1.5)) {
  console.error("rehearsal: --minutes must be at least 1.5 (the faults need room)");
  process.exit(2);
}
const RUN_MS = MINUTES * 60_000;
const OUT = resolve(opts.out);
const PHONONMASER_BIN = process.env.PHONONMASER_BIN || "";
const DEMO_VOICE_BIN = process.env.DEMO_VOICE_BIN || "";
const WHISPER_MODEL = process.env.WHISPER_MODEL_PATH || "";
const LLM_MODEL = process.env.REHEARSAL_LLM_MODEL || "";
const TOKEN = "rehearsal-token-0123456789abcdef";
const OBS_PASSWORD = "rehearsal-obs";
/** seed's window: its shortest, so a few minutes hold several. */
const WINDOW_S = 30;
/** How long a killed service may take to be back (nurvus's first backoff is 1 s; the rest is loading a model). */
const BOUND = { phononmaser: 30_000, seed: 45_000, hub: 30_000, obs: 60_000, eventsub: 30_000, link: 45_000 };

const log = (...a) => console.error(`rehearsal [${((Date.now() - T0) / 1000).toFixed(1).padStart(6)} s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let T0 = Date.now();
const rel = (ms) => (ms - T0) / 1000;

/** Why the rehearsal cannot run here, or null. */
function cannotRun() {
  const why = missing({ obs: true });
  if (why) return why;
  for (const [v, name] of [
    [NURVUS_BIN, "NURVUS_BIN"],
    [SEED_BIN, "SEED_BIN"],
    [PHONONMASER_BIN, "PHONONMASER_BIN"],
    [DEMO_VOICE_BIN, "DEMO_VOICE_BIN"],
    [process.env.FAKE_TWITCH_BIN, "FAKE_TWITCH_BIN"],
    [process.env.FAKE_RAINWAVE_BIN, "FAKE_RAINWAVE_BIN"],
  ])
    if (!v) return `${name} is not set: run through cargo xtask rehearsal`;
  if (!WHISPER_MODEL || !existsSync(join(WHISPER_MODEL, "model.bin"))) return `no Whisper model at ${WHISPER_MODEL || "(WHISPER_MODEL_PATH unset)"} (cargo xtask model)`;
  if (!onPath("espeak-ng")) return "espeak-ng is not installed: the captions are scored against the sentences it speaks (apt-get install espeak-ng; .ci/run does)";
  if (!existsSync("/usr/sbin/nginx") || !existsSync(RTMP_MODULE)) return "nginx with the RTMP module is not installed (apt-get install nginx-light libnginx-mod-rtmp; .ci/run does)";
  return null;
}

const RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so";

/** A local RTMP ingest (nginx with the RTMP module) for OBS to stream to. */
async function startRtmp(dir) {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `load_module ${RTMP_MODULE};\ndaemon off;\nmaster_process off;\npid ${join(dir, "nginx.pid")};\nerror_log ${join(dir, "error.log")} info;\n` +
      `events { worker_connections 64; }\nrtmp { server { listen 127.0.0.1:${port}; application live { live on; record off; } } }\n`,
  );
  const child = spawn("/usr/sbin/nginx", ["-e", join(dir, "error.log"), "-p", dir, "-c", conf], { stdio: "ignore" });
  await waitPort(port, 10_000, "nginx rtmp");
  return { url: `rtmp://127.0.0.1:${port}/live`, publishes: () => (readFileSync(join(dir, "error.log"), "utf8").match(/publish: name='rehearsal'/g) ?? []).length, stop: () => child.kill("SIGKILL") };
}

/** A nurvus daemon for one machine, with its process file. */
async function startNurvus(name, processes, port) {
  const file = join(OUT, `nurvus-${name}.json`);
  writeFileSync(file, JSON.stringify(processes, null, 2));
  const child = spawn(NURVUS_BIN, ["serve"], {
    env: { ...process.env, NURVUS_PORT: String(port), NURVUS_CONFIG: file, LANDALE_TOKEN: TOKEN, RUST_LOG: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  await waitPort(port, 30_000, `nurvus (${name})`);
  const url = `http://127.0.0.1:${port}`;
  return {
    name,
    port,
    url,
    pid: child.pid,
    async proc(id) {
      return getJson(`${url}/api/processes/${id}`);
    },
    async list() {
      return (await getJson(`${url}/api/processes`))?.processes ?? [];
    },
    async post(path) {
      return fetch(`${url}${path}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(10_000) });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGINT");
      await Promise.race([gone, sleep(20_000)]);
      child.kill("SIGKILL");
    },
  };
}

async function getJson(url, ms = 5000) {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(ms) });
    return r.ok ? await r.json() : null;
  } catch {
    return null;
  }
}

/** Poll `f` every 200 ms until it gives a value or `ms` pass; null on time out. */
async function until(f, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) return null;
    await sleep(200);
  }
}

/** Processes under this one, by /proc: pid → {comm, ppid, rss}. */
function processTree(root) {
  const all = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const status = readFileSync(`/proc/${d}/status`, "utf8");
      const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
      all.set(Number(d), { comm, ppid, rss, pid: Number(d) });
    } catch {
      /* gone meanwhile */
    }
  }
  const mine = new Map();
  const walk = (pid) => {
    for (const [p, info] of all) if (info.ppid === pid && !mine.has(p)) (mine.set(p, info), walk(p));
  };
  walk(root);
  return mine;
}

/** Proportional set size of `pid` in bytes, or null. */
function pss(pid) {
  try {
    return Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1]) * 1024;
  } catch {
    return null;
  }
}

async function main() {
  const why = cannotRun();
  if (why) {
    console.error(`skipped: rehearsal: ${why}`);
    process.exit(process.env.REHEARSAL_SKIP_OK ? 0 : 2);
  }
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  T0 = Date.now();
  const cleanups = [];
  const faults = [];
  const recoveries = [];
  const consoleEntries = [];
  const rss = {};
  const sentNotes = [];
  const expectedAlerts = [];
  const finalsSeen = [];
  const fleetLog = [];
  const hubDown = [];
  const faultSpans = [];
  const inFlight = [];
  const notes = [];
  const parts = [];
  let failure = null;
  const journal = join(OUT, "voice.jsonl");

  try {
    // --- The parts ------------------------------------------------------------------
    const rtmp = await startRtmp(join(OUT, "rtmp"));
    cleanups.push(() => rtmp.stop());
    const obs = await startObs(OBS_PASSWORD);
    cleanups.push(() => obs.cleanup());
    const tw = await startFakeTwitch();
    cleanups.push(() => tw.stop());
    const rw = await startFakeRainwave(["--rotate-secs", String(Math.max(15, Math.round(RUN_MS / 6000)))]);
    cleanups.push(() => rw.stop());
    const link = await startLink();
    cleanups.push(() => link.close());

    const hubPort = await freePort();
    const ironmonPort = await freePort();
    const seedPort = await freePort();
    const phonoPort = await freePort();
    const phonoHealth = await freePort();
    const hubBase = `http://127.0.0.1:${hubPort}`;
    // The streaming PC reaches the hub across the link, and the hub reaches the
    // streaming PC's nurvus and phononmaser across it.
    const hubOverLink = await link.relay(hubPort);
    const phonoHealthOverLink = await link.relay(phonoHealth);
    const servicesPort = await freePort();
    const streamingPort = await freePort();
    const streaming = await startNurvus("streaming", [
      {
        id: "phononmaser",
        name: "phononmaser",
        command: PHONONMASER_BIN,
        auto_restart: true,
        env: {
          PHONONMASER_HOST: "127.0.0.1",
          PHONONMASER_PORT: String(phonoPort),
          PHONONMASER_HEALTH_PORT: String(phonoHealth),
          PHOENIX_BASE_URL: `http://127.0.0.1:${hubOverLink}`,
          SERVER_WS_URL: `ws://127.0.0.1:${hubOverLink}/socket/websocket`,
          LANDALE_TOKEN: TOKEN,
          WHISPER_MODEL_PATH: WHISPER_MODEL,
          WHISPER_THREADS: "1",
          RUST_LOG: "warn",
        },
        health_check: { type: "http", url: `http://127.0.0.1:${phonoHealth}/health`, interval: 5, startup_interval: 0.5, startup_retries: 120 },
      },
      {
        id: "voice",
        name: "the streamer's voice",
        command: DEMO_VOICE_BIN,
        auto_restart: true,
        depends_on: ["phononmaser"],
        args: ["--to", `ws://127.0.0.1:${phonoPort}/`, "--pause-secs", "3", "--journal", journal],
      },
    ], streamingPort);
    cleanups.push(() => streaming.stop());
    const nurvusOverLink = await link.relay(streaming.port);
    const services = await startNurvus("services", [
      {
        id: "landale",
        name: "hub",
        command: LANDALE_BIN,
        auto_restart: true,
        port: hubPort,
        // JSON lines, kept by nurvus: the correlation check reads one alert's path.
        log_file: join(OUT, "hub.log"),
        env: {
          LOG_FORMAT: "json",
          PORT: String(hubPort),
          BIND_IP: "127.0.0.1",
          LANDALE_DATA_DIR: join(OUT, "hub-data"),
          LANDALE_TOKEN: TOKEN,
          LANDALE_DEMO: "0",
          IRONMON_PORT: String(ironmonPort),
          OBS_WEBSOCKET_URL: obs.url,
          OBS_WEBSOCKET_PASSWORD: OBS_PASSWORD,
          NURVUS_URLS: `services=http://127.0.0.1:${servicesPort},streaming=http://127.0.0.1:${nurvusOverLink}`,
          PHONONMASER_HEALTH_URL: `http://127.0.0.1:${phonoHealthOverLink}/health`,
          SEED_HEALTH_URL: `http://127.0.0.1:${seedPort}/health`,
          RUST_LOG: "warn,landale::producer=info,landale::pipeline=debug,landale_twitch::eventsub=debug",
          ...tw.env,
          ...rw.env,
          RAINWAVE_POLL_MS: "2000",
        },
        health_check: { type: "tcp", port: hubPort, interval: 5, startup_interval: 0.2, startup_retries: 300 },
      },
      {
        id: "seed",
        name: "seed",
        command: SEED_BIN,
        auto_restart: true,
        depends_on: ["landale"],
        env: {
          SEED_HOST: "127.0.0.1",
          SEED_HEALTH__PORT: String(seedPort),
          SEED_WEBSOCKET__SERVER_URL: hubBase,
          LANDALE_TOKEN: TOKEN,
          LANDALE_DATA_DIR: join(OUT, "seed-data"),
          SEED_CORRELATOR__CONTEXT_WINDOW_SECONDS: String(WINDOW_S),
          OMP_WAIT_POLICY: "PASSIVE",
          RUST_LOG: "warn",
          ...(LLM_MODEL ? { SEED_LLM__MODEL_PATH: LLM_MODEL } : { SEED_LLM__ENABLED: "false" }),
        },
        health_check: { type: "http", url: `http://127.0.0.1:${seedPort}/health`, interval: 5, startup_interval: 0.5, startup_retries: 240 },
      },
    ], servicesPort);
    cleanups.push(() => services.stop());
    parts.push(
      `services host: nurvus :${services.port} supervising the hub (:${hubPort}, SQLite) and seed (:${seedPort}, ${LLM_MODEL ? `embedded model ${LLM_MODEL.split("/").pop()}` : "its own analysis, no model"}, ${WINDOW_S} s windows)`,
      `streaming PC: nurvus :${streaming.port} supervising phononmaser (:${phonoPort}, Whisper ${WHISPER_MODEL.split("/").pop()}) and the voice (espeak-ng), reaching the hub through the link`,
      `OBS Studio (headless, obs-websocket :${obs.port}) streaming to ${rtmp.url}`,
      `fake Twitch ${tw.base} (EventSub, Helix, emote images), fake Rainwave ${rw.base}, IronMON replay to :${ironmonPort}`,
      "Chromium: /overlays/omnibar, /overlays/captions, /overlays/chat at 1920×1080",
    );
    cleanups.push(() => streaming.post("/api/processes/voice/stop"));

    log("waiting for the hub, seed and phononmaser");
    const hubUp = () => getJson(`${hubBase}/api/health`, 2000);
    if (!(await until(hubUp, 90_000))) throw new Error("the hub did not answer /api/health within 90 s");
    const pair = await tw.control("tokens", {
      scopes: ["moderator:read:followers", "channel:read:subscriptions", "user:read:chat", "bits:read", "channel:manage:broadcast", "moderator:read:chatters", "channel:read:redemptions"],
    });
    const up = await fetch(`${hubBase}/api/oauth/upload`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(pair) });
    if (up.status !== 200) throw new Error(`POST /api/oauth/upload: ${up.status} ${await up.text()}`);
    const subscribed = async (type = "channel.follow") => {
      const s = await tw.control("state").catch(() => null);
      return s && s.connections > 0 && s.subscriptions.some((x) => x.type === type);
    };
    if (!(await until(subscribed, 60_000))) throw new Error("the hub did not subscribe to EventSub within 60 s");
    /** Up when its health answers; a process nurvus gave up on stops the rehearsal at once, with nurvus's words. */
    const comeUp = async (machine, id, url, ms) => {
      let gaveUp = null;
      const ok = await until(async () => {
        const p = await machine.proc(id);
        if (p?.status === "failed") return (gaveUp = p.error ?? "failed");
        return (await getJson(url, 2000)) !== null;
      }, ms);
      if (gaveUp) throw new Error(`${id} does not start: ${gaveUp}`);
      if (!ok) throw new Error(`${id} did not come up within ${ms / 1000} s`);
    };
    await comeUp(streaming, "phononmaser", `http://127.0.0.1:${phonoHealth}/health`, 120_000);
    await comeUp(services, "seed", `http://127.0.0.1:${seedPort}/health`, 180_000);
    const voice = await streaming.proc("voice");
    if (voice?.status === "failed") throw new Error(`the voice does not start: ${voice.error}`);
    const obsStatus = async () => (await getJson(`${hubBase}/api/obs/status`, 2000))?.data ?? null;
    const obsConnected = async () => (await obsStatus())?.connected === true;
    // The hub's own EventSub view: a new session, subscribed.
    const eventsub = async () => (await getJson(`${hubBase}/api/twitch/status`, 2000))?.data?.eventsub ?? null;
    const newSession = (before) => async () => {
      const e = await eventsub();
      return e?.state === "ready" && e.session_id && e.session_id !== before && e.subscribed?.includes("channel.follow") ? Date.now() : null;
    };
    // A handover keeps the session (its id and subscriptions) on a new connection.
    const handedOver = (before) => async () => {
      const e = await eventsub();
      return e?.state === "ready" && e.handovers > before ? Date.now() : null;
    };
    if (!(await until(obsConnected, 60_000))) throw new Error("the hub did not connect to OBS within 60 s");

    // --- What records the run ---------------------------------------------------------
    const { Socket } = await import("phoenix");
    const socket = new Socket(`ws://127.0.0.1:${hubPort}/socket`, {
      transport: WebSocket,
      params: { token: TOKEN },
      reconnectAfterMs: (n) => Math.min(100 * 2 ** n, 2000),
      rejoinAfterMs: () => 500,
    });
    socket.connect();
    cleanups.push(() => socket.disconnect());
    const live = socket.channel("transcription:live", {});
    live.on("new_transcription", (p) => finalsSeen.push({ text: p.text, ts: Date.parse(p.timestamp), at: Date.now() }));
    live.join();
    const fleet = socket.channel("dashboard:services", {});
    fleet.on("fleet_update", (p) => {
      const v = typeof p === "string" ? JSON.parse(p) : p;
      const m = (v.machines ?? []).find((x) => x.name === "streaming");
      fleetLog.push({ at: Date.now(), reachable: m?.reachable ?? null, error: m?.error ?? null });
    });
    fleet.join();

    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const pages = {};
    for (const name of ["omnibar", "captions", "chat"]) {
      const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
      page.on("pageerror", (e) => consoleEntries.push({ page: name, t: Date.now(), text: `uncaught: ${e}` }));
      page.on("console", (m) => m.type() === "error" && consoleEntries.push({ page: name, t: Date.now(), text: m.text() }));
      await page.goto(`${hubBase}/overlays/${name}?debug=1`);
      pages[name] = page;
    }
    await pages.omnibar.waitForFunction(() => window.debug?.counters, null, { timeout: 30_000 });

    // RSS of every process of the run, from /proc, every 2 s (a label per program;
    // Chromium's processes summed).
    const labelOf = (pid, info) => {
      if (pid === services.pid) return "nurvus (services)";
      if (pid === streaming.pid) return "nurvus (streaming)";
      const c = info.comm;
      if (c.startsWith("chrom")) return "chromium (3 pages, PSS)";
      if (c === "obs") return "obs";
      if (["landale", "phononmaser", "seed", "fake-twitch", "fake-rainwave", "demo-voice"].includes(c)) return c === "landale" ? "hub" : c;
      return null;
    };
    const sampler = setInterval(() => {
      const t = Date.now();
      const sums = new Map();
      for (const [pid, info] of processTree(process.pid)) {
        const label = labelOf(pid, info);
        if (!label) continue;
        const s = sums.get(label) ?? { rss: 0, pid };
        // Chromium's processes share most of their pages: summed by PSS (each shared
        // page split among its users), not RSS, which would count them many times.
        if (label.startsWith("chromium")) {
          s.pid = 0;
          s.rss += pss(pid) ?? info.rss;
        } else s.rss += info.rss;
        sums.set(label, s);
      }
      for (const [label, s] of sums) (rss[label] ??= []).push({ t, rss: s.rss, pid: s.pid });
    }, 2000);
    cleanups.push(() => clearInterval(sampler));

    // --- The evening ------------------------------------------------------------------
    T0 = Date.now();
    log(`the evening starts: ${MINUTES} min`);
    const at = async (frac) => {
      const wait = T0 + frac * RUN_MS - Date.now();
      if (wait > 0) await sleep(wait);
    };
    const fault = (label, note) => {
      faults.push({ t: rel(Date.now()), label, note });
      log(`fault: ${label}${note ? ` (${note})` : ""}`);
    };
    let serial = 0;
    const notify = async (type, event, marker, message_id) => {
      const r = await tw.control("notify", { type, event, ...(message_id ? { message_id } : {}) }).catch(() => ({ sent: 0 }));
      sentNotes.push({ type, marker, sent: r.sent, at: Date.now() });
      return r.sent;
    };
    /** An alert-worthy event, sent once the hub holds a session with its subscription. */
    const alertEvent = async (type, event, user_name, message_id) => {
      if (!(await until(() => subscribed(type), 60_000))) notes.push(`${type} for ${user_name}: no EventSub session with it within 60 s; sent anyway`);
      const sent = await notify(type, event, user_name, message_id);
      if (sent > 0 && type !== "channel.subscribe") expectedAlerts.push({ type, user_name, at: Date.now() });
    };
    const stamp = Date.now().toString(36).slice(-4);
    const name = (kind) => `${kind}${stamp}${String(++serial).padStart(3, "0")}`;

    // Chat all evening, with emotes, and bursts.
    let chatting = true;
    const chatter = (async () => {
      const lines = ["hype avalonHype", "Kappa that was close", "gg avalonLove avalonLove", "what level is the team", "this song slaps", "LUL Kappa"];
      let i = 0;
      while (chatting) {
        const burst = (Date.now() - T0) % 40_000 < 3000;
        const text = `${lines[i % lines.length]} #${++i}`;
        const ev = chat(`viewer${i % 17}`, text, { color: ["#FF4500", "#1E90FF", "#9ACD32", "#DAA520"][i % 4] });
        await notify("channel.chat.message", ev, `chat #${i}`);
        await sleep(burst ? 150 : 1200);
      }
    })();

    // Stream on: OBS streams to the ingest, started through the hub (a control).
    const streamOn = async () => {
      // OBS opens its port a moment before its WebSocket server answers: retried.
      const set = await until(
        () =>
          obsRequest(obs.url, OBS_PASSWORD, "SetStreamServiceSettings", { streamServiceType: "rtmp_custom", streamServiceSettings: { server: rtmp.url, key: "rehearsal" } }).then(
            (r) => r.requestStatus?.result === true,
            () => false,
          ),
        30_000,
      );
      if (!set) notes.push("OBS did not take the stream settings within 30 s");
      const r = await fetch(`${hubBase}/api/obs/streaming/start`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
      if (!r.ok) notes.push(`starting the stream through the hub: ${r.status} ${await r.text()}`);
      return until(async () => (await getJson(`${hubBase}/api/obs/stream-status`))?.data?.outputActive === true, 30_000);
    };
    if (!(await streamOn())) notes.push("OBS did not report its stream active within 30 s");
    await replayIronmon(ironmonPort);
    parts.push("IronMON: the recorded Brock run replayed at the start");

    const follows = async (n) => {
      for (let k = 0; k < n; k++) {
        const u = name("Fol");
        await alertEvent("channel.follow", follow(u), u);
      }
    };
    const killService = async (machine, id, health, bound) => {
      const before = await machine.proc(id);
      const t = Date.now();
      fault(`kill ${id}`, `kill -9 of pid ${before?.pid}; nurvus restarts it`);
      try {
        process.kill(before.pid, "SIGKILL");
      } catch (e) {
        notes.push(`kill ${id}: ${e}`);
      }
      inFlight.push([t - 12_000, t]);
      const back = await until(async () => {
        const p = await machine.proc(id);
        return p?.status === "running" && p.pid !== before.pid && (await getJson(health, 1500)) !== null ? Date.now() : null;
      }, bound * 2);
      const after = await machine.proc(id);
      const instances = [...processTree(process.pid).values()].filter((p) => p.comm === id).length;
      recoveries.push({ fault: `kill -9 ${id}`, service: id, t: rel(t), back_ms: back ? back - t : null, bound_ms: bound, restarts_before: before?.restarts ?? 0, restarts_after: after?.restarts ?? 0, expect_restarts: 1, instances });
      faultSpans.push([t, back ?? t + bound]);
    };

    /** A fault of Twitch's, and how long until the hub's session is back (`backWhen`
     * reads the state before the fault and returns the test for after it). */
    const twitchFault = async (label, note, body, backWhen) => {
      const back_ = await backWhen();
      const t = Date.now();
      fault(label, note);
      await tw.control("fault", body);
      const back = await until(back_, BOUND.eventsub * 2);
      recoveries.push({ fault: label, service: "EventSub session", t: rel(t), back_ms: back ? back - t : null, bound_ms: BOUND.eventsub });
    };

    await at(0.05);
    // One follow with a message id of ours, followed through the hub's log.
    const traceId = `rehearsal-trace-${stamp}`;
    {
      const u = name("Fol");
      await alertEvent("channel.follow", follow(u), u, traceId);
    }
    await follows(1);
    {
      const u = name("Cheer");
      const ev = { ...follow(u), bits: 250, message: "Cheer250 for the run", is_anonymous: false };
      delete ev.followed_at;
      await alertEvent("channel.cheer", ev, u);
    }

    await at(0.12);
    await killService(streaming, "phononmaser", `http://127.0.0.1:${phonoHealth}/health`, BOUND.phononmaser);

    await at(0.18);
    await follows(1);

    await at(0.22);
    await twitchFault("EventSub drop", "the socket ends without a close frame, as when the network goes away", { fault: "drop_connection" }, async () => newSession((await eventsub())?.session_id));
    await follows(1);

    await at(0.3);
    {
      // A gift bomb: the community gift, then each gifted sub.
      const gifter = name("Gift");
      const ev = { ...subscribe(gifter), total: 5, cumulative_total: 12, is_anonymous: false };
      delete ev.is_gift;
      await alertEvent("channel.subscription.gift", ev, gifter);
      for (let k = 0; k < 5; k++) {
        const u = name("Gifted");
        await notify("channel.subscribe", { ...subscribe(u), is_gift: true }, u);
      }
    }

    await at(0.34);
    await twitchFault("session_reconnect", "Twitch hands the session over to a new connection", { fault: "reconnect" }, async () => handedOver((await eventsub())?.handovers ?? 0));
    await follows(1);

    await at(0.4);
    await killService(services, "seed", `http://127.0.0.1:${seedPort}/health`, BOUND.seed);

    await at(0.46);
    {
      const from = name("Raid");
      await alertEvent(
        "channel.raid",
        {
          from_broadcaster_user_id: "777",
          from_broadcaster_user_login: from.toLowerCase(),
          from_broadcaster_user_name: from,
          to_broadcaster_user_id: "12826",
          to_broadcaster_user_login: "avalonstar",
          to_broadcaster_user_name: "Avalonstar",
          viewers: 42,
        },
        from,
      );
    }

    await at(0.52);
    {
      const t = Date.now();
      const pid = (await getJson(`${hubBase}/api/control/status`))?.data?.server?.pid;
      fault("hub restart", "nurvus restarts the hub");
      await services.post("/api/processes/landale/restart");
      // Back: a new hub answering, with its own EventSub session subscribed.
      const back = await until(async () => {
        const s = await getJson(`${hubBase}/api/control/status`, 2000);
        if (!(s?.data?.server?.pid && s.data.server.pid !== pid && (await newSession(null)()))) return null;
        notes.push(`the hub came back as pid ${s.data.server.pid} (was ${pid})`);
        return Date.now();
      }, BOUND.hub * 2);
      hubDown.push([t - 1000, (back ?? t + BOUND.hub) + 5000]);
      const instances = [...processTree(process.pid).values()].filter((p) => p.comm === "landale").length;
      recoveries.push({ fault: "hub restart", service: "hub + EventSub", t: rel(t), back_ms: back ? back - t : null, bound_ms: BOUND.hub, instances });
      faultSpans.push([t, back ?? t + BOUND.hub]);
    }

    await at(0.58);
    for (let k = 0; k < 4; k++) {
      const u = name("Sub");
      await notify("channel.subscribe", subscribe(u), u);
      await sleep(1500);
    }

    await at(0.64);
    {
      const t = Date.now();
      const since = (await obsStatus())?.connected_at;
      fault("OBS restart", "OBS and its X server killed, started again, the stream started again through the hub");
      const out = await obs.restart().then(
        () => null,
        (e) => String(e),
      );
      if (out) notes.push(`OBS restart: ${out}`);
      const back = await until(async () => {
        const o = await obsStatus();
        return o?.connected && o.connected_at !== since ? Date.now() : null;
      }, BOUND.obs);
      recoveries.push({ fault: "OBS restart", service: "OBS link at the hub", t: rel(t), back_ms: back ? back - t : null, bound_ms: BOUND.obs });
      if (back && !(await streamOn())) notes.push("OBS did not stream again within 30 s of its restart");
    }
    await follows(1);

    await at(0.7);
    {
      const t = Date.now();
      fault("link cut", "the streaming PC and the services host cannot reach each other");
      link.cut();
      const seen = await until(() => (fleetLog.some((f) => f.at > t && f.reachable === false) ? Date.now() : null), 60_000);
      notes.push(seen ? `the fleet showed the streaming PC unreachable ${((seen - t) / 1000).toFixed(1)} s after the cut` : "the fleet never showed the streaming PC unreachable");
      // What phononmaser holds for the hub meanwhile (read on its own machine).
      let held = 0;
      while (Date.now() < T0 + 0.8 * RUN_MS) {
        const h = await getJson(`http://127.0.0.1:${phonoHealth}/health`, 1500);
        held = Math.max(held, h?.queues?.captions_waiting_for_hub ?? 0);
        await sleep(500);
      }
      notes.push(`phononmaser held up to ${held} caption(s) for the hub while the link was cut`);
      const r = Date.now();
      fault("link back", "the link is restored");
      link.restore();
      const back = await until(async () => {
        const h = await getJson(`http://127.0.0.1:${phonoHealth}/health`, 1500);
        const fleetBack = fleetLog.some((f) => f.at > r && f.reachable === true);
        return fleetBack && h?.queues?.captions_waiting_for_hub === 0 ? Date.now() : null;
      }, BOUND.link * 2);
      recoveries.push({ fault: "link cut", service: "fleet view + captions", t: rel(r), back_ms: back ? back - r : null, bound_ms: BOUND.link });
      faultSpans.push([t, back ?? r + BOUND.link]);
    }
    await follows(1);

    await at(0.86);
    {
      fault("revocation", "Twitch revokes channel.cheer (authorization_revoked)");
      await tw.control("fault", { fault: "revoke", sub_type: "channel.cheer", status: "authorization_revoked" });
      const gone = await until(async () => {
        const s = await getJson(`${hubBase}/api/twitch/status`);
        const held = s?.data?.eventsub?.subscribed;
        return Array.isArray(held) && held.length > 0 && !held.includes("channel.cheer") ? true : null;
      }, 15_000);
      notes.push(gone ? "the hub dropped the revoked channel.cheer subscription and kept the others" : "the hub still lists channel.cheer 15 s after its revocation");
    }
    await follows(1);

    await at(0.92);
    chatting = false;
    await chatter;
    await at(1);
    log("the evening ends: the voice stops, the queue and the captions settle");
    await streaming.post("/api/processes/voice/stop");
    const settled = await until(async () => {
      const q = await getJson(`${hubBase}/api/queue`);
      const h = await getJson(`http://127.0.0.1:${phonoHealth}/health`, 1500);
      const idle = q?.data?.queue?.filter((i) => i.type === "alert").length === 0;
      return idle && h?.queues?.captions_waiting_for_hub === 0 && h?.queues?.finals_waiting === 0;
    }, 180_000);
    if (!settled) notes.push("the alert queue or phononmaser's finals had not settled 180 s after the end");
    await sleep(3000);

    // --- Collect ----------------------------------------------------------------------
    const history = (await getJson(`${hubBase}/api/queue`))?.data?.history ?? [];
    const seedStatus = await getJson(`http://127.0.0.1:${seedPort}/status`);
    if (seedStatus) notes.push(`seed at the end: counters ${JSON.stringify(seedStatus.counters)}; model ${JSON.stringify(seedStatus.components?.llm).slice(0, 300)}`);
    const counters = await pages.omnibar.evaluate(() => window.debug.counters());
    const stored = [];
    for (const type of new Set(sentNotes.map((n) => n.type))) {
      const q = `event_type=${type}&limit=1000&since=${encodeURIComponent(new Date(T0 - 60_000).toISOString())}`;
      stored.push(...((await getJson(`${hubBase}/api/activity/events?${q}`))?.data?.events ?? []));
    }
    const sentences = existsSync(journal)
      ? readFileSync(journal, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l))
          .filter((s) => s.started_ms >= T0)
      : [];
    const storedFinals = ((await getJson(`${hubBase}/api/transcriptions?limit=1000`))?.data ?? []).map((r) => ({ text: r.text, ts: Date.parse(r.timestamp) }));
    // Arrival times from the socket where it saw the final (not while the hub restarted).
    const arrivals = new Map(finalsSeen.map((f) => [`${f.ts} ${f.text}`, f.at]));
    const finals = storedFinals.filter((f) => f.ts >= T0 - 5000).map((f) => ({ ...f, at: arrivals.get(`${f.ts} ${f.text}`) }));
    const contexts = ((await getJson(`${hubBase}/api/contexts?limit=500`))?.data?.contexts ?? [])
      .map((c) => ({ started_ms: Date.parse(c.started) }))
      .filter((c) => c.started_ms >= T0);

    const markerOf = (r) => {
      const d = r.data ?? {};
      if (r.event_type === "channel.chat.message") {
        const m = /#\d+$/.exec(typeof d.message === "string" ? d.message : (d.message?.text ?? ""));
        return m ? `chat ${m[0]}` : null;
      }
      return r.user_name ?? d.user_name ?? d.from_broadcaster_user_name ?? null;
    };
    const alertNotes = sentNotes.filter((s) => !["channel.chat.message", "channel.subscribe"].includes(s.type));
    const { pairs } = pairCaptions(sentences, finals);
    const checks = [
      alertCheck(expectedAlerts, history, counters.shownIds ?? []),
      deliveryCheck(sentNotes, stored, markerOf),
      captionCheck(pairs, { faultSpans, inFlight }),
      contextCheck(contexts, { from: T0 + WINDOW_S * 1000, to: T0 + RUN_MS, windowMs: WINDOW_S * 1000 }),
      restartCheck(recoveries),
      traceCheck(existsSync(join(OUT, "hub.log")) ? readFileSync(join(OUT, "hub.log"), "utf8").split("\n") : [], traceId, counters.shownIds ?? []),
      rssCheck(rss),
      consoleCheck(consoleEntries, hubDown),
    ];
    const publishes = rtmp.publishes();
    checks.push({
      name: "OBS stream",
      ok: publishes >= 2,
      summary: `the ingest saw ${publishes} publishes (the stream started, and again after OBS's restart)`,
      problems: publishes >= 2 ? [] : [`the RTMP ingest saw ${publishes} publishes (expected 2)`],
      figures: { publishes },
    });
    for (const n of notes) log(`note: ${n}`);

    // --- Report -------------------------------------------------------------------------
    const xMax = Math.max(RUN_MS / 1000, ...Object.values(rss).flatMap((s) => s.map((p) => rel(p.t))));
    const faultMarks = faults.map((f) => ({ t: f.t, label: f.label }));
    const plots = [
      {
        heading: "Memory",
        caption: "Resident memory of every process over the evening (Chromium's processes summed). A line breaks where a process was killed and started again.",
        svg: chart({
          title: "RSS per process (MiB)",
          series: Object.entries(rss).map(([name, xs]) => ({ name, points: xs.map((p) => [rel(p.t), p.rss / 1048576]) })),
          faults: faultMarks,
          xMax,
          yLabel: "MiB",
          yFmt: (v) => v.toFixed(0),
        }),
      },
      {
        heading: "Caption latency",
        caption: "From the end of each spoken sentence to its final caption on the hub's socket. Shaded: faults (a killed phononmaser, a cut link, the hub restarting), whose sentences wait and are not in p50/p95.",
        svg: chart({
          title: "Caption latency (s) by when the sentence ended",
          series: [{ name: "sentence", dots: true, points: pairs.filter((p) => p.latency_ms !== null).map((p) => [rel(p.ended_ms), p.latency_ms / 1000, `${p.sentence} → ${p.heard} (${(p.latency_ms / 1000).toFixed(2)} s)`]) }],
          spans: faultSpans.map(([a, b]) => ({ from: rel(a), to: rel(b) })),
          lines: [checks[2].figures.p50, checks[2].figures.p95].map((v, i) => (v === null ? null : { y: v / 1000, label: `${i ? "p95" : "p50"} ${(v / 1000).toFixed(2)} s` })).filter(Boolean),
          faults: faultMarks,
          xMax,
          yLabel: "seconds",
          yFmt: (v) => v.toFixed(1),
        }),
      },
      {
        heading: "Alerts",
        caption: "Each alert when Twitch sent it and when the hub put it on air (the omnibar's own list of what it showed is checked against the hub's in the table).",
        svg: timeline({
          title: "Alert timeline",
          xMax,
          faults: faultMarks,
          lanes: [
            { name: "sent by Twitch", marks: alertNotes.filter((s) => s.sent > 0).map((s) => ({ t: rel(s.at), type: s.type.replace("channel.", ""), label: s.marker })) },
            { name: "on air (hub)", marks: history.filter((h) => h.started_at && Date.parse(h.started_at) >= T0).map((h) => ({ t: rel(Date.parse(h.started_at)), type: h.content_type.replace("channel.", ""), label: h.data?.user_name })) },
          ],
        }),
      },
      {
        heading: "Faults and recovery",
        caption: "How long each part was away after each fault; green within its bound, red past it.",
        svg: recoveryBars({ title: "Time to recover", recoveries, xMax }),
      },
    ];
    const run = {
      started_iso: new Date(T0).toISOString(),
      minutes: MINUTES,
      machine: `${hostname()}`,
      checks,
      faults,
      parts,
      notes,
      pairs,
      rss,
      recoveries,
      history,
      counters,
    };
    writeFileSync(join(OUT, "run.json"), JSON.stringify(run, null, 1));
    writeFileSync(join(OUT, "report.md"), markdown({ ...run, parts: [...parts, ...notes.map((n) => `note: ${n}`)] }));
    writeFileSync(join(OUT, "report.html"), html(run, plots));
    console.log(readFileSync(join(OUT, "report.md"), "utf8"));
    console.log(`rehearsal: report in ${join(OUT, "report.md")} and ${join(OUT, "report.html")}`);
    if (!checks.every((c) => c.ok)) failure = `${checks.filter((c) => !c.ok).map((c) => c.name).join(", ")} failed`;
  } catch (e) {
    failure = e.stack ?? String(e);
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch {
        /* best effort */
      }
    }
  }
  if (failure) {
    console.error(`rehearsal: ${failure}`);
    process.exit(1);
  }
  process.exit(0);
}

main();
