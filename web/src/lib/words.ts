// Event and content types in the streamer's words, for everything the dashboard
// shows: "Gift subs", not `channel.subscription.gift`; "Sub train", not `sub_train`.

const WORDS: Record<string, string> = {
  "channel.follow": "Follow",
  "channel.subscribe": "Sub",
  "channel.subscription.message": "Resub",
  "channel.subscription.gift": "Gift subs",
  "channel.subscription.end": "Sub ended",
  "channel.cheer": "Cheer",
  "channel.raid": "Raid",
  "channel.chat.message": "Chat",
  "channel.channel_points_custom_reward_redemption.add": "Channel points",
  "channel.hype_train.begin": "Hype train",
  "channel.update": "Stream info",
  "stream.online": "Live",
  "stream.offline": "Offline",
  checkpoint_clear: "IronMON checkpoint",
  death_alert: "IronMON run over",
  sub_train: "Sub train",
  manual_override: "Announcement",
  alert: "Alert",
  emote_stats: "Emotes today",
  recent_follows: "Latest follows",
  daily_stats: "Today's numbers",
  stream_goals: "Goals",
  ironmon_run_stats: "IronMON run",
  ironmon_progression: "IronMON progress",
  commit_stats: "Commits",
  build_status: "Build",
  "technical-difficulties": "Technical difficulties",
  "screen-cover": "Screen cover",
  "please-stand-by": "Please stand by",
  custom: "Custom message",
  foreground: "Alert",
  midground: "Sub train",
  background: "Bar",
  variety: "Variety",
  ironmon: "IronMON",
  coding: "Coding",
};

/** A type as the streamer says it; an unknown one with its dots and dashes as spaces. */
export function words(type: string | null | undefined): string {
  if (!type) return "";
  const known = WORDS[type];
  if (known) return known;
  const plain = type.replace(/^channel\./, "").replace(/[._-]+/g, " ").trim();
  return plain.charAt(0).toUpperCase() + plain.slice(1);
}
