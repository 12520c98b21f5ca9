//! Interactions close explicitly or after `conversations.idle_close_secs` without
//! activity (opening, content, verification). The sweep runs every minute on every
//! node; the store's conditional update closes each interaction once. Access
//! checks also treat an interaction idle past the limit as closed, so the minute
//! between sweeps opens nothing.

use custos_store::{ConversationStore as _, InteractionRecord};

use crate::audit::event_time_ms;
use crate::state::AppState;

/// Whether `interaction` is open now: not closed and not idle past the limit.
pub fn is_open(state: &AppState, interaction: &InteractionRecord) -> bool {
    let idle = i64::try_from(state.settings().get().idle_close.as_secs()).unwrap_or(i64::MAX);
    interaction.closed_at.is_none()
        && interaction.last_activity_at.saturating_add(idle) > state.clock().unix_now().0
}

/// Closes every interaction idle past the limit; each closing is audited.
pub async fn close_idle(state: &AppState) -> Result<usize, crate::conversation::ConversationError> {
    let now = state.clock().unix_now().0;
    let idle = i64::try_from(state.settings().get().idle_close.as_secs()).unwrap_or(i64::MAX);
    let closed = state
        .store()
        .close_idle_interactions(now.saturating_sub(idle), now, "system:idle")
        .await?;
    for interaction in &closed {
        state
            .audit()
            .record(
                crate::vault::events::interaction_closed(
                    event_time_ms(state.clock()),
                    custos_audit::Actor::system(),
                    interaction.id,
                    interaction.customer_id,
                )
                .with_status_detail("idle"),
            )
            .await?;
    }
    Ok(closed.len())
}
