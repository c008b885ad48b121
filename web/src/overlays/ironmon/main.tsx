// /overlays/ironmon: the live IronMON run for the ironmon show: run number,
// checkpoint progress with names, the team, the last battle and where the player is.
// It reads the hub's IronMON integration: `overlay:ironmon` gives the run on join and
// every `ironmon_event` carries it as it now stands. Before a seed, viewers see
// nothing; with `?debug` the streamer sees an empty state saying why.
import { createSignal, For, onCleanup, Show } from "solid-js";
import { render } from "solid-js/web";
import { connect } from "../../lib/landale";
import { debugMode, Pill } from "../../lib/Pill";
import { zoneStyle } from "../../lib/zones";
import { brandingVars, parseBranding, type Branding } from "../../lib/branding";
import { installDebug } from "../../lib/debug";
import { battleLine, checkpointLabel, parseRun, type RunView } from "./run";
import "../overlay.css";
import "./ironmon.css";

function Page() {
  const link = connect("ironmon");
  const [run, setRun] = createSignal<RunView | null>(null);
  const [listening, setListening] = createSignal<boolean | null>(null);
  const [branding, setBranding] = createSignal<Branding | null>(null);

  link.join(
    "overlay:ironmon",
    {
      initial_state: (p) => {
        const d = p?.data ?? {};
        setListening(d.listening === true);
        setRun(parseRun(d.run));
      },
      ironmon_event: (e) => {
        if (e && typeof e === "object" && "run" in e) setRun(parseRun(e.run));
      },
    },
  );
  link.join("stream:overlays", { branding: (p) => setBranding(parseBranding(p)) }, { overlay_type: "ironmon" });
  installDebug("ironmon", link, { state: () => ({ listening: listening(), run: run() }) });
  onCleanup(() => link.dispose());

  const pct = () => {
    const r = run();
    return r && r.total > 0 ? Math.min(100, Math.round((r.cleared / r.total) * 100)) : 0;
  };
  return (
    <div class="canvas" data-show="ironmon" style={brandingVars(branding(), "ironmon")}>
      <div class="ironmon-zone" style={zoneStyle("ironmon")}>
        <Show when={run() !== null || debugMode() !== null}>
          <div class="ironmon" data-testid="ironmon" data-has-run={String(run() !== null)} data-active={String(run()?.active ?? false)}>
            <Show
              when={run()}
              fallback={
                <div class="ironmon-empty" data-testid="ironmon-empty">
                  <div class="ironmon-title">IronMON</div>
                  <div>
                    {listening() === false
                      ? "The IronMON listener is not running: check IRONMON_PORT in the hub's settings."
                      : "No run yet. The run appears here when the tracker sends a seed."}
                  </div>
                </div>
              }
            >
              {(r) => (
                <>
                  <div class="ironmon-head">
                    <div class="ironmon-title" data-testid="ironmon-run">Run #{r().runNumber}</div>
                    <Show when={r().attempts !== null}>
                      <div class="ironmon-attempts">
                        {r().attempts} attempt{r().attempts === 1 ? "" : "s"}
                      </div>
                    </Show>
                  </div>
                  <Show when={r().ended}>
                    <div class="ironmon-ended" data-testid="ironmon-ended">Run over: {r().ended}</div>
                  </Show>
                  <div class="ironmon-checkpoint" data-testid="ironmon-checkpoint">
                    {r().current === "Starting out" ? "Starting out" : `Cleared ${checkpointLabel(r().current)}`}
                    <Show when={r().next && r().active}>
                      <span class="ironmon-next" data-testid="ironmon-next">
                        {" "}· next {checkpointLabel(r().next!.name)}
                        <Show when={r().next!.clearRate !== null}> ({r().next!.clearRate}% clear)</Show>
                      </span>
                    </Show>
                  </div>
                  <div class="ironmon-progress" aria-label="checkpoints">
                    <div class="ironmon-fill" style={{ width: `${pct()}%` }} />
                  </div>
                  <ol class="ironmon-steps" data-testid="ironmon-steps">
                    <For each={r().checkpoints}>
                      {(c) => <li classList={{ cleared: c.cleared }} title={`${checkpointLabel(c.name)} (${c.trainer})`} data-cleared={String(c.cleared)} />}
                    </For>
                  </ol>
                  <div class="ironmon-count" data-testid="ironmon-count">
                    {r().cleared} / {r().total} checkpoints
                  </div>
                  <Show when={r().team.length > 0}>
                    <ul class="ironmon-team" data-testid="ironmon-team">
                      <For each={r().team}>
                        {(m) => (
                          <li classList={{ fainted: m.hp === 0 }}>
                            <span class="mon-name">{m.name}</span>
                            <Show when={m.level !== null}> <span class="mon-level">Lv {m.level}</span></Show>
                          </li>
                        )}
                      </For>
                    </ul>
                  </Show>
                  <div class="ironmon-where">
                    <Show when={r().location}>
                      <span data-testid="ironmon-location">{r().location}</span>
                    </Show>
                    <Show when={battleLine(r())}>
                      <span class="ironmon-battle" data-testid="ironmon-battle">{battleLine(r())}</span>
                    </Show>
                  </div>
                </>
              )}
            </Show>
          </div>
        </Show>
      </div>
      <Pill online={link.online} />
    </div>
  );
}

render(() => <Page />, document.getElementById("root")!);
