//! An audit entry as the engine sees it: action, outcome, actor with role, team and shift,
//! address, device, target and status code — all names and ids, no values.

use custos_audit::{ActorKind, StoredEventV1};
use custos_detect::DetectEvent;
use custos_store::{AccountStore as _, Store};
use time::OffsetDateTime;

use super::{Detection, PROFILE_CACHE, Profile, lock};

impl Detection {
    /// The team and shift of `username`, remembered (they change rarely; a change
    /// through the API is forgotten at once, other changes when the cache starts over).
    async fn profile_of(&self, store: &Store, username: &str) -> Profile {
        if let Some(profile) = lock(&self.profiles).get(username) {
            return profile.clone();
        }
        let mut profile = Profile::default();
        if let Ok(Some(user)) = store.user_by_name(username).await {
            profile.shift = store
                .user_shift(user.id)
                .await
                .ok()
                .flatten()
                .and_then(|(start, end)| custos_detect::Shift::new(start, end));
            profile.team = user.team;
        }
        let mut profiles = lock(&self.profiles);
        if profiles.len() >= PROFILE_CACHE {
            profiles.clear();
        }
        profiles.insert(username.to_owned(), profile.clone());
        profile
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
            let profile = self.profile_of(store, name).await;
            detect.actor_team = profile.team;
            detect.shift = profile.shift;
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
