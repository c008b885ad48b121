// The omnibar: three layers at the bottom of a transparent 1920×1080 canvas.
// Each layer keeps showing its last content while it animates out, so nothing
// vanishes before its exit; a new alert in a visible layer swaps in.
import { createEffect, createSignal, For, Match, on, onCleanup, onMount, Show, Switch, type Accessor, type JSX } from "solid-js";
import type { Layer, LayerState, Orchestrator, Running } from "../../lib/orchestrator";
import { fitWhenReady } from "../../lib/fit";
import { swapIn } from "../../lib/motion";
import { zoneStyle, type Zone } from "../../lib/zones";
import type { Item } from "../../lib/stream_state";
import { tierLabel } from "../../lib/alert_settings";
import { alertText, latestFollowers, timelineText, topEmotes, type Background, type Layers } from "./model";

const PRIORITY: Record<Layer, number> = { foreground: 100, midground: 50, background: 10 };
/** Each layer's zone on the shared canvas (lib/zones.ts). */
const ZONE: Record<Layer, Zone> = { foreground: "alert", midground: "train", background: "bar" };

function LayerBox<T extends { id: string }>(props: {
  layer: Layer;
  content: T | null;
  orchestrator: Orchestrator;
  onShown?: (c: T) => void;
  children: (c: Accessor<T>) => JSX.Element;
}) {
  const [state, setState] = createSignal<LayerState>("hidden");
  const [shown, setShown] = createSignal<T | null>(null);
  let box!: HTMLDivElement;
  let inner: HTMLDivElement | undefined;
  let swap: Running | null = null;

  const off = props.orchestrator.onChange((layer, s) => {
    if (layer !== props.layer) return;
    setState(s);
    if (s === "hidden" && !props.content) setShown(null);
  });
  onMount(() => props.orchestrator.register(props.layer, box));
  onCleanup(() => {
    off();
    swap?.kill();
    props.orchestrator.unregister(props.layer);
  });

  createEffect(
    on(
      () => props.content,
      (c) => {
        if (c) {
          const before = shown();
          setShown(() => c);
          if (before?.id !== c.id) {
            props.onShown?.(c);
            // Same layer, new content while on screen: a short swap, not a re-entry.
            if (before && inner && props.orchestrator.visible(props.layer)) {
              swap?.kill();
              swap = swapIn(inner);
            }
          }
          props.orchestrator.show(props.layer);
        } else {
          props.orchestrator.hide(props.layer);
        }
      },
    ),
  );

  return (
    <div
      ref={box}
      class={`layer layer-${props.layer}`}
      style={zoneStyle(ZONE[props.layer])}
      data-layer={props.layer}
      data-priority={PRIORITY[props.layer]}
      data-state={state()}
      data-has-content={String(shown() !== null)}
    >
      <Show when={shown()}>
        {(c) => (
          <div class="layer-content" ref={inner} data-id={c().id}>
            {props.children(c)}
          </div>
        )}
      </Show>
    </div>
  );
}

/** The alert title's size range: it shrinks to fit before the ellipsis. */
const TITLE_MAX_PX = 52;
const TITLE_MIN_PX = 16;

function AlertCard(props: { item: Item }) {
  const t = () => alertText(props.item);
  let title!: HTMLDivElement;
  createEffect(on(() => t().title, () => fitWhenReady(title, TITLE_MAX_PX, TITLE_MIN_PX)));
  return (
    <div class="alert-card" data-testid="alert" data-alert-type={props.item.data.type ?? props.item.type}>
      <div class="alert-kicker">{t().kicker}</div>
      <div class="alert-title" data-testid="alert-title" ref={title} dir="auto">
        {t().title}
      </div>
      <Show when={t().detail}>
        <div class="alert-detail" data-testid="alert-detail" dir="auto">
          {t().detail}
        </div>
      </Show>
    </div>
  );
}

function SubTrain(props: { item: Item }) {
  const d = () => props.item.data;
  return (
    <div class="train-card" data-testid="sub-train">
      <div class="train-count">
        <span class="train-x">×</span>
        {d().count ?? 1}
      </div>
      <div>
        <div class="train-label">Sub train</div>
        <div class="train-latest">
          {d().latest_subscriber ?? d().subscriber ?? "Someone"} · {tierLabel(d().latest_tier ?? d().tier)}
        </div>
      </div>
    </div>
  );
}

function Ticker(props: { base: Item }) {
  const d = () => props.base.data;
  return (
    <div class="ticker" data-testid="ticker" data-ticker-type={props.base.type}>
      <Switch fallback={<span class="ticker-text">{String(d().message ?? props.base.type.replace(/_/g, " "))}</span>}>
        <Match when={props.base.type === "emote_stats"}>
          <span class="ticker-label">Emotes today</span>
          <Show when={topEmotes(props.base).length > 0} fallback={<span class="ticker-text">No emotes yet today</span>}>
            <For each={topEmotes(props.base)}>
              {([name, n]) => (
                <span class="emote" data-emote={name}>
                  {name} <b>{n}</b>
                </span>
              )}
            </For>
          </Show>
        </Match>
        <Match when={props.base.type === "recent_follows"}>
          <span class="ticker-label">Latest follows</span>
          <For each={latestFollowers(d().recent_followers)}>{(name) => <span class="chip">{name}</span>}</For>
        </Match>
        <Match when={props.base.type === "daily_stats"}>
          <span class="ticker-label">Today</span>
          <span class="stat">
            <b>{d().total_messages ?? 0}</b> messages
          </span>
          <span class="stat">
            <b>{d().total_follows ?? 0}</b> follows
          </span>
        </Match>
        <Match when={props.base.type === "stream_goals"}>
          <span class="ticker-label">Goals</span>
          <For each={Object.entries(d()).filter(([, g]) => g && typeof g === "object")}>
            {([k, g]: [string, any]) => (
              <span class="stat">
                {k.replace(/_goal$/, "").replace(/_/g, " ")} <b>{g.current ?? 0}</b>/{g.target ?? 0}
              </span>
            )}
          </For>
        </Match>
        <Match when={props.base.type === "ironmon_run_stats" || props.base.type === "ironmon_progression"}>
          <span class="ticker-label">IronMON</span>
          {/* No run: nothing for viewers (the dashboard says there is none). */}
          <Show when={d().run_number != null}>
            <span class="stat">
              Run <b>#{d().run_number}</b>
            </span>
            <span class="stat">
              <b>{d().checkpoints_cleared ?? 0}</b> checkpoints
            </span>
            <span class="stat">{d().current_checkpoint}</span>
          </Show>
        </Match>
      </Switch>
    </div>
  );
}

function Bar(props: { bg: Background }) {
  return (
    <div class="bar" data-testid="bar">
      <div class="bar-brand">LANDALE</div>
      <Show when={props.bg.base}>{(b) => <Ticker base={b()} />}</Show>
      <div class="timeline" data-testid="timeline">
        <For each={props.bg.timeline.slice(0, 3)}>
          {(t, i) => (
            <span class={`chip ${i() === 0 ? "latest" : ""}`} data-testid={i() === 0 ? "latest-event" : undefined}>
              {timelineText(t)}
            </span>
          )}
        </For>
      </div>
    </div>
  );
}

export function Omnibar(props: {
  layers: Accessor<Layers>;
  show: Accessor<string>;
  orchestrator: Orchestrator;
  onAlertShown?: (a: Item) => void;
}) {
  return (
    <div class="omnibar" data-testid="omnibar" data-show={props.show()}>
      <LayerBox layer="background" content={props.layers().background} orchestrator={props.orchestrator}>
        {(bg) => <Bar bg={bg()} />}
      </LayerBox>
      <LayerBox layer="midground" content={props.layers().midground} orchestrator={props.orchestrator}>
        {(it) => <SubTrain item={it()} />}
      </LayerBox>
      <LayerBox
        layer="foreground"
        content={props.layers().foreground}
        orchestrator={props.orchestrator}
        onShown={props.onAlertShown}
      >
        {(it) => <AlertCard item={it()} />}
      </LayerBox>
    </div>
  );
}
