// Stream context (seed): what the panel shows of an analysis, a stored context and an
// answer, in the streamer's words. Pure, so it is tested without a browser.

export interface Analysis {
  summary: string;
  analysis: "llm" | "deterministic";
  sentiment?: string;
  topics?: string[];
  mood?: string;
  reason?: string;
  since?: string;
  until?: string;
  chat_velocity?: number;
  counts?: { transcriptions?: number; chat?: number; interactions?: number };
}

export interface SourceRef {
  seq?: number | null;
  id?: string | null;
  at?: string;
  type?: string;
}

export interface Context {
  started: string;
  ended: string;
  summary?: string;
  transcript?: string;
  sentiment?: string | null;
  topics?: string[];
  mood?: string | null;
  analysis?: "llm" | "deterministic";
  analysis_source?: { llm?: { model: string }; deterministic?: { reason: string } };
  idempotency_key?: string;
  sources?: { transcriptions?: SourceRef[]; chat?: SourceRef[]; events?: SourceRef[] };
}

/** "4:05 PM – 4:07 PM" in the viewer's locale; with seconds when both fall in one minute. */
export function timeRange(from?: string, to?: string): string {
  const sameMinute = !!from && !!to && Math.floor(Date.parse(from) / 60_000) === Math.floor(Date.parse(to) / 60_000);
  const shortSpan = !!from && !!to && Date.parse(to) - Date.parse(from) < 120_000;
  const opts: Intl.DateTimeFormatOptions = sameMinute || shortSpan ? { hour: "numeric", minute: "2-digit", second: "2-digit" } : { hour: "numeric", minute: "2-digit" };
  const t = (s?: string) => (s ? new Date(s).toLocaleTimeString([], opts) : "");
  return [t(from), t(to)].filter(Boolean).join(" – ");
}

/** Who made it: the model's name, or why seed made it itself. */
export function madeBy(c: Pick<Context, "analysis" | "analysis_source">): string {
  if (c.analysis === "llm") return `summed up by ${c.analysis_source?.llm?.model ?? "the LLM"}`;
  const why = c.analysis_source?.deterministic?.reason;
  return why ? `seed's own count (${why})` : "seed's own count";
}

/** "3 lines, 12 chat messages, 2 events". */
export function sourceCounts(c: Context): string {
  const n = (xs?: unknown[]) => xs?.length ?? 0;
  const part = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  const s = c.sources ?? {};
  return [
    part(n(s.transcriptions), "line", "lines"),
    part(n(s.chat), "chat message", "chat messages"),
    part(n(s.events), "event", "events"),
  ].join(", ");
}

/** The newest contexts first, each once (by key, else start time), at most `max`. */
export function mergeContexts(have: Context[], incoming: Context[], max = 5): Context[] {
  const key = (c: Context) => c.idempotency_key ?? c.started;
  const seen = new Set<string>();
  return [...incoming, ...have]
    .filter((c) => {
      const k = key(c);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => b.started.localeCompare(a.started))
    .slice(0, max);
}
