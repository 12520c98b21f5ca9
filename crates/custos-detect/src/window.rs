//! The bounded memory of one group: the events it saw within a window, and the distinct
//! values among them. Values are kept as keyed 64-bit hashes, never as text, so the
//! engine's memory holds no field value beyond the group's own key.

use std::collections::{HashMap, VecDeque};

use crate::rule::MAX_GROUP_ENTRIES;

/// One remembered event of a group.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    /// Event time, ms since the epoch.
    pub(crate) time: i64,
    /// Hash of the counted value (`value_count`, `peer_baseline`), or the step mask
    /// (`sequence`), or 0.
    pub(crate) value: u64,
    /// The caller's sequence number.
    pub(crate) seq: Option<u64>,
}

/// Events in arrival order, at most [`MAX_GROUP_ENTRIES`]. Events may arrive a little out
/// of order (within the engine's skew), so expiry from the front is exact up to that skew.
#[derive(Debug, Default)]
pub(crate) struct EventWindow {
    entries: VecDeque<Entry>,
}

impl EventWindow {
    /// Forgets events older than `cutoff`; returns the forgotten ones' values to `forget`.
    pub(crate) fn expire(&mut self, cutoff: i64, mut forget: impl FnMut(Entry)) {
        while let Some(front) = self.entries.front().copied() {
            if front.time >= cutoff {
                break;
            }
            self.entries.pop_front();
            forget(front);
        }
    }

    /// Remembers `entry`, dropping the oldest if full (returned to `forget`).
    pub(crate) fn push(&mut self, entry: Entry, mut forget: impl FnMut(Entry)) {
        if self.entries.len() >= MAX_GROUP_ENTRIES as usize
            && let Some(old) = self.entries.pop_front()
        {
            forget(old);
        }
        self.entries.push_back(entry);
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &Entry> + ExactSizeIterator {
        self.entries.iter()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    /// The sequence numbers of the last `limit` events, oldest first.
    pub(crate) fn last_seqs(&self, limit: usize) -> Vec<u64> {
        let skip = self.entries.len().saturating_sub(limit);
        self.entries
            .iter()
            .skip(skip)
            .filter_map(|e| e.seq)
            .collect()
    }
}

/// Distinct values within a window: the events, plus for each value the latest time it
/// was seen. A value is forgotten when its latest event leaves the window.
#[derive(Debug, Default)]
pub(crate) struct DistinctWindow {
    events: EventWindow,
    latest: HashMap<u64, i64>,
}

impl DistinctWindow {
    pub(crate) fn expire(&mut self, cutoff: i64) {
        let latest = &mut self.latest;
        self.events.expire(cutoff, |old| forget(latest, old));
    }

    /// Adds an event; true if its value was not in the window before.
    pub(crate) fn push(&mut self, entry: Entry) -> bool {
        let latest = &mut self.latest;
        self.events.push(entry, |old| forget(latest, old));
        match self.latest.get_mut(&entry.value) {
            Some(t) => {
                *t = (*t).max(entry.time);
                false
            }
            None => {
                self.latest.insert(entry.value, entry.time);
                true
            }
        }
    }

    /// How many distinct values the window holds.
    pub(crate) fn distinct(&self) -> usize {
        self.latest.len()
    }

    pub(crate) fn events(&self) -> &EventWindow {
        &self.events
    }

    pub(crate) fn clear(&mut self) {
        self.events.clear();
        self.latest.clear();
    }
}

/// Drops `old`'s value unless a later event still holds it in the window.
fn forget(latest: &mut HashMap<u64, i64>, old: Entry) {
    if latest.get(&old.value).is_some_and(|t| *t <= old.time) {
        latest.remove(&old.value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(time: i64, value: u64) -> Entry {
        Entry {
            time,
            value,
            seq: Some(time as u64),
        }
    }

    #[test]
    fn values_leave_with_their_latest_event() {
        let mut w = DistinctWindow::default();
        assert!(w.push(entry(0, 1)));
        assert!(w.push(entry(10, 2)));
        assert!(!w.push(entry(20, 1)));
        assert_eq!(w.distinct(), 2);
        w.expire(15);
        // Value 1 was seen again at 20; value 2 only at 10.
        assert_eq!(w.distinct(), 1);
        w.expire(21);
        assert_eq!(w.distinct(), 0);
        assert_eq!(w.events().len(), 0);
    }

    #[test]
    fn capacity_is_bounded() {
        let mut w = DistinctWindow::default();
        for i in 0..(MAX_GROUP_ENTRIES as i64 * 3) {
            w.push(entry(i, i as u64));
        }
        assert_eq!(w.events().len(), MAX_GROUP_ENTRIES as usize);
        assert_eq!(w.distinct(), MAX_GROUP_ENTRIES as usize);
        assert_eq!(w.events().last_seqs(3), vec![3069, 3070, 3071]);
    }
}
