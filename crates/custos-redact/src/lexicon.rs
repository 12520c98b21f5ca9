//! Word knowledge the detectors share: spoken numbers ("double five", "oh"), fillers that may
//! sit inside a spoken number, month and ordinal words, street suffixes, the shipped name lists,
//! and the context cues ("security code", "my name is", "order number") found in one
//! Aho-Corasick pass over the text.

use std::collections::HashSet;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// What a single word means to the number and date scanners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lex {
    /// An ordinary word.
    Other,
    /// "zero" … "nine".
    Digit(u8),
    /// "oh" or "o": a zero, but only next to other digits.
    Oh,
    /// "ten" … "nineteen".
    Teen(u8),
    /// "twenty" … "ninety" (the tens digit).
    Tens(u8),
    /// "hundred".
    Hundred,
    /// "thousand".
    Thousand,
    /// "double": the next digit twice.
    Double,
    /// "triple": the next digit three times.
    Triple,
    /// A hesitation or joining word that may sit inside a spoken number ("uh", "and", "dash").
    Filler,
    /// "at" (spoken emails).
    At,
    /// "dot" or "period" (spoken emails).
    Dot,
    /// "plus" (international phone numbers).
    Plus,
    /// A month name, 1-12.
    Month(u8),
    /// An ordinal word ("first" … "thirty first" is "thirty" + "first"), 1-31.
    Ordinal(u8),
    /// A street suffix ("street", "ave", "blvd") that ends the street part of an address.
    Street,
}

/// Classifies a word (any case). Only ASCII words up to 9 bytes can be number words.
pub(crate) fn lex_word(word: &[u8]) -> Lex {
    // "OH" in capitals is Ohio, not a spoken zero.
    if word.len() > 11 || word.is_empty() || word == b"OH" {
        return Lex::Other;
    }
    let mut buf = [0u8; 11];
    for (slot, b) in buf.iter_mut().zip(word) {
        *slot = b.to_ascii_lowercase();
    }
    match &buf[..word.len()] {
        b"zero" => Lex::Digit(0),
        b"one" => Lex::Digit(1),
        b"two" => Lex::Digit(2),
        b"three" => Lex::Digit(3),
        b"four" => Lex::Digit(4),
        b"five" => Lex::Digit(5),
        b"six" => Lex::Digit(6),
        b"seven" => Lex::Digit(7),
        b"eight" => Lex::Digit(8),
        b"nine" => Lex::Digit(9),
        b"oh" | b"o" => Lex::Oh,
        b"ten" => Lex::Teen(10),
        b"eleven" => Lex::Teen(11),
        b"twelve" => Lex::Teen(12),
        b"thirteen" => Lex::Teen(13),
        b"fourteen" => Lex::Teen(14),
        b"fifteen" => Lex::Teen(15),
        b"sixteen" => Lex::Teen(16),
        b"seventeen" => Lex::Teen(17),
        b"eighteen" => Lex::Teen(18),
        b"nineteen" => Lex::Teen(19),
        b"twenty" => Lex::Tens(2),
        b"thirty" => Lex::Tens(3),
        b"forty" | b"fourty" => Lex::Tens(4),
        b"fifty" => Lex::Tens(5),
        b"sixty" => Lex::Tens(6),
        b"seventy" => Lex::Tens(7),
        b"eighty" => Lex::Tens(8),
        b"ninety" => Lex::Tens(9),
        b"hundred" => Lex::Hundred,
        b"thousand" => Lex::Thousand,
        b"double" => Lex::Double,
        b"triple" => Lex::Triple,
        b"uh" | b"um" | b"umm" | b"uhm" | b"er" | b"erm" | b"ah" | b"hmm" | b"mm" | b"mhm"
        | b"huh" | b"and" | b"then" | b"dash" | b"hyphen" | b"space" | b"slash" | b"sorry" => {
            Lex::Filler
        }
        b"at" => Lex::At,
        b"dot" | b"period" => Lex::Dot,
        b"plus" => Lex::Plus,
        b"january" | b"jan" => Lex::Month(1),
        b"february" | b"feb" => Lex::Month(2),
        b"march" | b"mar" => Lex::Month(3),
        b"april" | b"apr" => Lex::Month(4),
        b"may" => Lex::Month(5),
        b"june" | b"jun" => Lex::Month(6),
        b"july" | b"jul" => Lex::Month(7),
        b"august" | b"aug" => Lex::Month(8),
        b"september" | b"sep" | b"sept" => Lex::Month(9),
        b"october" | b"oct" => Lex::Month(10),
        b"november" | b"nov" => Lex::Month(11),
        b"december" | b"dec" => Lex::Month(12),
        b"first" => Lex::Ordinal(1),
        b"second" => Lex::Ordinal(2),
        b"third" => Lex::Ordinal(3),
        b"fourth" => Lex::Ordinal(4),
        b"fifth" => Lex::Ordinal(5),
        b"sixth" => Lex::Ordinal(6),
        b"seventh" => Lex::Ordinal(7),
        b"eighth" => Lex::Ordinal(8),
        b"ninth" => Lex::Ordinal(9),
        b"tenth" => Lex::Ordinal(10),
        b"eleventh" => Lex::Ordinal(11),
        b"twelfth" => Lex::Ordinal(12),
        b"thirteenth" => Lex::Ordinal(13),
        b"fourteenth" => Lex::Ordinal(14),
        b"fifteenth" => Lex::Ordinal(15),
        b"sixteenth" => Lex::Ordinal(16),
        b"seventeenth" => Lex::Ordinal(17),
        b"eighteenth" => Lex::Ordinal(18),
        b"nineteenth" => Lex::Ordinal(19),
        b"twentieth" => Lex::Ordinal(20),
        b"thirtieth" => Lex::Ordinal(30),
        b"street" | b"st" | b"avenue" | b"ave" | b"av" | b"road" | b"rd" | b"boulevard"
        | b"blvd" | b"lane" | b"ln" | b"drive" | b"dr" | b"court" | b"ct" | b"way" | b"place"
        | b"pl" | b"terrace" | b"circle" | b"cir" | b"parkway" | b"pkwy" | b"highway" | b"hwy"
        | b"trail" | b"square" | b"sq" | b"loop" | b"pike" | b"row" | b"crescent" | b"close" => {
            Lex::Street
        }
        _ => Lex::Other,
    }
}

/// Words that make up a whole turn of "the other side listening" ("okay", "mhm, go ahead"): a
/// number read in groups continues across such a turn.
pub(crate) fn is_ack_word(word: &[u8]) -> bool {
    if word.len() > 8 {
        return false;
    }
    let mut buf = [0u8; 8];
    for (slot, b) in buf.iter_mut().zip(word) {
        *slot = b.to_ascii_lowercase();
    }
    matches!(
        &buf[..word.len()],
        b"ok"
            | b"okay"
            | b"yes"
            | b"yeah"
            | b"yep"
            | b"yup"
            | b"right"
            | b"sure"
            | b"alright"
            | b"got"
            | b"it"
            | b"go"
            | b"ahead"
            | b"and"
            | b"then"
            | b"next"
            | b"continue"
            | b"please"
            | b"thanks"
            | b"thank"
            | b"you"
            | b"perfect"
            | b"great"
            | b"uh"
            | b"um"
            | b"huh"
            | b"mhm"
            | b"mm"
            | b"hmm"
            | b"sorry"
            | b"what"
            | b"was"
            | b"that"
            | b"again"
            | b"k"
            | b"cool"
            | b"good"
            | b"so"
            | b"far"
            | b"the"
            | b"rest"
    )
}

/// Unit designators after a street ("apt 4b", "suite 200").
pub(crate) fn is_unit_word(word: &[u8]) -> bool {
    if word.len() > 9 {
        return false;
    }
    let mut buf = [0u8; 9];
    for (slot, b) in buf.iter_mut().zip(word) {
        *slot = b.to_ascii_lowercase();
    }
    matches!(
        &buf[..word.len()],
        b"apt"
            | b"apartment"
            | b"suite"
            | b"ste"
            | b"unit"
            | b"floor"
            | b"fl"
            | b"room"
            | b"bldg"
            | b"building"
            | b"number"
    )
}

/// Context cue categories, as bits so a lookup can ask for several at once.
pub(crate) mod cue {
    /// Payment card context ("card number", "visa").
    pub const CARD: u32 = 1;
    /// "cvv", "cvc": a security code without doubt.
    pub const CVV_STRONG: u32 = 1 << 1;
    /// "security code", "three digit code": a CVV only near card context.
    pub const CVV_WEAK: u32 = 1 << 2;
    /// "expires", "expiration date".
    pub const EXPIRY: u32 = 1 << 3;
    /// "social security", "ssn".
    pub const SSN: u32 = 1 << 4;
    /// "phone", "call me at".
    pub const PHONE: u32 = 1 << 5;
    /// "account number", "checking".
    pub const BANK: u32 = 1 << 6;
    /// "routing number", "aba".
    pub const ROUTING: u32 = 1 << 7;
    /// "date of birth", "born".
    pub const BIRTH: u32 = 1 << 8;
    /// "order number", "ticket", "tracking": the number after it is not personal data.
    pub const NEGATIVE: u32 = 1 << 9;
    /// "my name is", "last name": the next words are a name, listed or not.
    pub const NAME_STRONG: u32 = 1 << 10;
    /// "this is", "i'm", "speaking with": a name follows if the word is a known name.
    pub const NAME_INTRO: u32 = 1 << 11;
    /// "mr", "mrs", "dr".
    pub const NAME_TITLE: u32 = 1 << 12;
    /// "hi", "dear", "thanks": a known name may follow.
    pub const NAME_GREET: u32 = 1 << 13;
    /// "regards", "sincerely": a signature follows on the next line.
    pub const NAME_SIGNOFF: u32 = 1 << 14;
    /// "from:", "to:" email headers.
    pub const NAME_HEADER: u32 = 1 << 15;
    /// "wrote:" of a quoted reply, or "speaking" after a name.
    pub const NAME_AFTER: u32 = 1 << 16;
    /// "card ending in", "last four": the digits after it are not a full number.
    pub const LAST_FOUR: u32 = 1 << 17;
    /// "po box".
    pub const PO_BOX: u32 = 1 << 18;
}

const CUES: &[(&str, u32)] = &[
    ("card", cue::CARD),
    ("card number", cue::CARD),
    ("card no", cue::CARD),
    ("credit card", cue::CARD),
    ("debit card", cue::CARD),
    ("long number", cue::CARD),
    ("visa", cue::CARD),
    ("mastercard", cue::CARD),
    ("master card", cue::CARD),
    ("amex", cue::CARD),
    ("american express", cue::CARD),
    ("discover card", cue::CARD),
    ("pan", cue::CARD),
    ("payment", cue::CARD),
    ("pay with", cue::CARD),
    ("charge it", cue::CARD),
    ("cvv", cue::CVV_STRONG),
    ("cvv2", cue::CVV_STRONG),
    ("cvc", cue::CVV_STRONG),
    ("cvc2", cue::CVV_STRONG),
    ("csc", cue::CVV_STRONG),
    ("cid", cue::CVV_STRONG),
    ("c v v", cue::CVV_STRONG),
    ("c v c", cue::CVV_STRONG),
    ("security code", cue::CVV_WEAK),
    // The code on the back is the card's: no other card context is needed.
    ("security code on the back", cue::CVV_STRONG),
    ("security number on the back", cue::CVV_STRONG),
    ("security number", cue::CVV_WEAK),
    ("verification code", cue::CVV_WEAK),
    ("verification number", cue::CVV_WEAK),
    ("three digit code", cue::CVV_WEAK),
    ("3 digit code", cue::CVV_WEAK),
    ("3-digit code", cue::CVV_WEAK),
    ("three digits", cue::CVV_WEAK),
    ("3 digits", cue::CVV_WEAK),
    ("four digit code", cue::CVV_WEAK),
    ("code on the back", cue::CVV_WEAK),
    ("on the back", cue::CVV_WEAK),
    ("back of the card", cue::CVV_WEAK),
    ("the back", cue::CVV_WEAK),
    ("digits on the back", cue::CVV_WEAK),
    ("expires", cue::EXPIRY),
    ("expire", cue::EXPIRY),
    ("expiring", cue::EXPIRY),
    ("expired", cue::EXPIRY),
    ("expiry", cue::EXPIRY),
    ("expiration", cue::EXPIRY),
    ("expiration date", cue::EXPIRY),
    ("exp", cue::EXPIRY),
    ("exp date", cue::EXPIRY),
    ("valid thru", cue::EXPIRY),
    ("valid through", cue::EXPIRY),
    ("good thru", cue::EXPIRY),
    ("good through", cue::EXPIRY),
    ("social security", cue::SSN),
    ("social security number", cue::SSN),
    ("social", cue::SSN),
    ("ssn", cue::SSN),
    ("s s n", cue::SSN),
    ("tax id", cue::SSN),
    ("taxpayer", cue::SSN),
    ("phone", cue::PHONE),
    ("phone number", cue::PHONE),
    ("cell", cue::PHONE),
    ("mobile", cue::PHONE),
    ("telephone", cue::PHONE),
    ("tel", cue::PHONE),
    ("call me", cue::PHONE),
    ("call back", cue::PHONE),
    ("callback", cue::PHONE),
    ("reach me", cue::PHONE),
    ("text me", cue::PHONE),
    ("fax", cue::PHONE),
    ("area code", cue::PHONE),
    ("contact number", cue::PHONE),
    ("callback number", cue::PHONE),
    ("number is", cue::PHONE),
    ("account number", cue::BANK),
    ("account no", cue::BANK),
    ("acct", cue::BANK),
    ("bank account", cue::BANK),
    ("checking", cue::BANK),
    ("savings", cue::BANK),
    ("direct deposit", cue::BANK),
    ("routing", cue::ROUTING | cue::BANK),
    ("routing number", cue::ROUTING | cue::BANK),
    ("aba", cue::ROUTING | cue::BANK),
    ("transit number", cue::ROUTING | cue::BANK),
    ("date of birth", cue::BIRTH),
    ("birth date", cue::BIRTH),
    ("birthdate", cue::BIRTH),
    ("birthday", cue::BIRTH),
    ("dob", cue::BIRTH),
    ("d.o.b", cue::BIRTH),
    ("d o b", cue::BIRTH),
    ("born", cue::BIRTH),
    ("born on", cue::BIRTH),
    ("order", cue::NEGATIVE),
    ("order number", cue::NEGATIVE),
    ("order no", cue::NEGATIVE),
    ("ticket", cue::NEGATIVE),
    ("ticket number", cue::NEGATIVE),
    ("tracking", cue::NEGATIVE),
    ("tracking number", cue::NEGATIVE),
    ("confirmation", cue::NEGATIVE),
    ("confirmation number", cue::NEGATIVE),
    ("reference", cue::NEGATIVE),
    ("reference number", cue::NEGATIVE),
    ("ref", cue::NEGATIVE),
    ("case", cue::NEGATIVE),
    ("case number", cue::NEGATIVE),
    ("invoice", cue::NEGATIVE),
    ("claim", cue::NEGATIVE),
    ("claim number", cue::NEGATIVE),
    ("serial", cue::NEGATIVE),
    ("serial number", cue::NEGATIVE),
    ("model", cue::NEGATIVE),
    ("sku", cue::NEGATIVE),
    ("part number", cue::NEGATIVE),
    ("po number", cue::NEGATIVE),
    ("booking", cue::NEGATIVE),
    ("reservation", cue::NEGATIVE),
    ("rma", cue::NEGATIVE),
    ("shipment", cue::NEGATIVE),
    ("package", cue::NEGATIVE),
    ("transaction id", cue::NEGATIVE),
    ("membership", cue::NEGATIVE),
    ("member id", cue::NEGATIVE),
    ("loyalty", cue::NEGATIVE),
    ("rewards number", cue::NEGATIVE),
    ("extension", cue::NEGATIVE),
    ("ext", cue::NEGATIVE),
    ("version", cue::NEGATIVE),
    ("item", cue::NEGATIVE),
    ("my name is", cue::NAME_STRONG),
    ("my name's", cue::NAME_STRONG),
    ("name is", cue::NAME_STRONG),
    ("name's", cue::NAME_STRONG),
    ("name:", cue::NAME_STRONG),
    ("first name", cue::NAME_STRONG),
    ("last name", cue::NAME_STRONG),
    ("full name", cue::NAME_STRONG),
    ("surname", cue::NAME_STRONG),
    ("first name is", cue::NAME_STRONG),
    ("last name is", cue::NAME_STRONG),
    ("full name is", cue::NAME_STRONG),
    ("cardholder name", cue::NAME_STRONG),
    ("name on the card", cue::NAME_STRONG),
    ("name on the account", cue::NAME_STRONG),
    ("account holder", cue::NAME_STRONG),
    ("who am i speaking with", cue::NAME_STRONG),
    ("who am i speaking to", cue::NAME_STRONG),
    ("who i'm speaking with", cue::NAME_STRONG),
    ("your name", cue::NAME_STRONG),
    ("the name", cue::NAME_STRONG),
    ("this is", cue::NAME_INTRO),
    ("it's", cue::NAME_INTRO),
    ("its", cue::NAME_INTRO),
    ("it is", cue::NAME_INTRO),
    ("i'm", cue::NAME_INTRO),
    ("im", cue::NAME_INTRO),
    ("i am", cue::NAME_INTRO),
    ("call me", cue::NAME_INTRO | cue::PHONE),
    ("speaking with", cue::NAME_INTRO),
    ("talking to", cue::NAME_INTRO),
    ("talking with", cue::NAME_INTRO),
    ("speak to", cue::NAME_INTRO),
    ("speak with", cue::NAME_INTRO),
    ("ask for", cue::NAME_INTRO),
    ("my husband", cue::NAME_INTRO),
    ("my wife", cue::NAME_INTRO),
    ("my son", cue::NAME_INTRO),
    ("my daughter", cue::NAME_INTRO),
    ("my mother", cue::NAME_INTRO),
    ("my father", cue::NAME_INTRO),
    ("my colleague", cue::NAME_INTRO),
    ("my manager", cue::NAME_INTRO),
    ("under", cue::NAME_INTRO),
    ("spelled", cue::NAME_STRONG),
    ("spelt", cue::NAME_STRONG),
    ("mr", cue::NAME_TITLE),
    ("mrs", cue::NAME_TITLE),
    ("ms", cue::NAME_TITLE),
    ("miss", cue::NAME_TITLE),
    ("mister", cue::NAME_TITLE),
    ("missus", cue::NAME_TITLE),
    ("dr", cue::NAME_TITLE),
    ("doctor", cue::NAME_TITLE),
    ("prof", cue::NAME_TITLE),
    ("hi", cue::NAME_GREET),
    ("hello", cue::NAME_GREET),
    ("hey", cue::NAME_GREET),
    ("dear", cue::NAME_GREET),
    ("thanks", cue::NAME_GREET | cue::NAME_SIGNOFF),
    ("thank you", cue::NAME_GREET | cue::NAME_SIGNOFF),
    ("thanks so much", cue::NAME_GREET),
    ("thank you so much", cue::NAME_GREET),
    ("thanks again", cue::NAME_GREET | cue::NAME_SIGNOFF),
    ("good morning", cue::NAME_GREET),
    ("good afternoon", cue::NAME_GREET),
    ("bye", cue::NAME_GREET),
    ("goodbye", cue::NAME_GREET),
    ("regards", cue::NAME_SIGNOFF),
    ("best regards", cue::NAME_SIGNOFF),
    ("kind regards", cue::NAME_SIGNOFF),
    ("warm regards", cue::NAME_SIGNOFF),
    ("sincerely", cue::NAME_SIGNOFF),
    ("cheers", cue::NAME_SIGNOFF),
    ("best", cue::NAME_SIGNOFF),
    ("best wishes", cue::NAME_SIGNOFF),
    ("respectfully", cue::NAME_SIGNOFF),
    ("many thanks", cue::NAME_SIGNOFF),
    ("from:", cue::NAME_HEADER),
    ("to:", cue::NAME_HEADER),
    ("cc:", cue::NAME_HEADER),
    ("reply-to:", cue::NAME_HEADER),
    ("wrote:", cue::NAME_AFTER),
    ("speaking", cue::NAME_AFTER),
    ("here", cue::NAME_AFTER),
    ("ending in", cue::LAST_FOUR),
    ("ending with", cue::LAST_FOUR),
    ("ends in", cue::LAST_FOUR),
    ("ends with", cue::LAST_FOUR),
    ("last four", cue::LAST_FOUR),
    ("last 4", cue::LAST_FOUR),
    ("last four digits", cue::LAST_FOUR),
    ("last digits", cue::LAST_FOUR),
    ("po box", cue::PO_BOX),
    ("p.o. box", cue::PO_BOX),
    ("p o box", cue::PO_BOX),
    ("post office box", cue::PO_BOX),
];

/// One context cue found in the text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cue {
    pub start: usize,
    pub end: usize,
    pub kinds: u32,
}

/// The cues of one text, in order.
#[derive(Debug, Default)]
pub(crate) struct Cues {
    list: Vec<Cue>,
}

impl Cues {
    /// Is there a cue of one of `kinds` ending within `window` bytes before `pos` (or overlapping it)?
    pub fn before(&self, kinds: u32, pos: usize, window: usize) -> bool {
        self.last_before(kinds, pos, window).is_some()
    }

    /// The nearest cue of `kinds` whose end lies in `[pos - window, pos]`.
    pub fn last_before(&self, kinds: u32, pos: usize, window: usize) -> Option<Cue> {
        let lo = pos.saturating_sub(window);
        let idx = self.list.partition_point(|c| c.start < pos);
        self.list[..idx]
            .iter()
            .rev()
            .take_while(|c| c.end + 400 >= lo)
            .find(|c| c.kinds & kinds != 0 && c.end >= lo && c.end <= pos + 1)
            .copied()
    }

    /// All cues, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Cue> {
        self.list.iter()
    }
}

/// Shared, immutable word knowledge, built once per [`crate::Redactor`].
pub(crate) struct Lexicon {
    cue_matcher: Option<AhoCorasick>,
    cue_kinds: Vec<u32>,
    first_names: WordSet,
    last_names: WordSet,
    common: WordSet,
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexicon")
            .field("cues", &self.cue_kinds.len())
            .field("first_names", &self.first_names.len())
            .field("last_names", &self.last_names.len())
            .finish()
    }
}

/// FNV-1a: the word sets are fixed and small, and looked up on short words; SipHash's
/// flooding resistance buys nothing here.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type WordSet = HashSet<&'static str, std::hash::BuildHasherDefault<Fnv>>;

fn word_set(list: &'static str) -> WordSet {
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

impl Lexicon {
    pub fn new() -> Self {
        // The patterns are fixed ASCII literals, so building cannot fail in practice; should it,
        // redaction still runs on every number-based detector and only loses context cues.
        let cue_matcher = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(CUES.iter().map(|(p, _)| p))
            .ok();
        Self {
            cue_matcher,
            cue_kinds: CUES.iter().map(|(_, k)| *k).collect(),
            first_names: word_set(include_str!("../data/first_names.txt")),
            last_names: word_set(include_str!("../data/last_names.txt")),
            common: word_set(include_str!("../data/common_words.txt")),
        }
    }

    /// Finds every cue in `text`, on word boundaries.
    pub fn cues(&self, text: &str) -> Cues {
        let Some(matcher) = &self.cue_matcher else {
            return Cues::default();
        };
        let bytes = text.as_bytes();
        let mut list = Vec::new();
        for m in matcher.find_iter(text) {
            let (s, e) = (m.start(), m.end());
            if s > 0 && is_word_byte(bytes[s - 1]) {
                continue;
            }
            let last = bytes[e - 1];
            if is_word_byte(last) && e < bytes.len() && is_word_byte(bytes[e]) {
                continue;
            }
            // Our own placeholders ("[CREDIT_CARD]", "[CARD_CVV]") are no context: a second
            // pass over redacted text must decide as the first did.
            if s > 0
                && matches!(bytes[s - 1], b'[' | b'_')
                && !bytes[s..e].iter().any(u8::is_ascii_lowercase)
            {
                continue;
            }
            let kinds = self
                .cue_kinds
                .get(m.pattern().as_usize())
                .copied()
                .unwrap_or(0);
            list.push(Cue {
                start: s,
                end: e,
                kinds,
            });
        }
        Cues { list }
    }

    /// Is `word` (lowercase) a listed given name?
    pub fn is_first_name(&self, word: &str) -> bool {
        self.first_names.contains(word)
    }

    /// Is `word` (lowercase) a listed surname?
    pub fn is_last_name(&self, word: &str) -> bool {
        self.last_names.contains(word)
    }

    /// Is `word` (lowercase) an ordinary word that should not be taken for a name on weak evidence?
    pub fn is_common(&self, word: &str) -> bool {
        self.common.contains(word)
            || !matches!(
                lex_word(word.as_bytes()),
                Lex::Other | Lex::Month(_) | Lex::Street
            )
    }
}

/// Letters, digits and apostrophes continue a word; everything else ends it.
pub(crate) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}
