//! An audit entry as the engine sees it: action, outcome, actor with role and team,
//! address, device, target and status code — all names and ids, no values.

use custos_audit::{ActorKind, StoredEventV1};
use custos_detect::DetectEvent;
use custos_store::{AccountStore as _, Store};
use time::OffsetDateTime;

use super::{Detection, TEAM_CACHE, lock};

impl Detection {
    /// The team of `username`, remembered (teams change rarely; a change is seen
    /// after the cache starts over or the node restarts).
    async fn team_of(&self, store: &Store, username: &str) -> Option<String> {
        if let Some(team) = lock(&self.teams).get(username) {
            return team.clone();
        }
        let team = store
            .user_by_name(username)
            .await
            .ok()
            .flatten()
            .and_then(|u| u.team);
        let mut teams = lock(&self.teams);
        if teams.len() >= TEAM_CACHE {
            teams.clear();
        }
        teams.insert(username.to_owned(), team.clone());
        team
    }

    /// The engine's view of a stored event; `None` for detection's own events
    /// (a response must not feed the rules that caused it).
    pub(super) async fn to_detect_event(
        &self,
        store: &Store,
        seq: u64,
        event: StoredEventV1,
    ) -> Option<DetectEvent> {
        if event.action.starts_with("detection.") {
            return None;
        }
        let time = OffsetDateTime::from_unix_timestamp_nanos(i128::from(event.time_ms) * 1_000_000)
            .ok()?;
        let mut detect = DetectEvent::new(time, &event.action, event.outcome.as_str());
        detect.seq = Some(seq);
        let person = event.actor.kind == ActorKind::Person;
        if matches!(event.actor.kind, ActorKind::Person | ActorKind::Service) {
            detect.actor = event.actor.name.clone();
        }
        detect.actor_role = event.actor.role.clone();
        if person && let Some(name) = &event.actor.name {
            detect.actor_team = self.team_of(store, name).await;
        }
        detect.source_ip = event.actor.ip;
        detect.device = event.actor.device;
        if let Some(target) = event.target {
            detect.target_kind = Some(target.kind);
            detect.target_id = target.id;
            detect.target_field = target.field;
        }
        detect.status = event.status_detail;
        detect.details = event.details;
        Some(detect)
    }
}
