//! `GET /api/queue`: the alert queue as the `queue_state` push has it, plus `history`,
//! the alerts that were on screen (oldest first, the last `queue::HISTORY`), each with
//! when it was first shown. A read: no token. The rehearsal checks it against what the
//! omnibar says it showed.

use crate::hub::Hub;
use axum::extract::State;
use axum::response::Response;
use landale_core::http::env_ok;
use std::sync::Arc;

pub(crate) async fn queue(State(hub): State<Arc<Hub>>) -> Response {
    let mut state = hub.producer.queue_state();
    state["history"] = hub.producer.queue_history();
    env_ok(state)
}
