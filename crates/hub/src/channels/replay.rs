//! What a channel replays from storage when a join's `last_seq` is older than the
//! bus ring: stored events, routed as the live ones would be, or, for the
//! transcription channels, stored transcriptions. The socket task pages through
//! these and sends them; it does not know what is stored where.

use super::Channel;
use crate::bus::{BusKind, BusMessage};
use crate::store::Store;
use std::sync::Arc;
use std::time::Instant;

/// One stored message: its seq, the push name it goes out under (`None`: this
/// channel does not forward it), and its payload.
pub(crate) type StoredMessage = (u64, Option<String>, String);

impl Channel {
    /// The next page (at most `limit`) of stored messages with `after < seq < before`.
    pub(crate) async fn stored_page(
        &self,
        store: &Store,
        topic: &str,
        after: u64,
        before: u64,
        limit: i64,
    ) -> Result<Vec<StoredMessage>, String> {
        match self {
            Channel::Transcription(session) => {
                let rows = store
                    .transcriptions_between_seq(after, before, limit)
                    .await
                    .map_err(|e| format!("transcription replay from storage failed: {e}"))?;
                Ok(rows
                    .into_iter()
                    .map(|t| {
                        let wanted = session.is_none()
                            || t.stream_session_id.as_deref() == session.as_deref();
                        let name = wanted.then(|| "new_transcription".to_string());
                        (t.seq as u64, name, t.to_wire("replay").to_string())
                    })
                    .collect())
            }
            _ => {
                let rows = store
                    .events_between_seq(after, before, limit)
                    .await
                    .map_err(|e| format!("event replay from storage failed: {e}"))?;
                Ok(rows
                    .into_iter()
                    .filter_map(|v| {
                        let event: landale_protocol::Event = serde_json::from_value(v).ok()?;
                        let json = serde_json::to_string(&event).ok()?;
                        let msg = BusMessage {
                            seq: event.seq,
                            published_at: Instant::now(),
                            kind: BusKind::Event {
                                event: Arc::new(event),
                            },
                            json: json.into(),
                        };
                        let name = self.route(topic, &msg).map(str::to_owned);
                        Some((msg.seq, name, msg.json.to_string()))
                    })
                    .collect())
            }
        }
    }
}
