// Stream context (seed): what is happening now, the last contexts with what they were
// built from, and an Ask box for questions about the stream.
import { For, Show } from "solid-js";
import { madeBy, sourceCounts, timeRange } from "./context";
import type { createContextStore } from "./stores/context";

type Store = ReturnType<typeof createContextStore>;

export function StreamContextPanel(props: { store: Store; seed?: { status?: string; error?: string | null; detail?: string | null } | null }) {
  const s = props.store;
  let input!: HTMLInputElement;
  const seedProblem = () => {
    const e = props.seed;
    if (!e) return null;
    if (e.status === "healthy") return null;
    if (e.error === "Service unreachable" || e.error === "Connection timed out") return "seed is not running, or not where SEED_HEALTH_URL says: no new contexts.";
    return e.detail ?? e.error ?? `seed is ${e.status ?? "unknown"}`;
  };
  return (
    <section class="panel area-context" data-testid="context-panel" aria-label="Stream context">
      <header>
        <h2>Stream context</h2>
        <span class="muted">from seed</span>
      </header>
      <Show when={seedProblem()}>
        <p class="problem" data-testid="context-seed-problem">{seedProblem()}</p>
      </Show>
      <div class="context-now" data-testid="context-now">
        <h3>Now</h3>
        <Show when={s.now()} fallback={<p class="muted">Nothing yet: seed sums up the last two minutes every 30 seconds.</p>}>
          {(a) => (
            <>
              <p data-testid="context-now-summary">{a().summary}</p>
              <p class="muted">
                <Show when={a().sentiment}>{a().sentiment} · </Show>
                <Show when={a().topics?.length}>{a().topics!.join(", ")} · </Show>
                {a().analysis === "llm" ? "by the LLM" : `seed's own count${a().reason ? ` (${a().reason})` : ""}`}
              </p>
            </>
          )}
        </Show>
      </div>
      <h3>Recent</h3>
      <Show when={s.problem()}>
        <p class="problem">{s.problem()}</p>
      </Show>
      <ol class="list contexts" data-testid="context-list">
        <For each={s.contexts()} fallback={<li class="muted">No context stored yet</li>}>
          {(c) => (
            <li data-testid="context-item">
              <div>
                <time class="muted">{timeRange(c.started, c.ended)}</time>{" "}
                <Show when={c.sentiment}>
                  <span class="pill">{c.sentiment}</span>
                </Show>
              </div>
              <p data-testid="context-summary">{c.summary || c.transcript || "(nothing said)"}</p>
              <details>
                <summary class="muted" data-testid="context-sources">
                  {sourceCounts(c)} · {madeBy(c)}
                </summary>
                <ul class="sources">
                  <For each={c.sources?.transcriptions ?? []}>{(r) => <li>speech #{r.seq ?? "?"} at {timeRange(r.at)}</li>}</For>
                  <For each={c.sources?.chat ?? []}>{(r) => <li>chat #{r.seq ?? "?"} at {timeRange(r.at)}</li>}</For>
                  <For each={c.sources?.events ?? []}>{(r) => <li>{r.type ?? "event"} #{r.seq ?? "?"} at {timeRange(r.at)}</li>}</For>
                </ul>
              </details>
            </li>
          )}
        </For>
      </ol>
      <form
        class="ask"
        onSubmit={(ev) => {
          ev.preventDefault();
          const q = input.value.trim();
          if (q) void s.ask(q);
        }}
      >
        <input ref={input} placeholder="Ask: how many subs this stream?" aria-label="Ask about the stream" data-testid="context-ask-input" maxlength="1000" />
        <button type="submit" disabled={s.asking()} data-testid="context-ask">
          {s.asking() ? "Asking…" : "Ask"}
        </button>
      </form>
      <Show when={s.answer()}>
        {(a) => (
          <div class="answer" data-testid="context-answer">
            <Show when={a().error} fallback={<p data-testid="context-answer-text">{a().answer}</p>}>
              <p class="problem" data-testid="context-answer-error">{a().error}</p>
            </Show>
            <Show when={a().sources?.length}>
              <p class="muted" data-testid="context-answer-sources">
                From: {a().sources!.map((x) => (x.kind === "context" ? `context ${timeRange(x.started)}` : x.route ?? x.kind)).join(", ")}
              </p>
            </Show>
          </div>
        )}
      </Show>
    </section>
  );
}
