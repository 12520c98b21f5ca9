//! Masking: what each audience sees of each field before a reveal. Every rule is
//! in this one table-driven module, and the table test below is its specification.
//!
//! Each field has a short list of [`MaskStyle`]s, from the most shown to the most
//! hidden; a [`MaskingPolicy`] picks one per field and audience. Administrators
//! may change the policy at run time (the settings page, `PATCH /api/v1/settings`),
//! but only to a style in the field's list, so no setting can show more than these
//! ceilings. The defaults:
//!
//! | field          | servicing (agent, supervisor) | integration        | investigation (security officer) |
//! |----------------|-------------------------------|--------------------|----------------------------------|
//! | name           | as is                         | as is              | initials                         |
//! | email          | `j***@example.com`            | `j***@example.com` | `j***@example.com`               |
//! | phone          | last 4 digits                 | last 4 digits      | last 2 digits                    |
//! | date of birth  | year                          | year               | hidden                           |
//! | SSN            | `***-**-1234`                 | `***-**-1234`      | `***-**-****`                    |
//! | address        | city and postcode area        | same               | city                             |
//! | account number | last 4                        | last 4             | last 4                           |
//! | card           | brand, last 4, expiry         | brand, BIN, last 4, expiry | brand, last 4             |
//!
//! A card never shows more than its BIN and last four (PCI DSS 3.4.1).

use super::fields::Field;

/// Who is looking, as far as masking is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Audience {
    /// Agents and supervisors serving the customer.
    Servicing,
    /// An integration (CCaaS, CRM).
    Integration,
    /// A security officer investigating.
    Investigation,
}

impl Audience {
    /// Every audience, in the order of the settings page's columns.
    pub const ALL: [Self; 3] = [Self::Servicing, Self::Integration, Self::Investigation];

    /// The audience's name in settings (`masking.<field>.<audience>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Servicing => "servicing",
            Self::Integration => "integration",
            Self::Investigation => "investigation",
        }
    }

    /// Who the audience is, in plain words.
    pub fn label(self) -> &'static str {
        match self {
            Self::Servicing => "Agents and supervisors",
            Self::Integration => "Integrations",
            Self::Investigation => "Security officers",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Servicing => 0,
            Self::Integration => 1,
            Self::Investigation => 2,
        }
    }
}

/// How much of a value an audience sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskStyle {
    /// The value as is (names, a card's expiry).
    Full,
    /// A name's initials.
    Initials,
    /// An email's first letter and domain: `j***@example.com`.
    FirstLetterAndDomain,
    /// An email's domain only: `***@example.com`.
    DomainOnly,
    /// The last four digits or characters.
    LastFour,
    /// The last two digits.
    LastTwo,
    /// A date's year.
    Year,
    /// An address's city and the first half of its postcode.
    CityAndPostcodeArea,
    /// An address's city.
    City,
    /// A card's BIN (issuer digits) besides its last four.
    BinAndLastFour,
    /// Nothing.
    Hidden,
}

impl MaskStyle {
    /// The style's name in settings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Initials => "initials",
            Self::FirstLetterAndDomain => "first_letter_and_domain",
            Self::DomainOnly => "domain_only",
            Self::LastFour => "last_four",
            Self::LastTwo => "last_two",
            Self::Year => "year",
            Self::CityAndPostcodeArea => "city_and_postcode_area",
            Self::City => "city",
            Self::BinAndLastFour => "bin_and_last_four",
            Self::Hidden => "hidden",
        }
    }

    /// The style in plain words.
    pub fn label(self) -> &'static str {
        match self {
            Self::Full => "shown in full",
            Self::Initials => "initials",
            Self::FirstLetterAndDomain => "first letter and domain",
            Self::DomainOnly => "domain only",
            Self::LastFour => "last four",
            Self::LastTwo => "last two",
            Self::Year => "year only",
            Self::CityAndPostcodeArea => "city and postcode area",
            Self::City => "city only",
            Self::BinAndLastFour => "BIN and last four",
            Self::Hidden => "hidden",
        }
    }

    /// The styles `field` may have, from the most shown to the most hidden: the
    /// first is the ceiling no setting can pass.
    pub fn choices(field: Field) -> &'static [Self] {
        use MaskStyle::*;
        match field {
            Field::Name => &[Full, Initials, Hidden],
            Field::Email => &[FirstLetterAndDomain, DomainOnly, Hidden],
            Field::Phone => &[LastFour, LastTwo, Hidden],
            Field::DateOfBirth => &[Year, Hidden],
            Field::Ssn => &[LastFour, Hidden],
            Field::Address => &[CityAndPostcodeArea, City, Hidden],
            Field::AccountNumber => &[LastFour, LastTwo, Hidden],
            // The last four identify the card to the customer; never hidden.
            Field::CardNumber => &[BinAndLastFour, LastFour],
            Field::CardExpiry => &[Full, Hidden],
        }
    }

    /// The style of `field` named `name`, if the field may have it.
    pub fn parse(field: Field, name: &str) -> Option<Self> {
        Self::choices(field)
            .iter()
            .copied()
            .find(|s| s.as_str() == name)
    }
}

/// The style of each field for each audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskingPolicy {
    styles: [[MaskStyle; 3]; Field::ALL.len()],
}

impl Default for MaskingPolicy {
    fn default() -> Self {
        use MaskStyle::*;
        Self {
            styles: [
                [Full, Full, Initials],
                [
                    FirstLetterAndDomain,
                    FirstLetterAndDomain,
                    FirstLetterAndDomain,
                ],
                [LastFour, LastFour, LastTwo],
                [Year, Year, Hidden],
                [LastFour, LastFour, Hidden],
                [CityAndPostcodeArea, CityAndPostcodeArea, City],
                [LastFour, LastFour, LastFour],
                [LastFour, BinAndLastFour, LastFour],
                [Full, Full, Hidden],
            ],
        }
    }
}

fn field_index(field: Field) -> usize {
    Field::ALL.iter().position(|f| *f == field).unwrap_or(0)
}

impl MaskingPolicy {
    /// The style of `field` for `audience`.
    pub fn style(&self, field: Field, audience: Audience) -> MaskStyle {
        self.styles[field_index(field)][audience.index()]
    }

    /// Sets the style of `field` for `audience`; `false` (and no change) if the
    /// field may not have that style.
    pub fn set(&mut self, field: Field, audience: Audience, style: MaskStyle) -> bool {
        if !MaskStyle::choices(field).contains(&style) {
            return false;
        }
        self.styles[field_index(field)][audience.index()] = style;
        true
    }

    /// The masked form of `value` (already normalized) of `field` for `audience`.
    pub fn mask(&self, field: Field, value: &str, audience: Audience) -> String {
        mask_as(field, value, self.style(field, audience))
    }

    /// Whether `audience` sees a card's BIN (issuer digits).
    pub fn shows_bin(&self, audience: Audience) -> bool {
        self.style(Field::CardNumber, audience) == MaskStyle::BinAndLastFour
    }

    /// Whether `audience` sees a card's expiry.
    pub fn shows_expiry(&self, audience: Audience) -> bool {
        self.style(Field::CardExpiry, audience) == MaskStyle::Full
    }
}

/// `value` of `field` in `style` (a style the field may have; others hide it).
fn mask_as(field: Field, value: &str, style: MaskStyle) -> String {
    use MaskStyle::*;
    match (field, style) {
        (Field::Name | Field::CardExpiry, Full) => value.to_owned(),
        (Field::Name, Initials) => initials(value),
        (Field::Email, FirstLetterAndDomain) => mask_email(value, 1),
        (Field::Email, DomainOnly) => mask_email(value, 0),
        (Field::Phone, LastFour) => keep_last_digits(value, 4),
        (Field::Phone, LastTwo) => keep_last_digits(value, 2),
        (Field::DateOfBirth, Year) => format!("{}-**-**", value.get(..4).unwrap_or("****")),
        (Field::Ssn, LastFour) => format!("***-**-{}", last_chars(value, 4)),
        (Field::Ssn, _) => "***-**-****".to_owned(),
        (Field::DateOfBirth, _) => "****-**-**".to_owned(),
        (Field::Address, CityAndPostcodeArea) => mask_address(value, false),
        (Field::Address, City) => mask_address(value, true),
        (Field::CardNumber, BinAndLastFour) => format!(
            "{}******{}",
            value.get(..6).unwrap_or("******"),
            last_chars(value, 4)
        ),
        (Field::AccountNumber | Field::CardNumber, LastFour) => {
            format!("****{}", last_chars(value, 4))
        }
        (Field::AccountNumber, LastTwo) => format!("****{}", last_chars(value, 2)),
        _ => "***".to_owned(),
    }
}

/// The last `n` characters of `value` (all of it if shorter).
fn last_chars(value: &str, n: usize) -> &str {
    if n == 0 {
        return "";
    }
    let start = value.char_indices().rev().nth(n - 1).map_or(0, |(i, _)| i);
    &value[start..]
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .map(|c| format!("{}.", c.to_uppercase()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The local part reduced to its first `keep` letters and `***`; the domain stays.
fn mask_email(email: &str, keep: usize) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(keep).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// Every digit but the last `keep` becomes `*`; separators stay.
fn keep_last_digits(value: &str, keep: usize) -> String {
    let total = value.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen + keep > total { c } else { '*' }
            } else {
                c
            }
        })
        .collect()
}

/// City and postcode area: the street (first part) is dropped, a postcode keeps
/// its first half. An address of one part shows nothing.
fn mask_address(line: &str, city_only: bool) -> String {
    let mut parts = line.split(',').map(str::trim).filter(|p| !p.is_empty());
    // The first part is the street: never shown.
    let (Some(_street), Some(city)) = (parts.next(), parts.next()) else {
        return "***".to_owned();
    };
    if city_only {
        return city.to_owned();
    }
    let mut masked = String::with_capacity(line.len());
    for (index, part) in std::iter::once(city).chain(parts).enumerate() {
        if index > 0 {
            masked.push_str(", ");
        }
        for (position, word) in part.split_whitespace().enumerate() {
            if position > 0 {
                masked.push(' ');
            }
            if word.chars().any(|c| c.is_ascii_digit()) {
                // A postcode keeps its area: the first half.
                let n = word.chars().count();
                let keep = n.div_ceil(2);
                masked.extend(word.chars().take(keep));
                masked.extend(std::iter::repeat_n('*', n - keep));
            } else {
                masked.push_str(word);
            }
        }
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::Audience::{Integration as I, Investigation as X, Servicing as S};
    use super::*;

    #[test]
    fn the_masking_table() {
        let table: &[(Field, &str, Audience, &str)] = &[
            (Field::Name, "Jane Q Doe", S, "Jane Q Doe"),
            (Field::Name, "Jane Q Doe", I, "Jane Q Doe"),
            (Field::Name, "jane doe", X, "J. D."),
            (Field::Email, "jane.doe@example.com", S, "j***@example.com"),
            (Field::Email, "jane.doe@example.com", X, "j***@example.com"),
            (Field::Phone, "+15551234567", S, "+*******4567"),
            (Field::Phone, "+15551234567", I, "+*******4567"),
            (Field::Phone, "+15551234567", X, "+*********67"),
            (Field::DateOfBirth, "1984-03-09", S, "1984-**-**"),
            (Field::DateOfBirth, "1984-03-09", X, "****-**-**"),
            (Field::Ssn, "123-45-6789", S, "***-**-6789"),
            (Field::Ssn, "123-45-6789", I, "***-**-6789"),
            (Field::Ssn, "123-45-6789", X, "***-**-****"),
            (
                Field::Address,
                "12 Main St, Springfield, IL 62704",
                S,
                "Springfield, IL 627**",
            ),
            (
                Field::Address,
                "12 Main St, Springfield, IL 62704",
                X,
                "Springfield",
            ),
            (
                Field::Address,
                "10 Downing Street, London, SW1A 2AA",
                S,
                "London, SW** 2A*",
            ),
            (Field::Address, "somewhere", S, "***"),
            (
                Field::AccountNumber,
                "GB29NWBK60161331926819",
                S,
                "****6819",
            ),
            (Field::AccountNumber, "12", S, "****12"),
            (Field::CardNumber, "4111111111111111", S, "****1111"),
        ];
        let policy = MaskingPolicy::default();
        for (field, value, audience, want) in table {
            assert_eq!(
                policy.mask(*field, value, *audience),
                *want,
                "{field:?} for {audience:?}"
            );
        }
        assert!(policy.shows_bin(I) && !policy.shows_bin(S) && !policy.shows_bin(X));
        assert!(policy.shows_expiry(S) && !policy.shows_expiry(X));
    }

    #[test]
    fn the_other_styles() {
        use MaskStyle::*;
        let table: &[(Field, &str, MaskStyle, &str)] = &[
            (Field::Name, "Jane Q Doe", Hidden, "***"),
            (
                Field::Email,
                "jane.doe@example.com",
                DomainOnly,
                "***@example.com",
            ),
            (Field::Email, "jane.doe@example.com", Hidden, "***"),
            (Field::Phone, "+15551234567", Hidden, "***"),
            (
                Field::Address,
                "12 Main St, Springfield, IL 62704",
                Hidden,
                "***",
            ),
            (Field::AccountNumber, "000123456789", LastTwo, "****89"),
            (Field::AccountNumber, "000123456789", Hidden, "***"),
            (Field::CardExpiry, "09/29", Hidden, "***"),
        ];
        for (field, value, style, want) in table {
            let mut policy = MaskingPolicy::default();
            assert!(policy.set(*field, S, *style), "{field:?} may be {style:?}");
            assert_eq!(
                policy.mask(*field, value, S),
                *want,
                "{field:?} as {style:?}"
            );
            assert_eq!(MaskStyle::parse(*field, style.as_str()), Some(*style));
        }
    }

    #[test]
    fn no_style_passes_a_fields_ceiling() {
        let mut policy = MaskingPolicy::default();
        // A card shows at most its BIN and last four (PCI DSS 3.4.1), always its last four.
        assert_eq!(
            MaskStyle::choices(Field::CardNumber),
            [MaskStyle::BinAndLastFour, MaskStyle::LastFour]
        );
        // Outside a field's list: refused, nothing changes.
        assert!(!policy.set(Field::Ssn, S, MaskStyle::Full));
        assert!(!policy.set(Field::CardNumber, S, MaskStyle::Full));
        assert!(!policy.set(Field::DateOfBirth, S, MaskStyle::Full));
        assert_eq!(policy, MaskingPolicy::default());
        assert_eq!(MaskStyle::parse(Field::Ssn, "full"), None);
        // Every allowed style of every field keeps within PCI DSS 3.4.1 for cards
        // (at most the BIN and the last four) and never shows more than four
        // digits of any other number.
        assert_eq!(
            mask_as(
                Field::CardNumber,
                "4111111111111111",
                MaskStyle::BinAndLastFour
            ),
            "411111******1111"
        );
        let numbers = [
            Field::Phone,
            Field::Ssn,
            Field::AccountNumber,
            Field::CardNumber,
        ];
        for field in Field::ALL {
            if numbers.contains(&field) {
                for style in MaskStyle::choices(field) {
                    if (field, *style) == (Field::CardNumber, MaskStyle::BinAndLastFour) {
                        continue;
                    }
                    let shown = mask_as(field, "4111111111111111", *style);
                    assert!(
                        shown.chars().filter(char::is_ascii_digit).count() <= 4,
                        "{field:?} {style:?}: {shown}"
                    );
                }
            }
            // The default is one of the field's choices.
            for audience in Audience::ALL {
                assert!(
                    MaskStyle::choices(field)
                        .contains(&MaskingPolicy::default().style(field, audience))
                );
            }
        }
    }

    #[test]
    fn masks_never_show_more_than_the_last_four_digits() {
        for value in ["+15551234567", "5551234567", "+44 20 7946 0958"] {
            let masked = MaskingPolicy::default().mask(Field::Phone, value, S);
            assert_eq!(
                masked.chars().filter(char::is_ascii_digit).count(),
                4,
                "{masked}"
            );
        }
    }
}
