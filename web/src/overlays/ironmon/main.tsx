// /overlays/ironmon: the run's stats and checkpoint progress for the ironmon show.
// The data comes from the producer's IronMON content (the ticker's ironmon_* items,
// fed by the IronMON connector). Until a run is seen, viewers see nothing; with
// `?debug` the streamer sees an empty state saying why.
import { createSignal, onCleanup, Show } from "solid-js";
import { render } from "solid-js/web";
import { connect } from "../../lib/landale";
import { debugMode, Pill } from "../../lib/Pill";
import { zoneStyle } from "../../lib/zones";
import { brandingVars, parseBranding, type Branding } from "../../lib/branding";
import { installDebug } from "../../lib/debug";
import { parseState } from "../../lib/stream_state";
import "../overlay.css";
import "./ironmon.css";

/** Checkpoints in FireRed/LeafGreen. */
const TOTAL_CHECKPOINTS = 24;

interface Run {
  run_number: unknown;
  checkpoints_cleared: number;
  current_checkpoint: string;
}

function Page() {
  const link = connect("ironmon");
  const [show, setShow] = createSignal("variety");
  const [run, setRun] = createSignal<Run | null>(null);
  const [branding, setBranding] = createSignal<Branding | null>(null);

  link.join(
    "stream:overlays",
    {
      stream_state: (p) => {
        const s = parseState(p);
        if (!s) return;
        setShow(s.current_show);
        const b = s.base;
        if (b && (b.type === "ironmon_run_stats" || b.type === "ironmon_progression")) {
          const d = b.data;
          setRun(
            d.run_number != null
              ? {
                  run_number: d.run_number,
                  checkpoints_cleared: Number(d.checkpoints_cleared ?? 0),
                  current_checkpoint: String(d.current_checkpoint ?? ""),
                }
              : null,
          );
        }
      },
      show_changed: (p) => typeof p?.show === "string" && setShow(p.show),
      branding: (p) => setBranding(parseBranding(p)),
    },
    { overlay_type: "ironmon" },
  );
  installDebug("ironmon", link, { state: () => ({ show: show(), run: run() }) });
  onCleanup(() => link.dispose());

  const pct = () => Math.min(100, Math.round(((run()?.checkpoints_cleared ?? 0) / TOTAL_CHECKPOINTS) * 100));
  return (
    <div class="canvas" data-show="ironmon" style={brandingVars(branding(), "ironmon")}>
      <div class="ironmon-zone" style={zoneStyle("ironmon")}>
      <Show when={run() !== null || debugMode() !== null}>
      <div class="ironmon" data-testid="ironmon" data-has-run={String(run() !== null)}>
        <Show
          when={run()}
          fallback={
            <div class="ironmon-empty" data-testid="ironmon-empty">
              <div class="ironmon-title">IronMON</div>
              <div>No run yet. Run stats appear here when a seed starts.</div>
            </div>
          }
        >
          {(r) => (
            <>
              <div class="ironmon-title">Run #{String(r().run_number)}</div>
              <div class="ironmon-checkpoint">{r().current_checkpoint}</div>
              <div class="ironmon-progress" aria-label="checkpoints">
                <div class="ironmon-fill" style={{ width: `${pct()}%` }} />
              </div>
              <div class="ironmon-count">
                {r().checkpoints_cleared} / {TOTAL_CHECKPOINTS} checkpoints
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
