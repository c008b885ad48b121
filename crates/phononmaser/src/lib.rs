//! phononmaser: live captions from the streamer's voice. Audio from the OBS plugin
//! `obs-audio-to-websocket` (`frame`) becomes mono 16 kHz (`audio`), utterances
//! (`vad`), jobs per source (`pipeline`), text on a worker thread running whisper.cpp
//! (`recognize`, with `filter` dropping what is not speech and `model` converting the
//! default CTranslate2 model to ggml), and captions for the hub (`deliver`).
//! `prompt` keeps the channel's names and words for Whisper's prompt. `server` takes
//! the audio and serves `/events`; `health` reports.

pub mod audio;
pub mod deliver;
pub mod filter;
pub use landale_protocol::audio_frame as frame;
pub mod health;
pub mod model;
pub mod pipeline;
pub mod prompt;
pub mod recognize;
pub mod server;
pub mod service;
pub mod settings;
pub mod vad;
