//! Phishing and social-engineering red flags on inbound email and chat, for the agent's
//! eyes: never a block, only information. Each flag has a stable code, a plain reason free of
//! the message's customer data, and a weight; the score is the sum of weights, capped at 100.
//!
//! | level | score |
//! | --- | --- |
//! | none | 0–9 |
//! | low | 10–29 |
//! | medium | 30–59 |
//! | high | 60–100 |

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::formats::decode_entities;

/// Where a message came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Email.
    Email,
    /// Web or app chat, SMS.
    Chat,
}

/// An inbound message to assess.
#[derive(Clone, Copy)]
pub struct MessageInput<'a> {
    /// Email or chat.
    pub channel: Channel,
    /// The sender's address (`From:` address, chat identity), if known.
    pub from_address: Option<&'a str>,
    /// The sender's display name (`"PayPal Support" <…>`), if any.
    pub from_name: Option<&'a str>,
    /// The subject, for email.
    pub subject: Option<&'a str>,
    /// The body: plain text, or HTML when `html` is set.
    pub body: &'a str,
    /// The body is HTML.
    pub html: bool,
    /// The email address on file for the customer this message claims to come from.
    pub registered_email: Option<&'a str>,
}

impl std::fmt::Debug for MessageInput<'_> {
    /// Shape only: the message is customer data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageInput")
            .field("channel", &self.channel)
            .field("html", &self.html)
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// How suspicious a message is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Nothing worth mentioning.
    None,
    /// A mild signal; ordinary messages sometimes get here.
    Low,
    /// Several signals: the agent should be careful.
    Medium,
    /// Strong signals: treat as phishing or social engineering.
    High,
}

impl Level {
    /// The level of a score.
    pub fn of(score: u8) -> Self {
        match score {
            0..=9 => Self::None,
            10..=29 => Self::Low,
            30..=59 => Self::Medium,
            _ => Self::High,
        }
    }
}

/// One red flag.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Flag {
    /// Stable code: `generic_greeting`, `urgency`, `threat`, `credential_request`,
    /// `unusual_payment`, `link_prompt`, `code_mention`, `ip_address_url`, `punycode_url`, `userinfo_url`,
    /// `many_subdomains`, `lookalike_domain`, `brand_in_unrelated_domain`, `url_shortener`,
    /// `mismatched_link`, `all_caps`, `exclamations`, `mixed_scripts`, `hidden_characters`,
    /// `sender_not_registered`, `lookalike_sender_domain`, `display_name_spoof`,
    /// `display_name_brand`.
    pub code: &'static str,
    /// What was seen, in plain words.
    pub reason: String,
    /// What it adds to the score.
    pub weight: u8,
}

/// The verdict on a message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Assessment {
    /// 0–100: the sum of the flags' weights, capped.
    pub score: u8,
    /// The score's band.
    pub level: Level,
    /// The red flags, in the order checked.
    pub flags: Vec<Flag>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cue {
    Greeting,
    Urgency,
    Threat,
    Credentials,
    Payment,
    LinkPrompt,
    CodeMention,
}

const PHRASES: &[(&str, Cue)] = &[
    ("dear customer", Cue::Greeting),
    ("dear valued customer", Cue::Greeting),
    ("dear user", Cue::Greeting),
    ("dear client", Cue::Greeting),
    ("dear member", Cue::Greeting),
    ("dear account holder", Cue::Greeting),
    ("dear account owner", Cue::Greeting),
    ("dear beneficiary", Cue::Greeting),
    ("attention customer", Cue::Greeting),
    ("immediately", Cue::Urgency),
    ("urgent", Cue::Urgency),
    ("urgently", Cue::Urgency),
    ("within 12 hours", Cue::Urgency),
    ("within 24 hours", Cue::Urgency),
    ("within 48 hours", Cue::Urgency),
    ("within 24hrs", Cue::Urgency),
    ("within 24 hrs", Cue::Urgency),
    ("final notice", Cue::Urgency),
    ("final warning", Cue::Urgency),
    ("last warning", Cue::Urgency),
    ("last chance", Cue::Urgency),
    ("act now", Cue::Urgency),
    ("expires today", Cue::Urgency),
    ("time sensitive", Cue::Urgency),
    ("time-sensitive", Cue::Urgency),
    ("do not delay", Cue::Urgency),
    ("don't delay", Cue::Urgency),
    ("failure to comply", Cue::Urgency),
    ("will be suspended", Cue::Threat),
    ("has been suspended", Cue::Threat),
    ("will be closed", Cue::Threat),
    ("will be locked", Cue::Threat),
    ("has been locked", Cue::Threat),
    ("will be restricted", Cue::Threat),
    ("has been restricted", Cue::Threat),
    ("has been limited", Cue::Threat),
    ("will be terminated", Cue::Threat),
    ("will be deactivated", Cue::Threat),
    ("will be permanently", Cue::Threat),
    ("account suspension", Cue::Threat),
    ("suspend your account", Cue::Threat),
    ("legal action", Cue::Threat),
    ("lose access", Cue::Threat),
    ("verify your password", Cue::Credentials),
    ("confirm your password", Cue::Credentials),
    ("enter your password", Cue::Credentials),
    ("your password", Cue::Credentials),
    ("your username and password", Cue::Credentials),
    ("login details", Cue::Credentials),
    ("login credentials", Cue::Credentials),
    ("your credentials", Cue::Credentials),
    ("send me the code", Cue::Credentials),
    ("send me that code", Cue::Credentials),
    ("send me the otp", Cue::Credentials),
    ("send the code", Cue::Credentials),
    ("read me the code", Cue::Credentials),
    ("tell me the code", Cue::Credentials),
    ("give me the code", Cue::Credentials),
    ("share the code", Cue::Credentials),
    ("forward the code", Cue::Credentials),
    ("provide the code", Cue::Credentials),
    ("code we sent", Cue::Credentials),
    ("code you received", Cue::Credentials),
    ("send the one-time code", Cue::Credentials),
    ("send me the one-time code", Cue::Credentials),
    ("one-time code", Cue::CodeMention),
    ("one time code", Cue::CodeMention),
    ("one-time passcode", Cue::CodeMention),
    ("one-time password", Cue::CodeMention),
    ("your pin", Cue::Credentials),
    ("pin number", Cue::Credentials),
    ("pin code", Cue::Credentials),
    ("verify your account", Cue::Credentials),
    ("confirm your account", Cue::Credentials),
    ("verify your identity", Cue::Credentials),
    ("confirm your card details", Cue::Credentials),
    ("update your payment details", Cue::Credentials),
    ("update your billing information", Cue::Credentials),
    ("security questions", Cue::Credentials),
    ("mother's maiden name", Cue::Credentials),
    ("gift card", Cue::Payment),
    ("gift cards", Cue::Payment),
    ("itunes card", Cue::Payment),
    ("google play card", Cue::Payment),
    ("steam card", Cue::Payment),
    ("wire transfer", Cue::Payment),
    ("western union", Cue::Payment),
    ("moneygram", Cue::Payment),
    ("bitcoin", Cue::Payment),
    ("crypto wallet", Cue::Payment),
    ("click here", Cue::LinkPrompt),
    ("click the link", Cue::LinkPrompt),
    ("click below", Cue::LinkPrompt),
    ("log in here", Cue::LinkPrompt),
    ("login here", Cue::LinkPrompt),
    ("tap the link", Cue::LinkPrompt),
];

static PHRASE_MATCHER: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(PHRASES.iter().map(|(p, _)| p))
        .ok()
});

/// Brands phishers imitate: lower-case registrable labels.
const BRANDS: &[&str] = &[
    "paypal",
    "amazon",
    "apple",
    "icloud",
    "microsoft",
    "office365",
    "outlook",
    "google",
    "gmail",
    "netflix",
    "facebook",
    "instagram",
    "whatsapp",
    "linkedin",
    "chase",
    "wellsfargo",
    "bankofamerica",
    "citibank",
    "hsbc",
    "barclays",
    "santander",
    "fedex",
    "royalmail",
    "visa",
    "mastercard",
    "americanexpress",
    "docusign",
    "dropbox",
    "coinbase",
    "binance",
    "ebay",
    "walmart",
    "adobe",
    "spotify",
];

/// Most links examined in one message.
const MAX_URLS: usize = 200;

const SHORTENERS: &[&str] = &[
    "bit.ly",
    "tinyurl.com",
    "t.co",
    "goo.gl",
    "ow.ly",
    "is.gd",
    "buff.ly",
    "rebrand.ly",
    "cutt.ly",
    "shorturl.at",
    "rb.gy",
    "t.ly",
    "tiny.cc",
    "s.id",
];

const FREEMAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "aol.com",
    "icloud.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.net",
    "mail.com",
    "yandex.com",
    "mail.ru",
];

const TWO_LEVEL_SUFFIXES: &[&str] = &[
    "co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "co.nz", "co.jp", "com.br", "co.za",
    "com.mx", "co.in", "com.cn", "com.tr",
];

/// Assesses messages against a list of brands to protect: the common targets of phishing
/// plus, typically, the contact center's own.
#[derive(Debug, Clone)]
pub struct Assessor {
    brands: Vec<String>,
}

impl Default for Assessor {
    /// The built-in brands only.
    fn default() -> Self {
        Self {
            brands: BRANDS.iter().map(|b| (*b).to_owned()).collect(),
        }
    }
}

/// Only the first 256 KiB of a body are read: phishing shows itself early, and the scan
/// stays cheap on a hostile message.
pub const MAX_ASSESSED_BYTES: usize = 256 * 1024;

static DEFAULT_ASSESSOR: LazyLock<Assessor> = LazyLock::new(Assessor::default);

/// Assesses an inbound message for phishing and social-engineering red flags, with the
/// built-in brand list (see [`Assessor`] to add the contact center's own).
pub fn assess(message: &MessageInput<'_>) -> Assessment {
    DEFAULT_ASSESSOR.assess(message)
}

impl Assessor {
    /// Also protects `brand`: the registrable label of its domain (`northwindbank` for
    /// `northwindbank.com`), lower-cased. Look-alikes of it and links that name it on
    /// another domain are flagged.
    #[must_use]
    pub fn with_brand(mut self, brand: &str) -> Self {
        let brand = brand.trim().to_lowercase();
        if !brand.is_empty() && !self.brands.contains(&brand) {
            self.brands.push(brand);
        }
        self
    }

    /// Assesses an inbound message for phishing and social-engineering red flags.
    pub fn assess(&self, message: &MessageInput<'_>) -> Assessment {
        let brands: Vec<&str> = self.brands.iter().map(String::as_str).collect();
        let brands = brands.as_slice();
        let mut flags = Vec::new();
        let mut cut = message.body.len().min(MAX_ASSESSED_BYTES);
        while !message.body.is_char_boundary(cut) {
            cut -= 1;
        }
        let body = message.body.get(..cut).unwrap_or("");
        let body_text = if message.html {
            html_text(body)
        } else {
            body.to_owned()
        };
        let text = match message.subject {
            Some(s) => format!("{s}\n{body_text}"),
            None => body_text,
        };

        phrase_flags(&text, &mut flags);

        let mut urls = extract_urls(&text);
        if message.html {
            let links = html_links(body);
            for (href, label) in &links {
                if let Some(flag) = mismatched_link(href, label) {
                    push_once(&mut flags, flag);
                }
            }
            urls.extend(links.into_iter().map(|(href, _)| href));
        }
        for url in &urls {
            url_flags(url, brands, &mut flags);
        }

        formatting_flags(&text, &mut flags);
        sender_flags(message, brands, &mut flags);

        let total: u32 = flags.iter().map(|f| u32::from(f.weight)).sum();
        let score = u8::try_from(total.min(100)).unwrap_or(100);
        Assessment {
            score,
            level: Level::of(score),
            flags,
        }
    }
}

fn flag(code: &'static str, weight: u8, reason: String) -> Flag {
    Flag {
        code,
        reason,
        weight,
    }
}

/// Adds `flag` unless one with its code is already there: a signal counts once.
fn push_once(flags: &mut Vec<Flag>, flag: Flag) {
    if !flags.iter().any(|f| f.code == flag.code) {
        flags.push(flag);
    }
}

fn phrase_flags(text: &str, flags: &mut Vec<Flag>) {
    let Some(matcher) = PHRASE_MATCHER.as_ref() else {
        return;
    };
    // One space between words and straight apostrophes, so phrases match across line breaks.
    let mut norm = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !norm.is_empty() {
            norm.push(' ');
        }
        space = false;
        norm.push(if matches!(c, '\u{2018}' | '\u{2019}') {
            '\''
        } else {
            c
        });
    }
    let mut found: Vec<(Cue, &'static str)> = Vec::new();
    for m in matcher.find_iter(&norm) {
        let before = norm.get(..m.start()).and_then(|s| s.chars().next_back());
        let after = norm.get(m.end()..).and_then(|s| s.chars().next());
        if before.is_some_and(char::is_alphanumeric) || after.is_some_and(char::is_alphanumeric) {
            continue;
        }
        if let Some((phrase, cue)) = PHRASES.get(m.pattern().as_usize()) {
            found.push((*cue, phrase));
        }
    }
    let kinds: [(Cue, &'static str, u8, &str); 7] = [
        (
            Cue::Greeting,
            "generic_greeting",
            15,
            "greets with a generic salutation",
        ),
        (Cue::Urgency, "urgency", 15, "pressures with urgency"),
        (
            Cue::Threat,
            "threat",
            20,
            "threatens loss of the account or legal action",
        ),
        (
            Cue::Credentials,
            "credential_request",
            30,
            "asks for a password, a one-time code, a PIN or account verification",
        ),
        (
            Cue::Payment,
            "unusual_payment",
            25,
            "mentions gift cards, wire transfers or cryptocurrency",
        ),
        (
            Cue::LinkPrompt,
            "link_prompt",
            10,
            "urges the reader to click a link",
        ),
        // Customers mention codes that did not arrive: alone, a mild signal.
        (
            Cue::CodeMention,
            "code_mention",
            10,
            "mentions a one-time code",
        ),
    ];
    for (cue, code, weight, what) in kinds {
        let hits: Vec<&str> = found
            .iter()
            .filter(|(c, _)| *c == cue)
            .map(|(_, p)| *p)
            .collect();
        if let Some(first) = hits.first() {
            let reason = if hits.len() > 1 {
                format!("{what} (\"{first}\" and {} more)", hits.len() - 1)
            } else {
                format!("{what} (\"{first}\")")
            };
            flags.push(flag(code, weight, reason));
        }
    }
}

/// Text of an HTML body: tags dropped (with `<style>` and `<script>` contents), references
/// decoded.
fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let tail = rest.get(i..).unwrap_or("");
        let lower_head: String = tail
            .chars()
            .take(8)
            .collect::<String>()
            .to_ascii_lowercase();
        let skip_to = if lower_head.starts_with("<style") {
            find_ci(tail, "</style>")
        } else if lower_head.starts_with("<script") {
            find_ci(tail, "</script>")
        } else {
            None
        };
        let from = skip_to.unwrap_or(0);
        match tail.get(from..).and_then(|t| t.find('>')) {
            Some(j) => {
                out.push(' ');
                rest = tail.get(from + j + 1..).unwrap_or("");
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    decode_entities(&out)
}

fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack.char_indices().map(|(i, _)| i).find(|&i| {
        haystack
            .get(i..i + needle.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(needle))
    })
}

/// `(href, link text)` of every `<a href="…">…</a>`.
fn html_links(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = find_ci(rest, "<a") {
        let tail = rest.get(i + 2..).unwrap_or("");
        if !tail.starts_with(|c: char| c.is_whitespace()) {
            rest = tail;
            continue;
        }
        let Some(close) = tail.find('>') else { break };
        let attrs = tail.get(..close).unwrap_or("");
        let after = tail.get(close + 1..).unwrap_or("");
        let end = find_ci(after, "</a>").unwrap_or(after.len());
        if let Some(href) = attr_value(attrs, "href") {
            let label = html_text(after.get(..end).unwrap_or(""));
            out.push((decode_entities(href.trim()), label.trim().to_owned()));
        }
        rest = after.get(end..).unwrap_or("");
        if out.len() >= MAX_URLS {
            break;
        }
    }
    out
}

fn attr_value<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let at = find_ci(attrs, name)?;
    let rest = attrs.get(at + name.len()..)?.trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    if let Some(q) = rest.strip_prefix('"') {
        q.split('"').next()
    } else if let Some(q) = rest.strip_prefix('\'') {
        q.split('\'').next()
    } else {
        rest.split_whitespace().next()
    }
}

/// URLs written in the text: `http://…`, `https://…`, `www.…`.
fn extract_urls(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = ["http://", "https://", "www."]
        .iter()
        .filter_map(|p| lower.get(from..).and_then(|s| s.find(p)))
        .min()
    {
        let start = from + i;
        let boundary = text
            .get(..start)
            .and_then(|s| s.chars().next_back())
            .is_none_or(|c| !c.is_alphanumeric() && c != '/' && c != '.');
        let rest = text.get(start..).unwrap_or("");
        let len = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '(' | ')'))
            .unwrap_or(rest.len());
        let url = rest
            .get(..len)
            .unwrap_or("")
            .trim_end_matches(['.', ',', ';', ':', '!', '?']);
        if boundary && url.len() > 4 {
            out.push(url.to_owned());
        }
        from = start + len.max(1);
        if out.len() >= MAX_URLS {
            break;
        }
    }
    out
}

struct Host {
    name: String,
    userinfo: bool,
}

fn host_of(url: &str) -> Option<Host> {
    let rest = match url.find("://") {
        Some(i) => url.get(i + 3..)?,
        None => url,
    };
    let authority = rest.split(['/', '?', '#', '\\']).next()?;
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(at) => (true, authority.get(at + 1..)?),
        None => (false, authority),
    };
    let name = if hostport.starts_with('[') {
        hostport.split(']').next()?.to_owned() + "]"
    } else {
        hostport.split(':').next()?.to_owned()
    };
    let name = name.trim_end_matches('.').to_lowercase();
    (!name.is_empty()).then_some(Host { name, userinfo })
}

/// A host as it can appear in a reason: hosts with digit runs are not quoted, in case they
/// hold something of the customer's.
fn shown(host: &str) -> String {
    let mut run = 0;
    for c in host.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run >= 3 {
            return "a link".to_owned();
        }
    }
    let cut: String = host.chars().take(80).collect();
    format!("the link to {cut}")
}

fn is_ip_host(host: &str) -> bool {
    if host.starts_with('[') {
        return true;
    }
    let parts: Vec<&str> = host.split('.').collect();
    let numeric = |p: &str| {
        !p.is_empty()
            && (p.bytes().all(|b| b.is_ascii_digit())
                || p.strip_prefix("0x")
                    .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())))
    };
    (parts.len() == 4 || parts.len() == 1) && parts.iter().all(|p| numeric(p))
}

/// The labels of `host` and the index where its registrable domain starts.
fn registrable(host: &str) -> (Vec<&str>, usize) {
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    let n = labels.len();
    let two = n >= 3
        && labels
            .get(n - 2..)
            .is_some_and(|t| TWO_LEVEL_SUFFIXES.contains(&t.join(".").as_str()));
    let at = if two { n - 3 } else { n.saturating_sub(2) };
    (labels, at)
}

fn registrable_domain(host: &str) -> String {
    let (labels, at) = registrable(host);
    labels.get(at..).map(|l| l.join(".")).unwrap_or_default()
}

fn url_flags(url: &str, brands: &[&str], flags: &mut Vec<Flag>) {
    let Some(host) = host_of(url) else { return };
    let h = host.name.as_str();
    if host.userinfo {
        push_once(
            flags,
            flag(
                "userinfo_url",
                25,
                "a link hides its real destination behind user-info (a name and an at sign before the host)".into(),
            ),
        );
    }
    if is_ip_host(h) {
        push_once(
            flags,
            flag(
                "ip_address_url",
                25,
                "a link points to a bare IP address instead of a domain name".into(),
            ),
        );
        return;
    }
    if h.split('.').any(|l| l.starts_with("xn--")) || !h.is_ascii() {
        push_once(
            flags,
            flag(
                "punycode_url",
                20,
                format!(
                    "{} uses an internationalized (punycode) name that can imitate another",
                    shown(h)
                ),
            ),
        );
    }
    let (labels, at) = registrable(h);
    if at >= 3 {
        push_once(
            flags,
            flag(
                "many_subdomains",
                10,
                format!("{} has an unusually deep chain of subdomains", shown(h)),
            ),
        );
    }
    if SHORTENERS.contains(&registrable_domain(h).as_str()) || SHORTENERS.contains(&h) {
        push_once(
            flags,
            flag(
                "url_shortener",
                10,
                format!("{} is a URL shortener that hides the destination", shown(h)),
            ),
        );
    }
    let label = labels.get(at).copied().unwrap_or("");
    if let Some(brand) = lookalike(label, brands) {
        push_once(
            flags,
            flag(
                "lookalike_domain",
                30,
                format!("{} imitates the brand '{brand}'", shown(h)),
            ),
        );
    } else if !brands.contains(&label) {
        let in_sub = labels
            .get(..at)
            .unwrap_or(&[])
            .iter()
            .find_map(|l| brands.iter().find(|b| l.split('-').any(|p| p == **b)));
        let in_label = brands.iter().find(|b| b.len() >= 5 && label.contains(**b));
        if let Some(brand) = in_sub.or(in_label) {
            push_once(
                flags,
                flag(
                    "brand_in_unrelated_domain",
                    25,
                    format!(
                        "{} names the brand '{brand}' but is not its domain",
                        shown(h)
                    ),
                ),
            );
        }
    }
}

/// The brand a registrable label imitates: digit-for-letter swaps (`paypa1`), `rn` for `m`,
/// `vv` for `w`, or one edit away from a brand of five letters or more.
fn lookalike<'b>(label: &str, brands: &[&'b str]) -> Option<&'b str> {
    if label.is_empty() || brands.contains(&label) {
        return None;
    }
    let swapped = |one: char| -> String {
        label
            .chars()
            .filter(|c| *c != '-')
            .map(|c| match c {
                '0' => 'o',
                '1' => one,
                '3' => 'e',
                '4' => 'a',
                '5' => 's',
                '7' => 't',
                '8' => 'b',
                '@' => 'a',
                c => c,
            })
            .collect::<String>()
            .replace("rn", "m")
            .replace("vv", "w")
    };
    let variants = [swapped('l'), swapped('i')];
    for brand in brands {
        if variants.iter().any(|v| v == brand) {
            return Some(brand);
        }
        // One edit changes the length by at most one: skip the distance otherwise.
        if brand.len() >= 5
            && label.len().abs_diff(brand.len()) <= 1
            && edit_distance(label, brand) == 1
        {
            return Some(brand);
        }
        if brand.len() >= 5
            && label != variants[0]
            && variants.iter().any(|v| v.contains(brand))
            && !label.contains(brand)
        {
            return Some(brand);
        }
    }
    None
}

/// Levenshtein distance, for short labels (bounded work: labels are at most 63 bytes).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).collect();
    let b: Vec<char> = b.chars().take(64).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(c) = cur.get_mut(j + 1) {
                *c = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

/// `<a href="https://evil.test">https://bank.example</a>`: the text shows one site, the link
/// goes to another.
fn mismatched_link(href: &str, label: &str) -> Option<Flag> {
    let label = label.trim();
    let looks_like_url =
        !label.contains(char::is_whitespace)
            && (label.to_ascii_lowercase().starts_with("http")
                || label.to_ascii_lowercase().starts_with("www.")
                || label.rsplit('.').next().is_some_and(|tld| {
                    tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
                }) && label.contains('.'));
    if !looks_like_url {
        return None;
    }
    let shown_host = host_of(label)?;
    let real = host_of(href)?;
    let (a, b) = (
        registrable_domain(&shown_host.name),
        registrable_domain(&real.name),
    );
    (a != b).then(|| {
        flag(
            "mismatched_link",
            30,
            format!(
                "a link's text shows one site but it leads to {}",
                shown(&real.name).trim_start_matches("the link to ")
            ),
        )
    })
}

fn formatting_flags(text: &str, flags: &mut Vec<Flag>) {
    // ALL CAPS: four or more shouted words in a row.
    let mut run = 0;
    let mut longest = 0;
    for word in text.split_whitespace() {
        let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
        if letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase()) {
            run += 1;
            longest = longest.max(run);
        } else if !letters.is_empty() {
            run = 0;
        }
    }
    if longest >= 4 {
        flags.push(flag(
            "all_caps",
            10,
            format!("{longest} words in a row written in capitals"),
        ));
    }
    let bangs = text.matches('!').count();
    if text.contains("!!") || bangs >= 3 {
        flags.push(flag("exclamations", 5, "many exclamation marks".to_owned()));
    }
    let mixed = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| {
            let latin = w.chars().any(|c| c.is_ascii_alphabetic());
            let other = w
                .chars()
                .any(|c| matches!(c, '\u{0370}'..='\u{03FF}' | '\u{0400}'..='\u{04FF}'));
            latin && other
        })
        .count();
    if mixed > 0 {
        flags.push(flag(
            "mixed_scripts",
            25,
            format!("{mixed} word(s) mix Latin letters with Cyrillic or Greek look-alikes"),
        ));
    }
    if text.chars().any(|c| {
        matches!(
            c,
            '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
        )
    }) {
        flags.push(flag(
            "hidden_characters",
            15,
            "invisible characters hidden inside the text".to_owned(),
        ));
    }
}

fn domain_of(address: &str) -> Option<String> {
    let address = address.trim().trim_matches(['<', '>']);
    let (_, domain) = address.rsplit_once('@')?;
    let domain = domain.trim_end_matches('.').to_lowercase();
    (!domain.is_empty()).then_some(domain)
}

fn sender_flags(m: &MessageInput<'_>, brands: &[&str], flags: &mut Vec<Flag>) {
    let from = m
        .from_address
        .map(|a| a.trim().trim_matches(['<', '>']).to_lowercase());
    let from_domain = m.from_address.and_then(domain_of);

    if let (Some(from), Some(registered)) = (&from, m.registered_email) {
        let registered = registered.trim().to_lowercase();
        if *from != registered {
            let reg_domain = domain_of(&registered);
            match (&from_domain, &reg_domain) {
                (Some(f), Some(r)) if f == r => flags.push(flag(
                    "sender_not_registered",
                    10,
                    "the sender's address is not the customer's registered address (same domain)"
                        .to_owned(),
                )),
                (Some(f), Some(r)) if lookalike_of(f, r) => flags.push(flag(
                    "lookalike_sender_domain",
                    35,
                    "the sender's domain is a near copy of the registered address's domain"
                        .to_owned(),
                )),
                _ => flags.push(flag(
                    "sender_not_registered",
                    15,
                    "the sender's address is not the customer's registered address".to_owned(),
                )),
            }
        }
    }
    if let Some(domain) = &from_domain {
        let (labels, at) = registrable(domain);
        if let Some(brand) = labels.get(at).and_then(|l| lookalike(l, brands)) {
            push_once(
                flags,
                flag(
                    "lookalike_sender_domain",
                    30,
                    format!("the sender's domain imitates the brand '{brand}'"),
                ),
            );
        } else if labels.iter().any(|l| l.starts_with("xn--")) || !domain.is_ascii() {
            push_once(
                flags,
                flag(
                    "lookalike_sender_domain",
                    30,
                    "the sender's domain uses an internationalized (punycode) name that can \
                     imitate another"
                        .to_owned(),
                ),
            );
        }
    }
    let Some(name) = m.from_name else { return };
    let name_lower = name.to_lowercase();
    if let Some(shown_address) = name_lower
        .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')' | '"' | '\''))
        .find(|w| w.contains('@') && w.contains('.'))
        && from.as_deref().is_some_and(|f| f != shown_address)
    {
        flags.push(flag(
            "display_name_spoof",
            30,
            "the display name shows an email address other than the one it was sent from"
                .to_owned(),
        ));
        return;
    }
    let words: Vec<&str> = name_lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let joined: String = words.concat();
    let claimed = brands
        .iter()
        .find(|b| words.contains(b) || (b.len() >= 6 && joined.contains(**b)));
    let sender_label = from_domain
        .as_deref()
        .map(|d| {
            let (labels, at) = registrable(d);
            labels.get(at).map(|l| (*l).to_owned()).unwrap_or_default()
        })
        .unwrap_or_default();
    if let Some(brand) = claimed
        && from_domain.is_some()
        && sender_label != *brand
    {
        flags.push(flag(
            "display_name_brand",
            20,
            format!(
                "the display name claims to be '{brand}' but the address is not that brand's domain"
            ),
        ));
        return;
    }
    let official = [
        "support",
        "security",
        "billing",
        "helpdesk",
        "administrator",
        "service",
    ];
    let freemail = from_domain
        .as_deref()
        .is_some_and(|d| FREEMAIL.contains(&d));
    if freemail && words.iter().any(|w| official.contains(w)) {
        flags.push(flag(
            "display_name_brand",
            20,
            "the display name poses as a support or security team but the address is a free \
             mailbox"
                .to_owned(),
        ));
    }
}

/// `f` is a near copy of `r`: one or two edits apart, or equal after look-alike swaps.
fn lookalike_of(f: &str, r: &str) -> bool {
    if f == r || FREEMAIL.contains(&f) && FREEMAIL.contains(&r) {
        return false;
    }
    let norm = |s: &str| s.replace('0', "o").replace('1', "l").replace("rn", "m");
    edit_distance(f, r) <= 2 || norm(f) == norm(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookalikes() {
        assert_eq!(lookalike("paypa1", BRANDS), Some("paypal"));
        assert_eq!(lookalike("arnazon", BRANDS), Some("amazon"));
        assert_eq!(lookalike("micros0ft", BRANDS), Some("microsoft"));
        assert_eq!(lookalike("netflx", BRANDS), Some("netflix"));
        assert_eq!(lookalike("paypal", BRANDS), None);
        assert_eq!(lookalike("example", BRANDS), None);
        assert_eq!(lookalike("northwind", BRANDS), None);
    }

    #[test]
    fn hosts() {
        let h = host_of("https://user:pw@192.168.4.20:8080/x").map(|h| (h.name, h.userinfo));
        assert_eq!(h, Some(("192.168.4.20".to_owned(), true)));
        assert!(is_ip_host("10.0.0.1"));
        assert!(!is_ip_host("bank.example"));
        assert_eq!(registrable_domain("a.b.paypal.co.uk"), "paypal.co.uk");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn urls_in_text() {
        assert_eq!(
            extract_urls("see https://a.example/x, and www.b.example."),
            vec!["https://a.example/x".to_owned(), "www.b.example".to_owned()]
        );
    }
}
