//! Channel topics, the `events:<filter>` table, and the push event names each channel
//! family uses for a unified event.

use crate::event::Source;

/// A topic a client can join. Parsing follows the reference's routing order:
/// `dashboard:services`, `dashboard:*`, `events:*`, `overlay:*`, `stream:*`, `transcription:*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelTopic {
    Events(EventFilter),
    Dashboard(String),
    DashboardServices,
    Overlay(String),
    StreamOverlays,
    StreamQueue,
    TranscriptionLive,
    TranscriptionSession(String),
}

/// Why a topic cannot be joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicError {
    /// No channel family handles this topic: reply `{"reason": "unmatched topic"}`.
    Unmatched,
    /// The family exists but refuses this sub-topic; the reason is sent to the client.
    Refused(&'static str),
}

pub const INVALID_TRANSCRIPTION_TOPIC: &str =
    "Invalid transcription channel. Use 'transcription:live' or 'transcription:session:{session_id}'";

impl ChannelTopic {
    pub fn parse(topic: &str) -> Result<ChannelTopic, TopicError> {
        if topic == "dashboard:services" {
            return Ok(ChannelTopic::DashboardServices);
        }
        let Some((family, rest)) = topic.split_once(':') else {
            return Err(TopicError::Unmatched);
        };
        match family {
            "dashboard" => Ok(ChannelTopic::Dashboard(rest.to_string())),
            "events" => Ok(ChannelTopic::Events(EventFilter::parse(rest))),
            "overlay" => Ok(ChannelTopic::Overlay(rest.to_string())),
            "stream" => match rest {
                "overlays" => Ok(ChannelTopic::StreamOverlays),
                "queue" => Ok(ChannelTopic::StreamQueue),
                _ => Err(TopicError::Refused(
                    "Unknown stream topic. Use 'stream:overlays' or 'stream:queue'",
                )),
            },
            "transcription" => match rest {
                "live" => Ok(ChannelTopic::TranscriptionLive),
                _ => match rest.strip_prefix("session:") {
                    Some(id) if !id.is_empty() => {
                        Ok(ChannelTopic::TranscriptionSession(id.to_string()))
                    }
                    _ => Err(TopicError::Refused(INVALID_TRANSCRIPTION_TOPIC)),
                },
            },
            _ => Err(TopicError::Unmatched),
        }
    }
}

/// The `events:<filter>` suffixes. Unknown suffixes join but forward nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventFilter {
    All,
    Source(Source),
    Music,
    Chat,
    Goals,
    Interactions,
    Dashboard,
    Nothing,
}

impl EventFilter {
    pub fn parse(s: &str) -> EventFilter {
        match s {
            "all" => EventFilter::All,
            "twitch" => EventFilter::Source(Source::Twitch),
            "obs" => EventFilter::Source(Source::Obs),
            "ironmon" => EventFilter::Source(Source::Ironmon),
            "system" => EventFilter::Source(Source::System),
            "rainwave" => EventFilter::Source(Source::Rainwave),
            "stream" => EventFilter::Source(Source::Stream),
            "seed" => EventFilter::Source(Source::Seed),
            "music" => EventFilter::Music,
            "chat" => EventFilter::Chat,
            "goals" => EventFilter::Goals,
            "interactions" => EventFilter::Interactions,
            "dashboard" => EventFilter::Dashboard,
            _ => EventFilter::Nothing,
        }
    }

    /// Does an event of this type and source pass the filter?
    pub fn matches(self, event_type: &str, source: Source) -> bool {
        match self {
            EventFilter::All => true,
            EventFilter::Source(s) => s == source,
            EventFilter::Music => source == Source::Rainwave,
            EventFilter::Chat => {
                source == Source::Twitch && event_type.starts_with("channel.chat.")
            }
            EventFilter::Goals => {
                source == Source::Twitch && event_type.starts_with("channel.goal.")
            }
            EventFilter::Interactions => {
                source == Source::Twitch
                    && matches!(
                        event_type,
                        "channel.follow"
                            | "channel.subscribe"
                            | "channel.subscription.gift"
                            | "channel.cheer"
                    )
            }
            EventFilter::Dashboard => match source {
                Source::Twitch => matches!(
                    event_type,
                    "stream.online" | "stream.offline" | "channel.update"
                ),
                Source::Obs
                | Source::System
                | Source::Rainwave
                | Source::Ironmon
                | Source::Seed => true,
                Source::Stream => false,
            },
            EventFilter::Nothing => false,
        }
    }
}

/// Push name on `events:*` for an event.
pub fn events_push_name(event_type: &str, source: Source) -> &'static str {
    match source {
        Source::Twitch => match event_type {
            "channel.chat.message" => "chat_message",
            "channel.chat.clear" => "chat_clear",
            "channel.chat.message_delete" => "message_delete",
            "channel.follow" => "follower",
            "channel.subscribe" => "subscription",
            "channel.subscription.gift" => "gift_subscription",
            "channel.cheer" => "cheer",
            "channel.update" => "channel_update",
            _ => "twitch_event",
        },
        Source::Obs => "obs_event",
        Source::Ironmon => "ironmon_event",
        Source::System => "system_event",
        Source::Rainwave => "rainwave_event",
        Source::Stream => "stream_event",
        Source::Seed => "seed_event",
    }
}

/// Push name on `dashboard:<room>`; `None` means not forwarded.
pub fn dashboard_push_name(event_type: &str, source: Source) -> Option<&'static str> {
    Some(match source {
        Source::Obs => "obs_event",
        Source::Twitch => match event_type {
            "twitch.connection_established" => "twitch_connected",
            "twitch.connection_lost" => "twitch_disconnected",
            "twitch.connection_changed" => "twitch_connection_changed",
            _ => "twitch_event",
        },
        Source::Ironmon => "ironmon_event",
        Source::Rainwave => "rainwave_event",
        Source::System => match event_type {
            "system.health_check" => "health_update",
            "system.performance_metric" => "performance_update",
            _ => "system_event",
        },
        Source::Seed => "seed_event",
        Source::Stream => return None,
    })
}

/// Push name on `overlay:<type>`: only matching pairs are forwarded.
pub fn overlay_push_name(overlay_type: &str, source: Source) -> Option<&'static str> {
    match (overlay_type, source) {
        ("obs", Source::Obs) => Some("obs_event"),
        ("twitch", Source::Twitch) => Some("twitch_event"),
        ("ironmon", Source::Ironmon) => Some("ironmon_event"),
        ("music", Source::Rainwave) => Some("music_event"),
        ("system", Source::System) => Some("system_event"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_order() {
        assert_eq!(
            ChannelTopic::parse("dashboard:services"),
            Ok(ChannelTopic::DashboardServices)
        );
        assert_eq!(
            ChannelTopic::parse("dashboard:main"),
            Ok(ChannelTopic::Dashboard("main".into()))
        );
        assert_eq!(
            ChannelTopic::parse("events:chat"),
            Ok(ChannelTopic::Events(EventFilter::Chat))
        );
        assert_eq!(
            ChannelTopic::parse("events:bogus"),
            Ok(ChannelTopic::Events(EventFilter::Nothing))
        );
        assert_eq!(
            ChannelTopic::parse("overlay:obs"),
            Ok(ChannelTopic::Overlay("obs".into()))
        );
        assert_eq!(
            ChannelTopic::parse("stream:overlays"),
            Ok(ChannelTopic::StreamOverlays)
        );
        assert!(matches!(
            ChannelTopic::parse("stream:other"),
            Err(TopicError::Refused(_))
        ));
        assert_eq!(
            ChannelTopic::parse("transcription:live"),
            Ok(ChannelTopic::TranscriptionLive)
        );
        assert_eq!(
            ChannelTopic::parse("transcription:session:abc"),
            Ok(ChannelTopic::TranscriptionSession("abc".into()))
        );
        assert_eq!(
            ChannelTopic::parse("transcription:other"),
            Err(TopicError::Refused(INVALID_TRANSCRIPTION_TOPIC))
        );
        assert_eq!(ChannelTopic::parse("nope:1"), Err(TopicError::Unmatched));
        assert_eq!(ChannelTopic::parse("nocolon"), Err(TopicError::Unmatched));
    }

    /// The whole `events:*` matrix: every filter against one event of each kind.
    #[test]
    fn filter_matrix() {
        let samples: [(&str, Source); 12] = [
            ("channel.chat.message", Source::Twitch),
            ("channel.chat.clear", Source::Twitch),
            ("channel.follow", Source::Twitch),
            ("channel.subscribe", Source::Twitch),
            ("channel.goal.progress", Source::Twitch),
            ("stream.online", Source::Twitch),
            ("channel.update", Source::Twitch),
            ("obs.scene_changed", Source::Obs),
            ("ironmon.checkpoint", Source::Ironmon),
            ("rainwave.song_changed", Source::Rainwave),
            ("system.health_check", Source::System),
            ("stream.state_updated", Source::Stream),
        ];
        // One row per filter: which of the samples above pass, as 0/1 in the same order.
        let table: [(&str, [u8; 12]); 14] = [
            ("all", [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
            ("twitch", [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]),
            ("obs", [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]),
            ("ironmon", [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]),
            ("rainwave", [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]),
            ("system", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]),
            ("stream", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            ("music", [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]),
            ("chat", [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ("goals", [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]),
            ("interactions", [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
            ("dashboard", [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0]),
            ("bogus", [0; 12]),
            ("", [0; 12]),
        ];
        for (filter, expected) in table {
            let f = EventFilter::parse(filter);
            for ((ty, src), want) in samples.iter().zip(expected) {
                assert_eq!(f.matches(ty, *src), want == 1, "filter {filter:?} on {ty}");
            }
        }
    }

    #[test]
    fn push_names() {
        assert_eq!(
            events_push_name("channel.follow", Source::Twitch),
            "follower"
        );
        assert_eq!(
            events_push_name("channel.raid", Source::Twitch),
            "twitch_event"
        );
        assert_eq!(
            events_push_name("stream.state_updated", Source::Stream),
            "stream_event"
        );
        assert_eq!(
            dashboard_push_name("stream.state_updated", Source::Stream),
            None
        );
        assert_eq!(
            dashboard_push_name("system.health_check", Source::System),
            Some("health_update")
        );
        assert_eq!(
            overlay_push_name("music", Source::Rainwave),
            Some("music_event")
        );
        assert_eq!(overlay_push_name("obs", Source::Twitch), None);
    }
}
