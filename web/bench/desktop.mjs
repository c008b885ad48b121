// The desktop app at rest, by default and with WebKit's GL compositing on (the ratio
// between them in the same run): CPU and memory of landale-desktop (the tray, the poll, the
// hotkeys) and of the WebKit processes showing the dashboard, against a real landale,
// once the dashboard is connected and the app is polling. The hub's own idle CPU in
// the same run is given beside it.
//
//   cargo xtask bench desktop      (release builds; runs this under dbus-run-session + xvfb-run)
//
// CPU is the ticks each process used over the measured minute (/proc/<pid>/stat,
// utime + stime), as a share of one core. Memory is RSS and PSS (smaps_rollup; PSS
// counts shared pages once across WebKit's processes) at the end.
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLandale } from "../tests/e2e/harness.mjs";
import { until } from "../tests/desktop/webdriver.mjs";
import { countingRelay } from "../tests/desktop/relay.mjs";

const OUT = process.env.BENCH_OUT || join(import.meta.dirname, "../../bench-results/desktop.json");
const APP = process.env.LANDALE_DESKTOP_BIN;
const SETTLE_MS = 10_000;
const MEASURE_S = Number(process.env.MEASURE_S || 60);
const TICK = 100; // USER_HZ on Linux

const stat = (pid) => {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), name: text.slice(text.indexOf("(") + 1, text.lastIndexOf(")")) };
  } catch {
    return null;
  }
};

/** `root` and every process below it. */
function tree(root) {
  const all = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number);
  const kids = new Map();
  for (const pid of all) {
    const s = stat(pid);
    if (s) kids.set(s.ppid, [...(kids.get(s.ppid) || []), pid]);
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(kids.get(out[i]) || []));
  return out;
}

const memory = (pid) => {
  const field = (text, key) => Number((new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text) || [])[1] || 0) / 1024;
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    return { rss: field(text, "Rss"), pss: field(text, "Pss") };
  } catch {
    return { rss: 0, pss: 0 };
  }
};

/** Start the app with `env`, wait until it polls and its dashboard is connected, let it
 * settle, then measure it (and the hub) for MEASURE_S seconds. */
async function measure(hub, relay, env) {
  const config = mkdtempSync(join(tmpdir(), "landale-desktop-bench-"));
  const polls = relay.counter.polls;
  const sockets = (await hub.get("/api/health")).body.services.websocket.sockets;
  const app = spawn(APP, [], {
    env: { ...process.env, LANDALE_URL: relay.base, LANDALE_TOKEN: hub.token, LANDALE_DESKTOP_CONFIG_DIR: config, RUST_LOG: "warn", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    await until(async () => relay.counter.polls >= polls + 2, 60_000, "the app polling");
    await until(async () => (await hub.get("/api/health")).body.services.websocket.sockets > sockets, 60_000, "the dashboard's socket");
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const hubPid = Number((await hub.get("/api/control/status")).body.data.server.pid);
    const pids = tree(app.pid);
    const before = new Map([...pids, hubPid].map((p) => [p, stat(p)]));
    const polls0 = relay.counter.polls;
    await new Promise((r) => setTimeout(r, MEASURE_S * 1000));
    const rows = [];
    for (const pid of [...pids, hubPid]) {
      const a = before.get(pid);
      const b = stat(pid);
      if (!a || !b) continue;
      const cpu = ((b.ticks - a.ticks) / TICK / MEASURE_S) * 100;
      rows.push({ pid, name: pid === hubPid ? "landale (hub)" : b.name, cpu_percent: +cpu.toFixed(2), ...Object.fromEntries(Object.entries(memory(pid)).map(([k, v]) => [`${k}_mib`, +v.toFixed(1)])) });
    }
    const ours = rows.filter((r) => r.pid !== hubPid);
    const sum = (k) => +ours.reduce((n, r) => n + r[k], 0).toFixed(2);
    return {
      polls: relay.counter.polls - polls0,
      app_and_webkit: { cpu_percent: sum("cpu_percent"), rss_mib: sum("rss_mib"), pss_mib: sum("pss_mib") },
      processes: rows,
    };
  } finally {
    const exited = new Promise((r) => app.once("exit", r));
    app.kill();
    await exited;
    rmSync(config, { recursive: true, force: true });
  }
}

const hub = await startLandale();
const relay = await countingRelay(hub.port);
try {
  // The default (WebKit's GL compositing off), then with it on, in the same run.
  const quiet = await measure(hub, relay, {});
  const gl = await measure(hub, relay, { LANDALE_DESKTOP_COMPOSITING: "1" });
  const result = { measured_seconds: MEASURE_S, default: quiet, compositing: gl };
  mkdirSync(join(OUT, ".."), { recursive: true });
  writeFileSync(OUT, JSON.stringify(result, null, 2));
  for (const [title, r] of [["default (WebKit compositing off)", quiet], ["LANDALE_DESKTOP_COMPOSITING=1", gl]]) {
    console.log(`\n${title}: at rest over ${MEASURE_S} s (${r.polls} polls of the hub)`);
    console.log("| process | CPU (% of a core) | RSS | PSS |");
    console.log("|---|---|---|---|");
    for (const p of r.processes) console.log(`| ${p.name} | ${p.cpu_percent} | ${p.rss_mib} MiB | ${p.pss_mib} MiB |`);
    console.log(`| app + WebKit, total | ${r.app_and_webkit.cpu_percent} | ${r.app_and_webkit.rss_mib} MiB | ${r.app_and_webkit.pss_mib} MiB |`);
  }
  const ratio = (k) => (quiet.app_and_webkit[k] / gl.app_and_webkit[k]).toFixed(2);
  console.log(`\ndefault / compositing: CPU ${ratio("cpu_percent")}×, PSS ${ratio("pss_mib")}×`);
  console.log(`written to ${OUT}`);
} finally {
  relay.close();
  hub.stop();
}
