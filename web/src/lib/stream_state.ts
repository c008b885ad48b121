// The `stream_state` contract the producer pushes on `stream:overlays` (a full
// replacement each time), as every page reads it: the omnibar, the ironmon overlay
// and the dashboard. docs/schema/stream_state.schema.json is the source of truth;
// stream_state.test.ts checks these types' fields against it.

import type { Layer } from "./orchestrator";

export interface Item {
  id: string;
  type: string;
  layer: Layer;
  priority: number;
  started_at: string;
  duration?: number;
  data: Record<string, any>;
}

export interface StreamState {
  current_show: string;
  base: Item | null;
  alerts: Item[];
  ticker: string[];
  timeline: Item[];
  metadata: { last_updated: string; state_version: number };
}

export const isObj = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

/** An item the renderers can trust, or null (bad payloads never crash the page). */
function item(v: unknown): Item | null {
  if (!isObj(v) || typeof v.id !== "string" || typeof v.type !== "string") return null;
  const layer = v.layer === "foreground" || v.layer === "midground" ? v.layer : "background";
  return {
    id: v.id,
    type: v.type,
    layer,
    priority: typeof v.priority === "number" ? v.priority : 0,
    started_at: typeof v.started_at === "string" ? v.started_at : "",
    duration: typeof v.duration === "number" ? v.duration : undefined,
    data: isObj(v.data) ? v.data : {},
  };
}

/** Accept what the hub sends; anything malformed becomes an empty state. */
export function parseState(v: unknown): StreamState | null {
  if (!isObj(v)) return null;
  const list = (x: unknown) => (Array.isArray(x) ? x.map(item).filter((i): i is Item => i !== null) : []);
  const meta = isObj(v.metadata) ? v.metadata : {};
  return {
    current_show: typeof v.current_show === "string" ? v.current_show : "variety",
    base: item(v.base),
    alerts: list(v.alerts),
    ticker: Array.isArray(v.ticker) ? v.ticker.filter((t): t is string => typeof t === "string") : [],
    timeline: list(v.timeline).slice(0, 6),
    metadata: {
      last_updated: typeof meta.last_updated === "string" ? meta.last_updated : "",
      state_version: typeof meta.state_version === "number" ? meta.state_version : 0,
    },
  };
}

