//! Wire types for Landale. Everything that crosses a socket is defined here, and
//! nothing here does I/O.
//!
//! * [`frame`]: Phoenix Channels frames, v1 objects and v2 arrays.
//! * [`event`]: the unified event every producer's input becomes.
//! * [`topic`]: channel topics, the `events:<filter>` table and push names.
//! * [`envelope`]: the `{success, data|error, meta}` reply envelope.
//! * [`audio_frame`]: the OBS audio plugin's frames, as phononmaser takes them.

pub mod audio_frame;
pub mod catalogue;
pub mod envelope;
pub mod event;
pub mod frame;
pub mod schema;
pub mod topic;

pub use event::{Event, Source};
pub use frame::{Frame, FrameError, Vsn};
pub use topic::{ChannelTopic, EventFilter, TopicError};

/// The overlay pages, `/overlays/<name>` (OBS browser sources, 1920×1080), in the
/// order they stack in a scene. `web/vite.config.ts` builds the same list.
pub const OVERLAYS: [&str; 7] = [
    "takeover",
    "omnibar",
    "captions",
    "ironmon",
    "music",
    "chat",
    "emote-rain",
];
