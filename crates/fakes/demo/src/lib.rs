//! What the demo feeds Landale so a newcomer sees everything move with no account, no
//! microphone and no tracker: [`voice`] (sentences spoken into phononmaser as OBS's
//! audio plugin sends them) and [`ironmon`] (a recorded run replayed as the tracker
//! sends it, its seeds continuing from the hub's current run).

pub mod ironmon;
pub mod voice;
