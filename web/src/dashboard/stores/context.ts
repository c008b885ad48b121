// Stream context (seed): the live analysis and new contexts arrive as `seed.analysis`
// and `seed.context` on `events:seed`; the recent contexts come from
// `GET /api/contexts` at the start and after each new one; questions go to seed through
// the hub (`POST /api/seed/query`).
import { createSignal } from "solid-js";
import type { Link } from "../../lib/landale";
import { mergeContexts, type Analysis, type Context } from "../context";

export interface Answer {
  question: string;
  answer?: string;
  error?: string;
  sources?: { kind: string; route?: string; started?: string; summary?: string }[];
  time_window?: { label?: string };
}

export function createContextStore(link: Link) {
  const [now, setNow] = createSignal<Analysis | null>(null);
  const [contexts, setContexts] = createSignal<Context[]>([]);
  const [problem, setProblem] = createSignal<string | null>(null);
  const [answer, setAnswer] = createSignal<Answer | null>(null);
  const [asking, setAsking] = createSignal(false);

  const load = async () => {
    try {
      const r = await fetch("/api/contexts?limit=5");
      if (!r.ok) throw new Error(`the hub answered ${r.status}`);
      const body = await r.json();
      setContexts((have) => mergeContexts(have, body?.data?.contexts ?? []));
      setProblem(null);
    } catch (e) {
      setProblem(`Cannot load the recent contexts: ${(e as Error).message}`);
    }
  };
  void load();
  // The last live analysis, so "Now" is filled before the next one arrives.
  void fetch("/api/seed/status")
    .then((r) => (r.ok ? r.json() : null))
    .then((st) => {
      if (typeof st?.last_analysis?.summary === "string" && now() === null) setNow(st.last_analysis as Analysis);
    })
    .catch(() => {});

  link.join("events:seed", {
    seed_event: (e) => {
      if (e?.type === "seed.analysis" && typeof e.summary === "string") setNow(e as Analysis);
      if (e?.type === "seed.context") void load();
    },
  });

  const ask = async (question: string) => {
    setAsking(true);
    try {
      const r = await fetch("/api/seed/query", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ question }),
      });
      const body = await r.json().catch(() => ({}));
      setAnswer(r.ok && body?.success ? { question, ...body } : { question, error: body?.error ?? `seed answered ${r.status}` });
    } catch (e) {
      setAnswer({ question, error: `The hub did not answer: ${(e as Error).message}` });
    } finally {
      setAsking(false);
    }
  };

  return { now, contexts, problem, answer, asking, ask };
}
