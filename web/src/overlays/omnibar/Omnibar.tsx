// The omnibar: three layers at the bottom of a transparent 1920×1080 canvas.
// Each layer keeps showing its last content while it animates out, so nothing
// vanishes before its exit; a new alert in a visible layer swaps in.
import { createEffect, createSignal, For, Index, Match, on, onCleanup, onMount, Show, Switch, type Accessor, type JSX } from "solid-js";
import type { Layer, LayerState, Orchestrator, Running } from "../../lib/orchestrator";
import { fitWhenReady } from "../../lib/fit";
import { swapIn } from "../../lib/motion";
import { zoneStyle, type Zone } from "../../lib/zones";
import type { Item } from "../../lib/stream_state";
import { alertVars, cheermoteUrl, renderTemplate, styleOf, tierLabel, type AlertSettings, type AlertStyle } from "../../lib/alert_settings";
import { isVideo, mediaUrl } from "../../lib/media";
import { brandingVars, type Branding } from "../../lib/branding";
import { alertText, latestFollowers, timelineText, topEmotes, type Background, type EmoteCount, type Layers } from "./model";

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

/** A style's accent for the card it colours (none: the show's). */
const accentVars = (style: AlertStyle | null) =>
  style?.accent ? { "--accent": style.accent, "--accent-2": style.accent } : undefined;

function AlertMedia(props: { name: string }) {
  return (
    <Show
      when={isVideo(props.name)}
      fallback={<img class="alert-media" data-testid="alert-image" src={mediaUrl(props.name)} alt="" />}
    >
      <video class="alert-media" data-testid="alert-image" src={mediaUrl(props.name)} autoplay muted loop playsinline />
    </Show>
  );
}

/** Cheermote URLs the hub could not draw: not asked for again on this page. */
const brokenCheermotes = new Set<string>();

/** A cheer's tier image; nothing (the card's words carry the bits) when there is none. */
function Cheermote(props: { url: string }) {
  const [failed, setFailed] = createSignal(brokenCheermotes.has(props.url));
  return (
    <Show when={!failed()}>
      <img
        class="alert-media cheermote"
        data-testid="cheermote"
        src={props.url}
        alt=""
        onError={() => {
          brokenCheermotes.add(props.url);
          setFailed(true);
        }}
      />
    </Show>
  );
}

export function AlertCard(props: { item: Item; style: AlertStyle | null }) {
  const t = () => alertText(props.item, props.style);
  const cheer = () => {
    const d = props.item.data;
    return d.type === "channel.cheer" ? cheermoteUrl(d.message, d.bits) : null;
  };
  let title!: HTMLDivElement;
  createEffect(on(() => [t().title, props.style?.image], () => fitWhenReady(title, TITLE_MAX_PX, TITLE_MIN_PX)));
  return (
    <div
      class={`alert-card variant-${props.style?.variant ?? "card"}`}
      data-testid="alert"
      data-alert-type={props.item.data.type ?? props.item.type}
      data-style={props.item.data.style ?? ""}
      style={accentVars(props.style)}
    >
      <Show when={props.style?.image} fallback={<Show when={cheer()}>{(url) => <Cheermote url={url()} />}</Show>}>
        {(name) => <AlertMedia name={name()} />}
      </Show>
      <div class="alert-text">
        <Show when={t().kicker}>
          <div class="alert-kicker">{t().kicker}</div>
        </Show>
        <div class="alert-title" data-testid="alert-title" ref={title} dir="auto">
          {t().title}
        </div>
        <Show when={t().detail}>
          <div class="alert-detail" data-testid="alert-detail" dir="auto">
            {t().detail}
          </div>
        </Show>
      </div>
    </div>
  );
}

export function SubTrain(props: { item: Item; style: AlertStyle | null }) {
  const d = () => props.item.data;
  const latest = () => {
    const s = props.style;
    if (!s) return `${d().latest_subscriber ?? d().subscriber ?? "Someone"} · ${tierLabel(d().latest_tier ?? d().tier)}`;
    const vars = alertVars(props.item);
    return [renderTemplate(s.title, vars), renderTemplate(s.detail, vars)].filter(Boolean).join(" · ");
  };
  let line!: HTMLDivElement;
  createEffect(on(latest, () => fitWhenReady(line, 28, 16)));
  return (
    <div class="train-card" data-testid="sub-train" style={accentVars(props.style)}>
      <div class="train-count">
        <span class="train-x">×</span>
        {d().count ?? 1}
      </div>
      <div class="train-text">
        <div class="train-label">{props.style?.kicker || "Sub train"}</div>
        <div class="train-latest" data-testid="train-latest" dir="auto" ref={line}>
          {latest()}
        </div>
      </div>
    </div>
  );
}

/** Emote ids whose image failed once: their names are shown, and no new request made. */
const brokenEmotes = new Set<string>();

/** An emote as its image, or its name when it has no id or the image fails. */
function Emote(props: { emote: EmoteCount }) {
  // Bumped when an image fails, so `drawn` reads the set again.
  const [failures, setFailures] = createSignal(0);
  const id = () => props.emote.id;
  const drawn = () => (failures(), !!id() && !brokenEmotes.has(id()!));
  return (
    <span class="emote" data-emote={props.emote.name}>
      <Show when={drawn()} fallback={<span class="emote-name">{props.emote.name}</span>}>
        <img
          class="emote-img"
          data-testid="emote-img"
          src={`/emotes/${id()}`}
          alt={props.emote.name}
          onError={() => {
            brokenEmotes.add(id()!);
            setFailures((n) => n + 1);
          }}
        />
      </Show>{" "}
      <b>{props.emote.count}</b>
    </span>
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
            {/* By position: a count going up updates the text, it does not make a new image. */}
            <Index each={topEmotes(props.base)}>{(e) => <Emote emote={e()} />}</Index>
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

function Bar(props: { bg: Background; branding: Branding | null }) {
  return (
    <div class="bar" data-testid="bar">
      <div class="bar-brand" data-testid="bar-brand">
        <Show when={props.branding?.logo} fallback={props.branding?.name || "LANDALE"}>
          {(logo) => <img class="bar-logo" src={mediaUrl(logo())} alt={props.branding?.name || "logo"} />}
        </Show>
      </div>
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
  settings: Accessor<AlertSettings | null>;
  branding?: Accessor<Branding | null>;
  show: Accessor<string>;
  orchestrator: Orchestrator;
  onAlertShown?: (a: Item) => void;
}) {
  return (
    <div class="omnibar" data-testid="omnibar" data-show={props.show()} style={brandingVars(props.branding?.() ?? null, props.show())}>
      <LayerBox layer="background" content={props.layers().background} orchestrator={props.orchestrator}>
        {(bg) => <Bar bg={bg()} branding={props.branding?.() ?? null} />}
      </LayerBox>
      <LayerBox layer="midground" content={props.layers().midground} orchestrator={props.orchestrator}>
        {(it) => <SubTrain item={it()} style={styleOf(props.settings(), it())} />}
      </LayerBox>
      <LayerBox
        layer="foreground"
        content={props.layers().foreground}
        orchestrator={props.orchestrator}
        onShown={props.onAlertShown}
      >
        {(it) => <AlertCard item={it()} style={styleOf(props.settings(), it())} />}
      </LayerBox>
    </div>
  );
}
