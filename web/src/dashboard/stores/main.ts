// `dashboard:main`: OBS (status and events) and the Twitch activity log. A change in
// the Twitch connection is handed to `onServiceChange` (the services store refreshes).
import { createSignal } from "solid-js";
import type { Link } from "../../lib/landale";
import { fromPush, fromRest, merge, type Activity } from "../activity";
import type { Control } from "../control";
import { applyEvent, createObsStore, type HubEvent, type ObsStatus } from "../obs";

export function createMainStore(link: Link, control: Control, onServiceChange: () => void) {
  const obs = createObsStore();
  const [activity, setActivity] = createSignal<Activity[]>([]);
  const [activityError, setActivityError] = createSignal<string | null>(null);

  const refreshObs = async () => {
    try {
      obs.replace((await control("dashboard:main", "obs:get_status")) as ObsStatus);
    } catch (e) {
      console.warn("obs:get_status failed", e);
    }
  };
  const loadActivity = async () => {
    try {
      const r = await fetch("/api/activity/events?limit=50");
      if (!r.ok) throw new Error(`activity: HTTP ${r.status}`);
      const body = await r.json();
      const rows = (body?.data?.events ?? []).map(fromRest).filter(Boolean) as Activity[];
      setActivity((list) => merge(list, rows));
      setActivityError(null);
    } catch (e) {
      setActivityError(`Could not load recent activity: ${(e as Error).message}`);
    }
  };

  link.join(
    "dashboard:main",
    {
      obs_event: (e: HubEvent) => {
        const { next, refetch } = applyEvent(obs.status, e);
        obs.replace(next);
        if (refetch) void refreshObs();
      },
      twitch_event: (e) => {
        if (e?.type === "twitch.service_status") return onServiceChange();
        const a = fromPush(e);
        if (a) setActivity((list) => merge(list, [a]));
      },
    },
    {},
    () => {
      void refreshObs();
      void loadActivity();
    },
  );
  return { obs, activity, activityError };
}
