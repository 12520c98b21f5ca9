//! Offline verification of a trail: feed the signed checkpoints, then the
//! entries in sequence order; the verifier stops at the first problem and names
//! the first bad sequence number.
//!
//! What each attack looks like to it:
//! - a modified entry: its recomputed hash differs from the stored one (`Modified`),
//!   or, if the forger also rewrote the stored hash, the next link breaks
//!   (`BrokenLink`) or, if they rewrote every later hash too, the Merkle root no
//!   longer matches the next signed checkpoint (`CheckpointMismatch`);
//! - a deleted entry: a gap in the sequence (`Missing`);
//! - inserted or reordered entries: a sequence number out of order, or renumbered
//!   entries whose hashes (which cover the number) no longer match;
//! - entries appended by someone without the audit key: no valid head signature
//!   after them (`UnsignedTail`);
//! - a truncated tail: a checkpoint (kept outside the database too) covers more
//!   entries than remain (`Truncated`).

use std::collections::BTreeMap;
use std::fmt;

use crate::Hash;
use crate::chain::{ChainHead, StoredEntry, entry_hash, head_message};
use crate::checkpoint::SignedCheckpoint;
use crate::signing::AuditVerifyingKey;

/// What is wrong at a sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Entries from this number up to `next_present - 1` are missing.
    Missing {
        /// The next number present.
        next_present: u64,
    },
    /// An entry appears after a later or equal number.
    OutOfOrder {
        /// The number seen before it.
        after: u64,
    },
    /// The entry's predecessor hash is not the hash of the entry before it.
    BrokenLink,
    /// The entry's content does not match its stored hash.
    Modified,
    /// A head signature that does not verify.
    BadHeadSignature,
    /// Entries after the last signed head: appended without the audit key.
    UnsignedTail,
    /// The entries up to `size` do not have the root a signed checkpoint states;
    /// the bad entry lies between this number and `size`.
    CheckpointMismatch {
        /// The checkpoint's size.
        size: u64,
    },
    /// A checkpoint whose signature does not verify.
    BadCheckpointSignature {
        /// Its size.
        size: u64,
    },
    /// A checkpoint for another installation.
    ForeignCheckpoint {
        /// Its size.
        size: u64,
    },
    /// Two validly signed checkpoints state different roots for the same size.
    ConflictingCheckpoints {
        /// The size.
        size: u64,
    },
    /// A checkpoint covers entries that are gone: the tail was cut.
    Truncated {
        /// The largest checkpoint's size.
        checkpoint_size: u64,
    },
}

/// The first problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The first bad sequence number.
    pub seq: u64,
    /// What is wrong there.
    pub problem: Problem,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seq = self.seq;
        match &self.problem {
            Problem::Missing { next_present } => write!(
                f,
                "sequence {seq}: entries {seq}..={} are missing (deleted)",
                next_present - 1
            ),
            Problem::OutOfOrder { after } => write!(
                f,
                "sequence {seq}: appears after {after} (entries inserted or reordered)"
            ),
            Problem::BrokenLink => write!(
                f,
                "sequence {seq}: its link to entry {} is broken (an entry was altered, inserted or reordered)",
                seq.saturating_sub(1)
            ),
            Problem::Modified => write!(
                f,
                "sequence {seq}: content does not match its hash (modified)"
            ),
            Problem::BadHeadSignature => write!(f, "sequence {seq}: the head signature is invalid"),
            Problem::UnsignedTail => write!(
                f,
                "sequence {seq}: this and later entries are not covered by a signed head (appended without the audit key)"
            ),
            Problem::CheckpointMismatch { size } => write!(
                f,
                "sequence {seq}: entries {seq}..={size} do not match the signed checkpoint at size {size} (rewritten)"
            ),
            Problem::BadCheckpointSignature { size } => {
                write!(
                    f,
                    "sequence {seq}: the checkpoint at size {size} has an invalid signature"
                )
            }
            Problem::ForeignCheckpoint { size } => write!(
                f,
                "sequence {seq}: the checkpoint at size {size} belongs to another installation"
            ),
            Problem::ConflictingCheckpoints { size } => write!(
                f,
                "sequence {seq}: two signed checkpoints disagree about the first {size} entries"
            ),
            Problem::Truncated { checkpoint_size } => write!(
                f,
                "sequence {seq}: entries {seq}..={checkpoint_size} are missing: a checkpoint covers them (tail truncated)"
            ),
        }
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Entries checked.
    pub entries: u64,
    /// Checkpoints whose root was compared.
    pub checkpoints_matched: usize,
    /// The largest checkpoint size seen.
    pub latest_checkpoint: Option<u64>,
    /// Where the chain ends.
    pub head_hash: Hash,
    /// The first problem, if any.
    pub finding: Option<Finding>,
}

impl Report {
    /// True when nothing is wrong.
    pub fn is_intact(&self) -> bool {
        self.finding.is_none()
    }
}

/// A streaming verifier.
#[derive(Debug)]
pub struct ChainVerifier {
    key: AuditVerifyingKey,
    instance: String,
    head: ChainHead,
    checkpoints: BTreeMap<u64, SignedCheckpoint>,
    last_signed: u64,
    last_matched_checkpoint: u64,
    checkpoints_matched: usize,
    entries: u64,
    end: Option<u64>,
    finding: Option<Finding>,
}

impl ChainVerifier {
    /// A verifier for the whole trail of `instance`.
    pub fn new(key: AuditVerifyingKey, instance: &str) -> Self {
        Self::starting_at(key, instance, ChainHead::genesis())
    }

    /// A verifier for a segment that continues from `head` (archive bundles).
    pub fn starting_at(key: AuditVerifyingKey, instance: &str, head: ChainHead) -> Self {
        let start = head.seq;
        Self {
            key,
            instance: instance.to_owned(),
            head,
            checkpoints: BTreeMap::new(),
            last_signed: start,
            last_matched_checkpoint: start,
            checkpoints_matched: 0,
            entries: 0,
            end: None,
            finding: None,
        }
    }

    /// Verifies only up to `end` (an archive bundle's last entry): checkpoints
    /// beyond it describe entries outside the segment and are ignored.
    #[must_use]
    pub fn ending_at(mut self, end: u64) -> Self {
        self.end = Some(end);
        self
    }

    fn fail(&mut self, seq: u64, problem: Problem) {
        if self.finding.is_none() {
            self.finding = Some(Finding { seq, problem });
        }
    }

    /// Adds a signed checkpoint (from the store or a witness); call before `push`.
    pub fn add_checkpoint(&mut self, checkpoint: SignedCheckpoint) {
        let size = checkpoint.checkpoint.size;
        if checkpoint.checkpoint.instance != self.instance {
            self.fail(size, Problem::ForeignCheckpoint { size });
            return;
        }
        if !checkpoint.verify(&self.key) {
            self.fail(size, Problem::BadCheckpointSignature { size });
            return;
        }
        if size <= self.head.seq || self.end.is_some_and(|end| size > end) {
            // Outside this segment: nothing to compare against here.
            return;
        }
        match self.checkpoints.get(&size) {
            Some(known) if known.checkpoint.root != checkpoint.checkpoint.root => {
                self.fail(size, Problem::ConflictingCheckpoints { size });
            }
            Some(_) => {}
            None => {
                self.checkpoints.insert(size, checkpoint);
            }
        }
    }

    /// Checks the next entry. Returns false once a problem has been found.
    pub fn push(&mut self, entry: &StoredEntry) -> bool {
        if self.finding.is_some() {
            return false;
        }
        let expected = self.head.seq + 1;
        if entry.seq > expected {
            self.fail(
                expected,
                Problem::Missing {
                    next_present: entry.seq,
                },
            );
            return false;
        }
        if entry.seq < expected {
            self.fail(
                entry.seq,
                Problem::OutOfOrder {
                    after: self.head.seq,
                },
            );
            return false;
        }
        if entry.prev_hash != self.head.hash {
            self.fail(entry.seq, Problem::BrokenLink);
            return false;
        }
        let hash = entry_hash(
            entry.seq,
            &entry.prev_hash,
            entry.time_ms,
            &entry.index,
            &entry.payload,
        );
        if hash != entry.hash {
            self.fail(entry.seq, Problem::Modified);
            return false;
        }
        if let Some(signature) = &entry.head_signature {
            if !self
                .key
                .verify(&head_message(&self.instance, entry.seq, &hash), signature)
            {
                self.fail(entry.seq, Problem::BadHeadSignature);
                return false;
            }
            self.last_signed = entry.seq;
        }
        self.head.seq = entry.seq;
        self.head.hash = hash;
        self.head.frontier.push(&hash);
        self.entries += 1;
        if let Some(checkpoint) = self.checkpoints.get(&entry.seq) {
            if checkpoint.checkpoint.root != self.head.frontier.root() {
                let first_suspect = self.last_matched_checkpoint + 1;
                self.fail(
                    first_suspect,
                    Problem::CheckpointMismatch { size: entry.seq },
                );
                return false;
            }
            self.last_matched_checkpoint = entry.seq;
            self.checkpoints_matched += 1;
        }
        true
    }

    /// Ends the stream: checks for a truncated or unsigned tail.
    pub fn finish(mut self) -> Report {
        let latest_checkpoint = self.checkpoints.keys().next_back().copied();
        if self.finding.is_none() {
            if let Some(size) = latest_checkpoint.filter(|s| *s > self.head.seq) {
                let seq = self.head.seq + 1;
                self.fail(
                    seq,
                    Problem::Truncated {
                        checkpoint_size: size,
                    },
                );
            } else if self.head.seq > self.last_signed {
                let seq = self.last_signed + 1;
                self.fail(seq, Problem::UnsignedTail);
            }
        }
        Report {
            entries: self.entries,
            checkpoints_matched: self.checkpoints_matched,
            latest_checkpoint,
            head_hash: self.head.hash,
            finding: self.finding,
        }
    }
}
