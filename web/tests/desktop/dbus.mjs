// The session bus as a desktop shell sees the app: its tray menu (the
// StatusNotifierItem's com.canonical.dbusmenu, which a panel reads and clicks) and the
// notifications it sends (org.freedesktop.Notifications.Notify calls, watched with
// dbus-monitor while dunst shows them). Driven with gdbus from libglib2.0-bin.

import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const gdbus = async (...args) => (await run("gdbus", args, { timeout: 10_000 })).stdout;

export const TRAY_PATH = "/org/ayatana/NotificationItem/tray_icon_tray_app_landale";

/** The bus name that exports the app's tray item, or null while there is none. */
export async function trayOwner() {
  const names = (await gdbus("call", "--session", "--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.ListNames")).match(/':1\.\d+'/g) || [];
  for (const quoted of names) {
    const name = quoted.slice(1, -1);
    const tree = await gdbus("introspect", "--session", "--dest", name, "--object-path", "/org/ayatana/NotificationItem").catch(() => "");
    if (tree.includes("tray_icon_tray_app_landale")) return name;
  }
  return null;
}

/** The menu's items: `[{id, label, enabled}]` in order, submenus flattened. */
export async function trayMenu(owner) {
  const text = await gdbus("call", "--session", "--dest", owner, "--object-path", `${TRAY_PATH}/Menu`, "--method", "com.canonical.dbusmenu.GetLayout", "--", "0", "-1", "[]");
  const items = [];
  for (const m of text.matchAll(/\((\d+), \{([^}]*)\}/g)) {
    const label = /'label': <'((?:[^'\\]|\\.)*)'>/.exec(m[2]);
    if (!label) continue;
    items.push({ id: Number(m[1]), label: label[1], enabled: !/'enabled': <false>/.test(m[2]) });
  }
  return items;
}

/** Click the item labelled `label` as a panel would. */
export async function trayClick(owner, label) {
  const item = (await trayMenu(owner)).find((i) => i.label === label);
  if (!item) throw new Error(`no tray item "${label}"`);
  if (!item.enabled) throw new Error(`tray item "${label}" is disabled`);
  await gdbus("call", "--session", "--dest", owner, "--object-path", `${TRAY_PATH}/Menu`, "--method", "com.canonical.dbusmenu.Event", "--", String(item.id), "clicked", "<''>", "0");
}

/** Every Notify call on the session bus from now: `{summary, body}` each. */
export function watchNotifications() {
  const child = spawn("dbus-monitor", ["--session", "interface='org.freedesktop.Notifications',member='Notify'"], { stdio: ["ignore", "pipe", "inherit"] });
  const seen = [];
  let buffer = "";
  let call = null;
  let listening;
  // dbus-monitor's first output is the bus naming it: from then on it sees every call.
  const ready = new Promise((r) => (listening = r));
  child.stdout.on("data", (chunk) => {
    listening();
    buffer += chunk.toString();
    const lines = buffer.split("\n");
    buffer = lines.pop();
    for (const line of lines) {
      if (line.startsWith("method call") && line.includes("member=Notify")) {
        call = [];
        continue;
      }
      if (!call) continue;
      const s = /^\s+string "(.*)"$/.exec(line);
      if (s) call.push(s[1]);
      // app_name, app_icon, summary, body: the body is the fourth string.
      if (call.length === 4) {
        seen.push({ summary: call[2], body: call[3] });
        call = null;
      }
    }
  });
  return { seen, ready, stop: () => child.kill() };
}
