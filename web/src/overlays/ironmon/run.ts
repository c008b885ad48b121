// The IronMON run as the hub's IronMON integration reports it (`run` on every
// `ironmon_event`, and in `overlay:ironmon`'s initial state), read defensively.

export interface Mon {
  name: string;
  level: number | null;
  hp: number | null;
  maxHp: number | null;
}

export interface CheckpointView {
  name: string;
  trainer: string;
  cleared: boolean;
}

export interface RunView {
  runNumber: number;
  active: boolean;
  ended: string | null;
  cleared: number;
  total: number;
  current: string;
  next: { name: string; trainer: string; clearRate: number | null } | null;
  attempts: number | null;
  location: string | null;
  team: Mon[];
  lastBattle: { trainer: string; result: string } | null;
  battle: string | null;
  checkpoints: CheckpointView[];
}

const isObj = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

function mon(v: unknown): Mon | null {
  if (!isObj(v) || !str(v.name)) return null;
  return { name: str(v.name), level: num(v.level), hp: num(v.hp), maxHp: num(v.max_hp) };
}

/** `null` when there is no run to show (before the first seed). */
export function parseRun(v: unknown): RunView | null {
  if (!isObj(v) || num(v.run_number) === null) return null;
  const checkpoints: CheckpointView[] = Array.isArray(v.checkpoints)
    ? v.checkpoints.filter(isObj).map((c) => ({ name: str(c.name), trainer: str(c.trainer), cleared: c.cleared === true }))
    : [];
  const total = num(v.total_checkpoints) ?? checkpoints.length;
  const next = isObj(v.next_checkpoint)
    ? { name: str(v.next_checkpoint.name), trainer: str(v.next_checkpoint.trainer), clearRate: num(v.next_checkpoint.clear_rate) }
    : null;
  const loc = isObj(v.location) ? str(v.location.location_name) || (num(v.location.location_id) !== null ? `Area ${v.location.location_id}` : "") : "";
  const last = isObj(v.last_battle) && str(v.last_battle.result) ? { trainer: str(v.last_battle.trainer) || "a wild Pokémon", result: str(v.last_battle.result) } : null;
  return {
    runNumber: num(v.run_number)!,
    active: v.active === true,
    ended: typeof v.ended === "string" ? v.ended : null,
    cleared: num(v.checkpoints_cleared) ?? 0,
    total,
    current: str(v.current_checkpoint) || "Starting out",
    next,
    attempts: num(v.attempts),
    location: loc || null,
    team: Array.isArray(v.team) ? (v.team.map(mon).filter(Boolean) as Mon[]).slice(0, 6) : [],
    lastBattle: last,
    battle: isObj(v.battle) ? str(v.battle.trainer) || null : null,
    checkpoints,
  };
}

/** "LAB", "RIVAL1" … as a viewer reads them. */
export function checkpointLabel(name: string): string {
  const special: Record<string, string> = {
    LAB: "Lab",
    FIRSTTRAINER: "First trainer",
    ROCKETHIDEOUT: "Rocket Hideout",
    SILPHCO: "Silph Co.",
    CHAMP: "Champion",
  };
  if (special[name]) return special[name];
  const rival = /^RIVAL(\d+)$/.exec(name);
  if (rival) return `Rival ${rival[1]}`;
  return name.charAt(0) + name.slice(1).toLowerCase();
}

export function battleLine(r: RunView): string {
  if (r.battle) return `Fighting ${r.battle}`;
  if (!r.lastBattle) return "";
  const verb = r.lastBattle.result === "win" ? "Beat" : r.lastBattle.result === "loss" ? "Lost to" : "Ran from";
  return `${verb} ${r.lastBattle.trainer}`;
}
