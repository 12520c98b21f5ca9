//! The detectors. One [`Scan`] runs them all over a tokenized text (a single message or a whole
//! conversation joined turn after turn) and collects candidate spans; `lib.rs` then merges
//! overlaps and applies the operators. Numbers come from [`crate::numbers`] already joined
//! across groups, fillers and turns; each detector validates (Luhn, issuer, ABA, SSN rules,
//! mod-97) and asks the context cues before it claims a span.

use crate::EntityType;
use crate::checks::{iban_expected_len, is_aba_routing, is_card, is_iban, is_valid_ssn};
use crate::lexicon::{Cues, Lex, Lexicon, cue, is_unit_word};
use crate::numbers::{Groups, NumberRun};
use crate::token::{Kind, Token};

/// A candidate span, in bytes of the scanned text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Detection {
    pub start: usize,
    pub end: usize,
    pub entity: EntityType,
    pub score: f32,
    /// Where this span sits in an entity said in several pieces (a card read over turns).
    pub piece: Piece,
}

/// The place of a span in an entity said in several pieces, so masking shows at most the last
/// four characters of the whole entity rather than of every piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Piece {
    /// An earlier piece of the same entity comes before this one.
    pub continued: bool,
    /// A later piece of the same entity follows (or may follow): nothing of this one is shown.
    pub continues: bool,
}

impl Piece {
    /// Both pieces' knowledge, for spans merged into one.
    pub fn union(self, other: Self) -> Self {
        Self {
            continued: self.continued || other.continued,
            continues: self.continues || other.continues,
        }
    }
}

impl Detection {
    /// A span that is a whole entity.
    pub fn new(start: usize, end: usize, entity: EntityType, score: f32) -> Self {
        Self {
            start,
            end,
            entity,
            score,
            piece: Piece::default(),
        }
    }
}

/// How far (bytes) before a number each kind of cue is looked for.
const CARD_WINDOW: usize = 200;
const CVV_WINDOW: usize = 110;
const EXPIRY_WINDOW: usize = 80;
const SSN_WINDOW: usize = 110;
const PHONE_WINDOW: usize = 70;
const BANK_WINDOW: usize = 90;
const BIRTH_WINDOW: usize = 90;
const NEGATIVE_WINDOW: usize = 32;

/// One scan over one text.
pub(crate) struct Scan<'a> {
    pub text: &'a str,
    pub tokens: &'a [Token],
    pub cues: &'a Cues,
    pub runs: &'a [NumberRun],
    pub lexicon: &'a Lexicon,
    pub fail_closed: bool,
    /// Name words found so far in this conversation (in) and in this text (out).
    pub known_names: &'a mut Vec<(String, usize)>,
    pub out: Vec<Detection>,
    /// Dates found after cues, sorted, found before the numbers are classified.
    pub cue_spans: Vec<(usize, usize)>,
}

impl Scan<'_> {
    fn push(&mut self, start: usize, end: usize, entity: EntityType, score: f32) {
        self.push_piece(start, end, entity, score, Piece::default());
    }

    fn push_piece(
        &mut self,
        start: usize,
        end: usize,
        entity: EntityType,
        score: f32,
        piece: Piece,
    ) {
        if start < end {
            self.out.push(Detection {
                piece,
                ..Detection::new(start, end, entity, score)
            });
        }
    }

    /// Claims chunks `a..b` of `run`, one span per turn the chunks were said in, so the
    /// other side's "okay" between groups is not redacted.
    fn push_chunks(
        &mut self,
        run: &NumberRun,
        a: usize,
        b: usize,
        start: usize,
        entity: EntityType,
        score: f32,
    ) {
        let Some(chunks) = run.chunks.get(a..b) else {
            return;
        };
        let mut piece_start = start;
        let mut continued = false;
        for (k, c) in chunks.iter().enumerate() {
            let next = chunks.get(k + 1);
            let last_of_turn = next.is_none_or(|n| {
                n.turn != c.turn
                    || self
                        .text
                        .get(c.end..n.start)
                        .is_some_and(|gap| gap.contains('\n'))
            });
            if last_of_turn {
                let piece = Piece {
                    continued,
                    continues: next.is_some(),
                };
                self.push_piece(piece_start, c.end, entity, score, piece);
                continued = true;
                if let Some(n) = next {
                    piece_start = n.start;
                }
            }
        }
    }

    /// Runs every detector.
    pub fn run_all(&mut self) {
        // One pass to learn which detectors can find anything here at all.
        let (mut at_word, mut street, mut alnum, mut dotted_num) = (false, false, false, false);
        for (i, t) in self.tokens.iter().enumerate() {
            at_word |= t.lex == Lex::At;
            street |= t.lex == Lex::Street;
            alnum |= t.kind == Kind::Alnum;
            dotted_num |=
                t.kind == Kind::Num && self.tokens.get(i + 1).is_some_and(|n| n.is_punct(b'.'));
        }
        // Dates after cues first, so a number classified later knows the date in between
        // ("valid thru 2/27 and the cvv is 844": 844 is no expiry).
        self.cue_driven();
        let mut cue_spans: Vec<(usize, usize)> =
            self.out.iter().map(|d| (d.start, d.end)).collect();
        cue_spans.sort_unstable();
        self.cue_spans = cue_spans;
        for i in 0..self.runs.len() {
            self.classify_run(i);
        }
        self.emails();
        if at_word {
            self.spoken_emails();
        }
        if dotted_num || memchr::memchr(b':', self.text.as_bytes()).is_some() {
            self.ip_addresses();
        }
        if alnum {
            self.ibans();
        }
        if self.out.iter().any(|d| d.entity.is_card_data()) {
            self.card_followers();
        }
        if street {
            self.streets();
        }
        crate::person::detect(self);
    }

    /// "4111 1111 1111 1111 12/27 123": an expiry and a security code written right after a
    /// card number, with no words in between, are card data too.
    fn card_followers(&mut self) {
        let mut found = Vec::new();
        let mut last_card_end = None;
        let mut dets: Vec<Detection> = self
            .out
            .iter()
            .filter(|d| d.entity.is_card_data())
            .copied()
            .collect();
        dets.sort_by_key(|d| d.start);
        let mut k = 0;
        let mut i = 0;
        while i < self.tokens.len() {
            let t = &self.tokens[i];
            while k < dets.len() && dets[k].end <= t.start {
                last_card_end =
                    Some(last_card_end.map_or(dets[k].end, |e: usize| e.max(dets[k].end)));
                k += 1;
            }
            let near = last_card_end.is_some_and(|e| {
                t.start >= e
                    && t.start - e <= 3
                    && self
                        .text
                        .get(e..t.start)
                        .is_some_and(|gap| gap.bytes().all(|b| b == b' ' || b == b',' || b == b'/'))
            });
            if !near || dets.get(k).is_some_and(|d| d.start <= t.start) {
                i += 1;
                continue;
            }
            if let Some(end) = self.expiry_at(i) {
                found.push(Detection::new(t.start, end, EntityType::CardExpiry, 0.7));
                last_card_end = Some(end);
                i = self.tokens.partition_point(|x| x.start < end);
                continue;
            }
            let after = self.tokens.get(i + 1);
            if t.kind == Kind::Num
                && matches!(t.end - t.start, 3 | 4)
                && after.is_none_or(|a| {
                    a.space_before || !matches!(a.kind, Kind::Punct(b'/' | b'-' | b'.') | Kind::Num)
                })
            {
                found.push(Detection::new(t.start, t.end, EntityType::CardCvv, 0.7));
            }
            i += 1;
        }
        self.out.extend(found);
    }

    /// Is a number at `pos` introduced by a negative cue ("order number") nearer than any cue
    /// of `positive`?
    fn negated(&self, pos: usize, positive: u32) -> bool {
        let Some(neg) = self.cues.last_before(cue::NEGATIVE, pos, NEGATIVE_WINDOW) else {
            return false;
        };
        // "ticket 9334873. Regards, Jo, 270.297.6988": the cue belongs to the first number only.
        let idx = self.runs.partition_point(|r| r.start() < pos);
        if idx
            .checked_sub(1)
            .and_then(|p| self.runs.get(p))
            .is_some_and(|p| p.start() >= neg.end)
        {
            return false;
        }
        match self.near(positive, pos, NEGATIVE_WINDOW + 40) {
            Some(p) => p.end <= neg.end,
            None => true,
        }
    }

    /// Is there a cue of `kinds` within `window` before chunk `a` of run `idx`, with no other
    /// number between the cue and this one ("expires 01/28 … On Jul 12, 2026" is no expiry)?
    /// Numbers already redacted in between do not count (a second pass sees `[CREDIT_CARD]`
    /// there, and must decide the same).
    fn cue_then_number(
        &self,
        kinds: u32,
        idx: usize,
        a: usize,
        window: usize,
        claimed: &[bool],
    ) -> bool {
        let run = &self.runs[idx];
        let Some(c) = self.near(kinds, run.chunks[a].start, window) else {
            return false;
        };
        let earlier_in_run = run.chunks[..a]
            .iter()
            .zip(claimed)
            .any(|(ch, done)| ch.start >= c.end && !done);
        let earlier_run = self.runs[..idx]
            .iter()
            .rev()
            .take_while(|p| p.end() > c.end)
            .any(|p| !self.covered(p));
        // "exp 05/27 cvv 123": a cue for another kind of number in between takes over.
        let pos = run.chunks[a].start;
        let other = (cue::CVV_STRONG
            | cue::CVV_WEAK
            | cue::EXPIRY
            | cue::SSN
            | cue::PHONE
            | cue::BANK
            | cue::ROUTING
            | cue::BIRTH
            | cue::NEGATIVE)
            & !kinds;
        let other_between = self
            .cues
            .last_before(other, pos, pos.saturating_sub(c.end))
            .is_some_and(|o| o.start >= c.end);
        !earlier_in_run && !earlier_run && !other_between
    }

    /// The nearest cue of `kinds` within `window` bytes before `pos`, not counting the bytes of
    /// spans found already in between: a second pass sees short placeholders there, and must
    /// not find a cue the first pass thought too far.
    fn near(&self, kinds: u32, pos: usize, window: usize) -> Option<crate::lexicon::Cue> {
        if let Some(c) = self.cues.last_before(kinds, pos, window) {
            return Some(c);
        }
        let c = self.cues.last_before(kinds, pos, window + 300)?;
        // The latest detections and the dates after cues between the cue and `pos`.
        let from = self.cue_spans.partition_point(|(s, _)| *s < c.end);
        let covered: usize = self
            .out
            .iter()
            .rev()
            .take(32)
            .map(|d| (d.start, d.end))
            .chain(
                self.cue_spans[from..]
                    .iter()
                    .take_while(|(s, _)| *s < pos)
                    .copied(),
            )
            .filter(|(s, e)| *s >= c.end && *e <= pos)
            .map(|(s, e)| e - s)
            .sum();
        (pos.saturating_sub(c.end).saturating_sub(covered) <= window).then_some(c)
    }

    fn near_any(&self, kinds: u32, pos: usize, window: usize) -> bool {
        self.near(kinds, pos, window).is_some()
    }

    /// Is `run` inside a span found already? (Detections are pushed roughly in order, so the
    /// latest few are enough to look at.)
    fn covered(&self, run: &NumberRun) -> bool {
        let by_cue = self.cue_spans.partition_point(|(s, _)| *s <= run.start());
        by_cue
            .checked_sub(1)
            .and_then(|i| self.cue_spans.get(i))
            .is_some_and(|(_, e)| *e >= run.end())
            || self
                .out
                .iter()
                .rev()
                .take(8)
                .any(|d| d.start <= run.start() && d.end >= run.end())
    }

    /// The run starting at token `tok`.
    fn run_at(&self, tok: usize) -> Option<&NumberRun> {
        let i = self.runs.partition_point(|r| r.first_token < tok);
        self.runs.get(i).filter(|r| r.first_token == tok)
    }

    /// The run ending at token `tok`.
    fn run_ending_at(&self, tok: usize) -> Option<&NumberRun> {
        let i = self.runs.partition_point(|r| r.last_token < tok);
        self.runs.get(i).filter(|r| r.last_token == tok)
    }

    fn token_before(&self, tok: usize) -> Option<&Token> {
        tok.checked_sub(1).and_then(|i| self.tokens.get(i))
    }

    /// A price, a percentage, a quantity of money or time: not personal data. Whether the
    /// sign is before the run and whether the unit is after it.
    fn amount_sides(&self, run: &NumberRun) -> (bool, bool) {
        let before = self.token_before(run.first_token);
        let sign = before.is_some_and(|t| {
            matches!(t.kind, Kind::Punct(b'$'))
                || t.kind == Kind::Punct(0) && matches!(t.text(self.text), "€" | "£" | "¥")
        });
        if sign {
            return (true, false);
        }
        let after = self.tokens.get(run.last_token + 1);
        let unit = after.is_some_and(|t| {
            t.is_punct(b'%')
                || t.kind == Kind::Word
                    && matches!(
                        t.text(self.text).to_ascii_lowercase().as_str(),
                        "dollars"
                            | "dollar"
                            | "bucks"
                            | "cents"
                            | "percent"
                            | "am"
                            | "pm"
                            | "minutes"
                            | "hours"
                            | "days"
                            | "items"
                            | "pounds"
                            | "euros"
                    )
        });
        (false, unit)
    }

    fn classify_run(&mut self, idx: usize) {
        let run = &self.runs[idx];
        let n = run.chunks.len();
        let total = run.digits.len();
        if total == 0 {
            return;
        }
        let start = run.start();
        let last_four = self.cues.before(cue::LAST_FOUR, start, 24);
        let (amount_head, amount_tail) = self.amount_sides(run);
        let amount = amount_head || amount_tail;

        // Cards first: a valid number anywhere in the run, on group boundaries.
        let mut claimed_small = [false; 64];
        let mut claimed_large = Vec::new();
        let claimed: &mut [bool] = if n <= claimed_small.len() {
            &mut claimed_small[..n]
        } else {
            claimed_large.resize(n, false);
            &mut claimed_large
        };
        let mut found_card = false;
        // A valid number is redacted whatever the context: a PAN after "order number" is still a PAN.
        // Every valid window is claimed (not only the longest from the left), so no PAN
        // inside a longer run survives next to another one.
        for a in 0..n {
            let mut digits = 0;
            for b in a + 1..=n {
                digits += run.chunks[b - 1].digit_len;
                if digits > 19 {
                    break;
                }
                if digits >= 13 && is_card(run.digits_of(a, b)) {
                    let spoken = run.spoken(a, b);
                    self.push_chunks(
                        run,
                        a,
                        b,
                        run.chunks[a].start,
                        EntityType::CreditCard,
                        if spoken { 0.9 } else { 0.95 },
                    );
                    claimed[a..b].iter_mut().for_each(|c| *c = true);
                    found_card = true;
                }
            }
        }
        // "four forty five five …": another reading of the spoken tens makes a valid number.
        if !found_card
            && run.spoken(0, n)
            && (13..=19).contains(&run.max_digits())
            && run.tens_variants().iter().any(|v| is_card(v))
        {
            self.push_chunks(run, 0, n, start, EntityType::CreditCard, 0.8);
            return;
        }
        // A valid number inside a longer spoken run: the whole run was read out as one.
        if found_card && run.spoken(0, n) && total <= 24 && !claimed.iter().all(|c| *c) {
            self.push_chunks(run, 0, n, start, EntityType::CreditCard, 0.8);
            return;
        }
        // Fourteen to seventeen digits read out, starting like a card: in a contact center that
        // is a card read with an ASR slip (a digit lost or doubled) far more often than anything
        // else; account numbers are excluded by their cue.
        if self.fail_closed
            && !found_card
            && run.spoken(0, n)
            && (14..=17).contains(&total)
            && matches!(run.digits.first(), Some(b'3'..=b'6'))
            && !self.negated(start, cue::CARD)
            && !self
                .cues
                .before(cue::NEGATIVE | cue::BANK | cue::ROUTING, start, 60)
        {
            self.push_chunks(run, 0, n, start, EntityType::CreditCard, 0.4);
            return;
        }
        let longest = if run.spoken(0, n) {
            run.max_digits()
        } else {
            total
        };
        if self.fail_closed
            && !amount
            && (13..=24).contains(&longest)
            && !(found_card && claimed.iter().all(|c| *c))
        {
            let payment = self.near_any(
                cue::CARD | cue::CVV_STRONG | cue::EXPIRY,
                start,
                CARD_WINDOW,
            );
            if payment
                && !self.negated(start, cue::CARD)
                && !last_four
                && self.card_like_grouping(run)
            {
                self.push_chunks(run, 0, n, start, EntityType::CreditCard, 0.5);
                return;
            }
        }
        if last_four || amount && !found_card {
            return;
        }
        if amount {
            // The sign or unit belongs to the group it touches; the groups a card splits from
            // it are numbers of their own, as a second pass sees them once the card is a
            // placeholder ("call me at 555 234 5678 4111…1111 5 %").
            if amount_head {
                claimed[0] = true;
            }
            if amount_tail {
                claimed[n - 1] = true;
            }
        }
        let mut a = 0;
        while a < n {
            if claimed[a] {
                a += 1;
                continue;
            }
            match self.other_window(idx, a, claimed) {
                Some(b) => {
                    // Claimed chunks read as "[PHONE_NUMBER]" on a second pass: mark them so
                    // later windows decide now as they would then.
                    claimed[a..b].iter_mut().for_each(|c| *c = true);
                    a = b;
                }
                None => a += 1,
            }
        }
    }

    /// Written groups a card could be printed in; spoken runs may be grouped any way.
    fn card_like_grouping(&self, run: &NumberRun) -> bool {
        let mut groups = Groups::default();
        if !run.group_lens(0, run.chunks.len(), &mut groups) {
            return true;
        }
        let g = groups.as_slice();
        let n = g.len();
        n == 1
            || g.iter().all(|g| *g <= 2)
            || g[..n - 1].iter().all(|g| *g == 4) && (1..=4).contains(&g[n - 1])
            || groups == [4, 6, 5]
            || groups == [4, 6, 4]
    }

    /// Non-card detectors at chunk `a`; returns the chunk after the claimed window.
    fn other_window(&mut self, idx: usize, a: usize, claimed: &[bool]) -> Option<usize> {
        let run = &self.runs[idx];
        let n = run.chunks.len();
        let pos = run.chunks[a].start;
        // The windows of `a`: (end chunk, digit count).
        let mut window_buf = [(0usize, 0usize); 21];
        let mut count = 0;
        let mut digits = 0;
        for b in a + 1..=n {
            if claimed[b - 1] || count == window_buf.len() {
                break;
            }
            digits += run.chunks[b - 1].digit_len;
            if digits > 20 {
                break;
            }
            window_buf[count] = (b, digits);
            count += 1;
        }
        let windows = &window_buf[..count];
        let mut groups = Groups::default();
        let spoken_pos = |b: usize| run.spoken(a, b);
        let plus_before = a == 0
            && self
                .token_before(run.first_token)
                .is_some_and(|t| t.is_punct(b'+') || t.lex == Lex::Plus);
        let paren_before = a == 0
            && self
                .token_before(run.first_token)
                .is_some_and(|t| t.is_punct(b'('));
        let span_start = if (plus_before || paren_before) && a == 0 {
            self.token_before(run.first_token).map_or(pos, |t| t.start)
        } else {
            pos
        };

        // Routing numbers (ABA checksum) after a routing cue.
        if self.cue_then_number(cue::ROUTING, idx, a, BANK_WINDOW, claimed)
            && let Some(&(b, _)) = windows.iter().find(|(b, d)| {
                *d == 9
                    && (*b == n || run.chunks[*b].sep_before == 0)
                    && is_aba_routing(run.digits_of(a, *b))
            })
        {
            self.push_chunks(run, a, b, pos, EntityType::UsBankAccount, 0.9);
            return Some(b);
        }

        // SSN: 3-2-4 written, or nine digits after an SSN cue.
        let ssn_cue = self.cue_then_number(cue::SSN, idx, a, SSN_WINDOW, claimed);
        for &(b, d) in windows {
            if d != 9 || !is_valid_ssn(run.digits_of(a, b)) {
                continue;
            }
            let grouped = run.group_lens(a, b, &mut groups)
                && groups == [3, 2, 4]
                && run.chunks[a + 1..b]
                    .iter()
                    .all(|c| matches!(c.sep_before, b'-' | b' '));
            let dashed = grouped && run.chunks[a + 1..b].iter().all(|c| c.sep_before == b'-');
            let at_end = b == n || run.chunks[b].sep_before == 0;
            if ssn_cue && !self.negated(pos, cue::SSN)
                || dashed
                    && at_end
                    && !self.negated(pos, cue::SSN)
                    && !self.cues.before(cue::PHONE | cue::BANK, pos, 40)
            {
                self.push_chunks(
                    run,
                    a,
                    b,
                    pos,
                    EntityType::UsSsn,
                    if ssn_cue { 0.9 } else { 0.75 },
                );
                return Some(b);
            }
        }

        // Dates of birth and expiry dates read as digits ("oh three one five eighty five").
        // The window is all that is left of the run: what a second pass, seeing placeholders
        // for the claimed chunks before it, would call the whole run.
        let whole = |b: usize| b == n && claimed[..a].iter().all(|c| *c);
        if self.cue_then_number(cue::BIRTH, idx, a, BIRTH_WINDOW, claimed) {
            for &(b, d) in windows.iter().rev().filter(|(b, _)| whole(*b)) {
                if matches!(d, 6 | 8) && plausible_mmdd(run.digits_of(a, b))
                    || d == 4 && spoken_pos(b) && plausible_year(run.digits_of(a, b))
                {
                    self.push_chunks(run, a, b, pos, EntityType::DateOfBirth, 0.8);
                    return Some(b);
                }
            }
        }
        // A card number found just before is card context as much as the word "card".
        let card_found = self.out.iter().rev().take(8).any(|d| {
            d.entity == EntityType::CreditCard && d.end <= pos && pos - d.end < CARD_WINDOW * 2
        });
        let card_ctx = card_found
            || self.near_any(
                cue::CARD | cue::CVV_STRONG | cue::EXPIRY,
                pos,
                CARD_WINDOW * 2,
            );
        if self.cue_then_number(cue::EXPIRY, idx, a, EXPIRY_WINDOW, claimed)
            && (card_ctx || self.near_any(cue::EXPIRY, pos, 30))
        {
            for &(b, d) in windows.iter().rev().filter(|(b, _)| whole(*b)) {
                if matches!(d, 3 | 4 | 6) && plausible_expiry(run.digits_of(a, b)) {
                    self.push_chunks(run, a, b, pos, EntityType::CardExpiry, 0.85);
                    return Some(b);
                }
            }
        }

        // CVV: three or four digits after a security-code cue in card context.
        let cvv_strong = self.cue_then_number(cue::CVV_STRONG, idx, a, CVV_WINDOW, claimed);
        let cvv_weak = self.cue_then_number(cue::CVV_WEAK, idx, a, CVV_WINDOW, claimed) && card_ctx;
        if (cvv_strong || cvv_weak)
            && let Some(&(b, _)) = windows.iter().find(|(b, d)| {
                matches!(d, 3 | 4)
                    && (*b == n || claimed.get(*b).copied().unwrap_or(false))
                    && (a == 0 || claimed[a - 1])
            })
        {
            self.push_chunks(run, a, b, pos, EntityType::CardCvv, 0.85);
            return Some(b);
        }

        // Bank accounts after an account cue nearer than any phone cue.
        let bank_cue = self.near(cue::BANK, pos, BANK_WINDOW);
        let phone_cue_at = self.near(cue::PHONE, pos, PHONE_WINDOW);
        if bank_cue.is_some_and(|b| phone_cue_at.is_none_or(|p| b.end > p.end))
            && self.cue_then_number(cue::BANK, idx, a, BANK_WINDOW, claimed)
            && !self.negated(pos, cue::BANK)
            && let Some(&(b, _)) = windows.iter().rev().find(|(_, d)| (6..=17).contains(d))
        {
            self.push_chunks(run, a, b, pos, EntityType::UsBankAccount, 0.8);
            return Some(b);
        }

        // Phone numbers.
        let phone_cue = phone_cue_at.is_some();
        let negated = self.negated(pos, cue::PHONE);
        if !negated {
            for &(b, d) in windows.iter().rev() {
                let digits = run.digits_of(a, b);
                let written = run.group_lens(a, b, &mut groups);
                let spoken = !written;
                // Spoken tens are ambiguous ("seven twenty one" is 7-2-1 or 7-2-0-1), and a
                // cue makes a whole run a phone number even off the numbering plan
                // ("07700 900123", a UK mobile).
                let cued_whole = phone_cue
                    && whole(b)
                    && (9..=12).contains(&d)
                    && (spoken || groups.as_slice().len() <= 4);
                let is_phone = cued_whole
                    || if plus_before {
                        (8..=15).contains(&d)
                    } else if d == 10 {
                        nanp(digits)
                            && (spoken && whole(b)
                                || groups == [10]
                                    && (phone_cue
                                        || paren_before
                                        || !self.cues.before(cue::BANK | cue::CARD, pos, 60))
                                || groups == [3, 3, 4]
                                || groups == [3, 7]
                                || groups == [6, 4]
                                || groups == [5, 5] && phone_cue)
                    } else if d == 11 {
                        digits[0] == b'1'
                            && nanp(&digits[1..])
                            && (spoken && whole(b)
                                || groups == [1, 3, 3, 4]
                                || groups == [11] && phone_cue
                                || groups == [4, 3, 4]
                                || groups == [1, 3, 7])
                    } else if d == 7 {
                        phone_cue && (spoken && whole(b) || groups == [3, 4]) && digits[0] >= b'2'
                    } else if (11..=13).contains(&d)
                        && phone_cue
                        && written
                        && groups.as_slice().len() >= 3
                        && groups.as_slice().iter().all(|g| (2..=4).contains(g))
                    {
                        // International numbers written without "+": "44 20 7946 0958".
                        true
                    } else {
                        false
                    };
                if is_phone {
                    self.push_chunks(
                        run,
                        a,
                        b,
                        span_start,
                        EntityType::PhoneNumber,
                        if phone_cue { 0.9 } else { 0.75 },
                    );
                    return Some(b);
                }
            }
        }

        // Bank accounts after an account cue.
        if self.near_any(cue::BANK, pos, BANK_WINDOW)
            && !self.negated(pos, cue::BANK)
            && let Some(&(b, _)) = windows.iter().rev().find(|(_, d)| (6..=17).contains(d))
        {
            self.push_chunks(run, a, b, pos, EntityType::UsBankAccount, 0.8);
            return Some(b);
        }
        None
    }

    /// Written emails: scans around every `@`.
    fn emails(&mut self) {
        let bytes = self.text.as_bytes();
        let mut skip_to = 0;
        for at in memchr::memchr_iter(b'@', bytes) {
            if at < skip_to {
                continue;
            }
            let is_local = |b: u8| b.is_ascii_alphanumeric() || b"._%+-'".contains(&b);
            let is_domain = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
            let mut s = at;
            while s > 0 && is_local(bytes[s - 1]) && at - s < 64 {
                s -= 1;
            }
            while s < at && matches!(bytes[s], b'.' | b'\'' | b'-') {
                s += 1;
            }
            let mut e = at + 1;
            while e < bytes.len() && is_domain(bytes[e]) && e - at < 255 {
                e += 1;
            }
            while e > at + 1 && matches!(bytes[e - 1], b'.' | b'-') {
                e -= 1;
            }
            if s == at || e <= at + 1 {
                continue;
            }
            let domain = &bytes[at + 1..e];
            let Some(dot) = domain.iter().rposition(|b| *b == b'.') else {
                continue;
            };
            let tld = &domain[dot + 1..];
            if tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic) && dot > 0 {
                self.push(s, e, EntityType::EmailAddress, 0.95);
                skip_to = e;
            }
        }
    }

    /// Spoken emails: "john dot smith at gmail dot com".
    fn spoken_emails(&mut self) {
        let toks = self.tokens;
        for k in 0..toks.len() {
            if toks[k].lex != Lex::At || k == 0 {
                continue;
            }
            // Domain: label ((dot | '.') label)+, ending in a top-level domain.
            let mut j = k + 1;
            let mut labels = 0;
            let mut end = None;
            let mut tld_ok = false;
            while let Some(t) = toks.get(j) {
                if !matches!(t.kind, Kind::Word | Kind::Alnum | Kind::Num)
                    || t.lex == Lex::Dot && labels == 0
                {
                    break;
                }
                labels += 1;
                let word = t.text(self.text).to_ascii_lowercase();
                end = Some(t.end);
                tld_ok = labels >= 2 && is_tld(&word, t.space_before);
                let Some(sep) = toks.get(j + 1) else { break };
                if sep.lex == Lex::Dot
                    || sep.is_punct(b'.')
                        && !sep.space_before
                        && toks.get(j + 2).is_some_and(|n| !n.space_before)
                {
                    j += 2;
                    if labels > 4 {
                        break;
                    }
                } else {
                    break;
                }
            }
            let Some(end) = end.filter(|_| tld_ok) else {
                continue;
            };
            // "email me at J.Doe@x.com": the written address is found on its own.
            if toks.get(j + 1).is_some_and(|n| {
                !n.space_before && matches!(n.kind, Kind::Punct(b'@' | b'-' | b'+' | b'_'))
            }) {
                continue;
            }
            // Local part: labels joined by "dot", "underscore", "dash", '.', '_', digits or letters.
            let mut i = k - 1;
            let mut start = toks[i].start;
            if matches!(
                toks[i].text(self.text).to_ascii_lowercase().as_str(),
                "me" | "us"
                    | "him"
                    | "her"
                    | "them"
                    | "you"
                    | "it"
                    | "is"
                    | "home"
                    | "work"
                    | "mail"
                    | "email"
                    | "address"
                    | "account"
                    | "that"
                    | "this"
                    | "one"
                    | "look"
                    | "be"
            ) {
                continue;
            }
            if !matches!(toks[i].kind, Kind::Word | Kind::Alnum | Kind::Num)
                || toks[i].turn != toks[k].turn
            {
                continue;
            }
            let mut steps = 0;
            while i >= 2 && steps < 6 {
                let sep = &toks[i - 1];
                let prev = &toks[i - 2];
                let sep_word = sep.text(self.text).to_ascii_lowercase();
                let joins = sep.lex == Lex::Dot
                    || matches!(sep_word.as_str(), "underscore" | "dash" | "hyphen")
                    || matches!(sep.kind, Kind::Punct(b'.' | b'_' | b'-')) && !sep.space_before;
                if prev.turn != toks[k].turn || sep.turn != toks[k].turn {
                    break;
                }
                if joins && matches!(prev.kind, Kind::Word | Kind::Alnum | Kind::Num) {
                    start = prev.start;
                    i -= 2;
                    steps += 1;
                } else if (sep.kind == Kind::Num
                    || sep.end - sep.start == 1
                        && sep.kind == Kind::Word
                        && (!sep.text(self.text).eq_ignore_ascii_case("a")
                            && !sep.text(self.text).eq_ignore_ascii_case("i")
                            || prev.end - prev.start == 1 && prev.kind == Kind::Word))
                    && !sep.newline_before
                {
                    start = sep.start;
                    i -= 1;
                    steps += 1;
                } else {
                    break;
                }
            }
            self.push(start, end, EntityType::EmailAddress, 0.85);
        }
    }

    /// IPv4 (four octets) and IPv6 (parsed by the standard library).
    fn ip_addresses(&mut self) {
        let toks = self.tokens;
        let mut i = 0;
        while i + 6 < toks.len() {
            if toks[i].kind != Kind::Num || !toks[i + 1].is_punct(b'.') {
                i += 1;
                continue;
            }
            let quad = (0..7).all(|k| {
                let t = &toks[i + k];
                (k == 0 || !t.space_before)
                    && if k % 2 == 0 {
                        t.kind == Kind::Num && t.end - t.start <= 3
                    } else {
                        t.is_punct(b'.')
                    }
            });
            if quad {
                let (s, e) = (toks[i].start, toks[i + 6].end);
                let next_is_dot_num = toks
                    .get(i + 7)
                    .is_some_and(|t| t.is_punct(b'.') && !t.space_before)
                    && toks
                        .get(i + 8)
                        .is_some_and(|t| t.kind == Kind::Num && !t.space_before);
                if !next_is_dot_num
                    && self
                        .text
                        .get(s..e)
                        .is_some_and(|v| v.parse::<std::net::Ipv4Addr>().is_ok())
                    && !self.cues.before(cue::NEGATIVE, s, 16)
                {
                    self.push(s, e, EntityType::IpAddress, 0.9);
                }
                i += 7;
            } else {
                i += 1;
            }
        }
        let bytes = self.text.as_bytes();
        let mut skip_to = 0;
        let is_v6 = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
        for colon in memchr::memchr_iter(b':', bytes) {
            if colon < skip_to {
                continue;
            }
            let mut s = colon;
            while s > 0 && is_v6(bytes[s - 1]) && colon - s < 40 {
                s -= 1;
            }
            let mut e = colon;
            while e < bytes.len() && is_v6(bytes[e]) && e - s < 45 {
                e += 1;
            }
            skip_to = e;
            while e > s && matches!(bytes[e - 1], b'.' | b':') && !bytes[s..e].ends_with(b"::") {
                e -= 1;
            }
            if s > 0 && bytes[s - 1].is_ascii_alphanumeric()
                || e < bytes.len() && bytes[e].is_ascii_alphanumeric()
            {
                continue;
            }
            let candidate = &bytes[s..e];
            // "::" alone (or after "[PERSON]") is punctuation, not an address.
            if candidate.iter().filter(|b| **b == b':').count() >= 2
                && candidate.iter().filter(|b| b.is_ascii_hexdigit()).count() >= 4
                && self
                    .text
                    .get(s..e)
                    .is_some_and(|v| v.parse::<std::net::Ipv6Addr>().is_ok())
            {
                self.push(s, e, EntityType::IpAddress, 0.9);
            }
        }
    }

    /// IBANs, written whole or in groups of four.
    fn ibans(&mut self) {
        let toks = self.tokens;
        for i in 0..toks.len() {
            let t = &toks[i];
            if t.kind != Kind::Alnum || t.end - t.start < 4 {
                continue;
            }
            let first = t.text(self.text).as_bytes();
            let head = [
                first[0].to_ascii_uppercase(),
                first[1].to_ascii_uppercase(),
                first[2],
                first[3],
            ];
            let Some(expected) = iban_expected_len(&head) else {
                continue;
            };
            let mut chars: Vec<u8> = first.iter().map(u8::to_ascii_uppercase).collect();
            if !first[..2].iter().all(u8::is_ascii_uppercase)
                && !self.near_any(cue::BANK, t.start, 60)
            {
                continue;
            }
            let mut end = t.end;
            let mut j = i + 1;
            while chars.len() < expected {
                let Some(n) = toks.get(j) else { break };
                if !matches!(n.kind, Kind::Alnum | Kind::Num | Kind::Word)
                    || n.end - n.start > 4
                    || n.newline_before
                {
                    break;
                }
                chars.extend(n.text(self.text).bytes().map(|b| b.to_ascii_uppercase()));
                end = n.end;
                j += 1;
            }
            if is_iban(&chars) {
                self.push(t.start, end, EntityType::IbanCode, 0.95);
            }
        }
    }

    /// Dates after birth cues and expiry dates after expiry cues, in every written form
    /// ("03/15/1985", "March 3rd, 1985", "march third nineteen eighty five", "05/27").
    fn cue_driven(&mut self) {
        let cues: Vec<_> = self
            .cues
            .iter()
            .filter(|c| c.kinds & (cue::BIRTH | cue::EXPIRY | cue::PO_BOX) != 0)
            .copied()
            .collect();
        for c in cues {
            let first = self.tokens.partition_point(|t| t.start < c.end);
            if c.kinds & cue::PO_BOX != 0 {
                if let Some(run) = self.run_at(first).or_else(|| self.run_at(first + 1)) {
                    let end = self.zip_tail(run.last_token + 1).unwrap_or(run.end());
                    self.push(c.start, end, EntityType::StreetAddress, 0.85);
                }
                continue;
            }
            let birth = c.kinds & cue::BIRTH != 0;
            for i in first..(first + 10).min(self.tokens.len()) {
                // A placeholder ("[CARD_EXPIRY]") already fills the slot after the cue: a
                // second pass must not take the next date for it.
                if self.tokens[i].is_punct(b'[')
                    && self.tokens.get(i + 1).is_some_and(|t| {
                        t.kind == Kind::Word
                            && !t.text(self.text).bytes().any(|b| b.is_ascii_lowercase())
                    })
                {
                    break;
                }
                let found = if birth {
                    self.date_at(i)
                } else {
                    self.expiry_at(i)
                };
                if let Some(end) = found {
                    let entity = if birth {
                        EntityType::DateOfBirth
                    } else {
                        EntityType::CardExpiry
                    };
                    self.push(self.tokens[i].start, end, entity, 0.85);
                    break;
                }
            }
        }
    }

    fn tok(&self, i: usize) -> Option<&Token> {
        self.tokens.get(i)
    }

    fn num_value(&self, i: usize) -> Option<(u32, usize)> {
        let t = self.tok(i)?;
        match t.kind {
            Kind::Num | Kind::OrdinalNum => {
                let digits: String = t
                    .text(self.text)
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                if digits.len() > 4 {
                    return None;
                }
                Some((digits.parse().ok()?, digits.len()))
            }
            _ => None,
        }
    }

    /// A numeric date "03/15/1985", "1985-03-15", "3.15.85" at token `i`; returns its end.
    fn numeric_date(&self, i: usize) -> Option<usize> {
        let (a, la) = self.num_value(i)?;
        let sep = self.tok(i + 1)?;
        let Kind::Punct(c @ (b'/' | b'-' | b'.')) = sep.kind else {
            return None;
        };
        let (b, _) = self.num_value(i + 2)?;
        let sep2 = self.tok(i + 3)?;
        if sep2.kind != Kind::Punct(c) || sep.space_before || sep2.space_before {
            return None;
        }
        let (y, ly) = self.num_value(i + 4)?;
        let ok = if la == 4 {
            (1..=12).contains(&b) && (1..=31).contains(&y)
        } else {
            (1..=31).contains(&a)
                && (1..=31).contains(&b)
                && (a <= 12 || b <= 12)
                && matches!(ly, 2 | 4)
        };
        ok.then(|| self.tokens[i + 4].end)
    }

    /// The end of a spoken or written day ("3", "3rd", "third", "twenty first") at `i`.
    fn day_at(&self, i: usize) -> Option<(usize, usize)> {
        let t = self.tok(i)?;
        match (t.kind, t.lex) {
            (Kind::Num | Kind::OrdinalNum, _) => {
                let (v, _) = self.num_value(i)?;
                (1..=31).contains(&v).then_some((t.end, i + 1))
            }
            (_, Lex::Ordinal(_) | Lex::Teen(_) | Lex::Digit(_)) => Some((t.end, i + 1)),
            (_, Lex::Tens(_)) => match self.tok(i + 1).map(|n| n.lex) {
                Some(Lex::Ordinal(_) | Lex::Digit(_)) => Some((self.tokens[i + 1].end, i + 2)),
                _ => Some((t.end, i + 1)),
            },
            _ => None,
        }
    }

    /// A year ("1985", "85", "nineteen eighty five", "two thousand three") at `i`.
    fn year_at(&self, i: usize) -> Option<usize> {
        let t = self.tok(i)?;
        if t.kind == Kind::Num {
            let (_, len) = self.num_value(i)?;
            return matches!(len, 2 | 4).then_some(t.end);
        }
        let run = self.run_at(i)?;
        matches!(run.digits.len(), 2 | 4).then(|| run.end())
    }

    /// Any date at token `i`; returns its end byte.
    fn date_at(&self, i: usize) -> Option<usize> {
        if let Some(end) = self.numeric_date(i) {
            return Some(end);
        }
        let t = self.tok(i)?;
        let skip = |k: usize| {
            let mut k = k;
            while self.tok(k).is_some_and(|t| {
                t.is_punct(b',')
                    || t.text(self.text).eq_ignore_ascii_case("the")
                    || t.text(self.text).eq_ignore_ascii_case("of")
            }) {
                k += 1;
            }
            k
        };
        if let Lex::Month(_) = t.lex {
            let k = skip(i + 1);
            if let Some((day_end, next)) = self.day_at(k) {
                let k = skip(next);
                return Some(self.year_at(k).unwrap_or(day_end).max(day_end));
            }
            return self.year_at(k);
        }
        // "15th of March 1985", "3 march 85"
        if let Some((_, next)) = self.day_at(i) {
            let k = skip(next);
            if let Some(Lex::Month(_)) = self.tok(k).map(|t| t.lex) {
                let month_end = self.tokens[k].end;
                return Some(self.year_at(skip(k + 1)).unwrap_or(month_end));
            }
        }
        // Digits read out: "oh three one five eighty five".
        let run = self.run_at(i)?;
        (matches!(run.digits.len(), 6 | 8) && plausible_mmdd(&run.digits)).then(|| run.end())
    }

    /// An expiry date at token `i`: "05/27", "05/2027", "may 2027", "may of twenty seven", "oh five twenty seven".
    fn expiry_at(&self, i: usize) -> Option<usize> {
        let t = self.tok(i)?;
        if let Some((m, _)) = self.num_value(i).filter(|_| t.kind == Kind::Num) {
            let sep = self.tok(i + 1)?;
            if matches!(sep.kind, Kind::Punct(b'/' | b'-')) && (1..=12).contains(&m) {
                let (_, ly) = self.num_value(i + 2)?;
                return matches!(ly, 2 | 4).then(|| self.tokens[i + 2].end);
            }
        }
        if let Lex::Month(_) = t.lex {
            let mut k = i + 1;
            if self
                .tok(k)
                .is_some_and(|t| t.text(self.text).eq_ignore_ascii_case("of") || t.is_punct(b','))
            {
                k += 1;
            }
            return self.year_at(k);
        }
        None
    }

    /// Street addresses: a house number, one to four street words, a suffix; then a unit and a
    /// "city, ST 12345" tail when present.
    fn streets(&mut self) {
        let toks = self.tokens;
        for s in 1..toks.len() {
            let t = &toks[s];
            if t.lex != Lex::Street {
                continue;
            }
            // Street words between the number and the suffix.
            let mut k = s;
            let mut words = 0;
            while k > 0 && words < 4 {
                let p = &toks[k - 1];
                // "123 N. Main St": the period of an abbreviated direction.
                if p.is_punct(b'.')
                    && k >= 2
                    && toks[k - 2].kind == Kind::Word
                    && toks[k - 2].end - toks[k - 2].start <= 2
                    && words > 0
                {
                    k -= 1;
                    continue;
                }
                let is_name_word = match p.kind {
                    Kind::Word => {
                        !is_street_stop(p.text(self.text))
                            && !matches!(
                                p.lex,
                                Lex::Digit(_)
                                    | Lex::Teen(_)
                                    | Lex::Tens(_)
                                    | Lex::Oh
                                    | Lex::Hundred
                                    | Lex::Thousand
                            )
                    }
                    Kind::OrdinalNum => true,
                    Kind::Alnum => true,
                    _ => false,
                };
                // A street name does not run on from the line (or turn) before.
                if !is_name_word || toks[k].newline_before || p.newline_before && words > 0 {
                    break;
                }
                k -= 1;
                words += 1;
            }
            // "221B Baker Street": a house number with a letter.
            if toks[k].kind == Kind::Alnum
                && words >= 2
                && toks[k]
                    .text(self.text)
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_digit())
            {
                let end = self.zip_tail(s + 1).unwrap_or(t.end);
                self.push(toks[k].start, end, EntityType::StreetAddress, 0.75);
                continue;
            }
            if words == 0 || k == 0 {
                continue;
            }
            let Some(run) = self.run_ending_at(k - 1) else {
                continue;
            };
            // The house number: the trailing chunks with at most six digits.
            let mut first_chunk = run.chunks.len();
            let mut digits = 0;
            while first_chunk > 0 && digits + run.chunks[first_chunk - 1].digit_len <= 6 {
                first_chunk -= 1;
                digits += run.chunks[first_chunk].digit_len;
            }
            if first_chunk == run.chunks.len() {
                continue;
            }
            let start = run.chunks[first_chunk].start;
            let mut end = t.end;
            let mut j = s + 1;
            if toks
                .get(j)
                .is_some_and(|n| n.is_punct(b'.') && !n.space_before)
            {
                end = toks[j].end;
                j += 1;
            }
            // Unit: ", apt 4b", "suite 200", "#12".
            let mut u = j;
            if toks.get(u).is_some_and(|n| n.is_punct(b',')) {
                u += 1;
            }
            if toks.get(u).is_some_and(|n| {
                n.is_punct(b'#')
                    || n.kind == Kind::Word && is_unit_word(n.text(self.text).as_bytes())
            }) {
                let mut v = u + 1;
                if toks
                    .get(v)
                    .is_some_and(|n| n.is_punct(b'.') || n.is_punct(b'#'))
                {
                    v += 1;
                }
                if let Some(r) = self.run_at(v) {
                    // "apartment six b"
                    end = r.end();
                    j = r.last_token + 1;
                    if let Some(letter) = toks.get(j).filter(|n| {
                        n.kind == Kind::Word && n.end - n.start == 1 && !n.newline_before
                    }) {
                        end = letter.end;
                        j += 1;
                    }
                } else if let Some(n) = toks.get(v).filter(|n| {
                    matches!(n.kind, Kind::Num | Kind::Alnum)
                        || n.kind == Kind::Word && n.end - n.start == 1
                }) {
                    end = n.end;
                    j = v + 1;
                }
            }
            // City, state and ZIP: up to six words and commas, then five digits.
            let mut z = j;
            let mut newlines = 0;
            while z < toks.len() && z < j + 7 {
                let n = &toks[z];
                if n.turn != t.turn {
                    break;
                }
                if n.newline_before {
                    newlines += 1;
                    if newlines > 1 {
                        break;
                    }
                }
                if let Some(r) = self.run_at(z) {
                    let ohio = n.lex == Lex::Oh && r.digits.len() == 6;
                    let spoken = r.spoken(0, r.chunks.len()) && (4..=6).contains(&r.digits.len());
                    if matches!(r.digits.len(), 5 | 9) || ohio || spoken {
                        end = r.end();
                    }
                    break;
                }
                if !(n.kind == Kind::Word || n.is_punct(b',')) {
                    break;
                }
                z += 1;
            }
            self.push(start, end, EntityType::StreetAddress, 0.8);
        }
    }
}

impl Scan<'_> {
    /// ", Springfield, IL 62704" from token `j`: up to six words and commas on the same line
    /// (or the next), then a ZIP code; returns the end of the ZIP.
    fn zip_tail(&self, j: usize) -> Option<usize> {
        let mut newlines = 0;
        let turn = self.tokens.get(j.checked_sub(1)?)?.turn;
        for z in j..(j + 7).min(self.tokens.len()) {
            let n = &self.tokens[z];
            // The next turn is not part of this address (a stream could not know it yet).
            if n.turn != turn {
                return None;
            }
            if n.newline_before {
                newlines += 1;
                if newlines > 1 {
                    return None;
                }
            }
            if let Some(r) = self.run_at(z) {
                let ohio = n.lex == Lex::Oh && r.digits.len() == 6;
                let spoken = r.spoken(0, r.chunks.len()) && (4..=6).contains(&r.digits.len());
                return (matches!(r.digits.len(), 5 | 9) || ohio || spoken).then(|| r.end());
            }
            if !(n.kind == Kind::Word || n.is_punct(b',')) {
                return None;
            }
        }
        None
    }
}

fn is_street_stop(word: &str) -> bool {
    matches!(
        word.to_ascii_lowercase().as_str(),
        "the"
            | "a"
            | "an"
            | "to"
            | "at"
            | "on"
            | "in"
            | "of"
            | "for"
            | "and"
            | "my"
            | "is"
            | "from"
            | "with"
            | "your"
            | "our"
            | "by"
            | "it"
            | "was"
            | "i"
            | "you"
            | "me"
            | "are"
            | "or"
            | "that"
            | "this"
            | "be"
            | "have"
            | "has"
            | "about"
            | "days"
            | "minutes"
            | "hours"
            | "items"
            | "times"
            | "dollars"
            | "near"
            | "off"
            | "down"
            | "up"
            | "into"
    )
}

fn is_tld(word: &str, spaced: bool) -> bool {
    if spaced {
        matches!(
            word,
            "com"
                | "net"
                | "org"
                | "edu"
                | "gov"
                | "io"
                | "co"
                | "us"
                | "uk"
                | "ca"
                | "info"
                | "biz"
                | "me"
                | "de"
                | "fr"
                | "au"
                | "in"
                | "mx"
        )
    } else {
        (2..=6).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_alphabetic())
    }
}

/// North American numbering plan: area code and exchange start with 2-9.
fn nanp(digits: &[u8]) -> bool {
    digits.len() == 10
        && digits[0] >= b'2'
        && digits[3] >= b'2'
        && !(digits[1] == b'1' && digits[2] == b'1')
}

fn two(d: &[u8]) -> u32 {
    d.iter()
        .take(2)
        .fold(0, |a, b| a * 10 + u32::from(b.wrapping_sub(b'0') % 10))
}

fn plausible_mmdd(d: &[u8]) -> bool {
    d.len() >= 4 && (1..=12).contains(&two(d)) && (1..=31).contains(&two(&d[2..]))
        || d.len() >= 4 && (1..=31).contains(&two(d)) && (1..=12).contains(&two(&d[2..]))
        || d.len() == 8 && plausible_year(&d[..4]) && (1..=12).contains(&two(&d[4..]))
}

fn plausible_year(d: &[u8]) -> bool {
    d.len() == 4 && (d.starts_with(b"19") || d.starts_with(b"20"))
}

/// M/YY, MM/YY or MM/YYYY with a year a card could expire in (20xx up to 2045).
fn plausible_expiry(d: &[u8]) -> bool {
    let year_ok = |y: &[u8]| (20..=45).contains(&two(y));
    match d.len() {
        3 => d[0] != b'0' && year_ok(&d[1..]),
        4 => (1..=12).contains(&two(d)) && year_ok(&d[2..]),
        6 => (1..=12).contains(&two(d)) && d[2..].starts_with(b"20") && year_ok(&d[4..]),
        _ => false,
    }
}
