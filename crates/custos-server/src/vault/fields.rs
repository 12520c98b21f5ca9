//! The customer fields of CONTRACT.md as domain types: each value is checked and
//! normalized when it enters, so everything past the door holds valid data
//! (parse, don't validate). Error messages name the field, never its value.

use custos_redact::checks;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// A field of a customer record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Full name.
    Name,
    /// Email address.
    Email,
    /// Phone number.
    Phone,
    /// Date of birth.
    DateOfBirth,
    /// US Social Security number.
    Ssn,
    /// Postal address.
    Address,
    /// Bank or loyalty account number.
    AccountNumber,
    /// A card's number (tokenized; never revealed to people).
    CardNumber,
    /// A card's expiry.
    CardExpiry,
}

impl Field {
    /// The field's name in the API, the store and the audit trail.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::DateOfBirth => "date_of_birth",
            Self::Ssn => "ssn",
            Self::Address => "address",
            Self::AccountNumber => "account_number",
            Self::CardNumber => "card_number",
            Self::CardExpiry => "card_expiry",
        }
    }

    /// Every field, the sealed ones first, then the card's.
    pub const ALL: [Self; 9] = [
        Self::Name,
        Self::Email,
        Self::Phone,
        Self::DateOfBirth,
        Self::Ssn,
        Self::Address,
        Self::AccountNumber,
        Self::CardNumber,
        Self::CardExpiry,
    ];

    /// The field named `name` in the API.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// Fields people can search by, through their blind index.
    pub fn is_searchable(self) -> bool {
        matches!(self, Self::Email | Self::Phone | Self::AccountNumber)
    }
}

/// Why a value was refused; names the field only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct FieldError {
    /// The field, as the API names it.
    pub field: &'static str,
    /// What is wrong, in plain words.
    pub problem: &'static str,
}

fn refuse(field: &'static str, problem: &'static str) -> FieldError {
    FieldError { field, problem }
}

/// A checked, normalized field value ready to seal. Zeroed when dropped; its
/// `Debug` output names the field only.
#[derive(Clone, PartialEq, Eq)]
pub struct FieldValue {
    /// Which field.
    pub field: Field,
    /// The value as revealed (normalized for phone, email, SSN and dates).
    pub value: Zeroizing<String>,
}

impl std::fmt::Debug for FieldValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FieldValue({}: ..)", self.field.as_str())
    }
}

/// Checks `raw` as a value of `field` and normalizes it.
pub fn parse_value(field: Field, raw: &str) -> Result<FieldValue, FieldError> {
    let raw = raw.trim();
    let name = field.as_str();
    if raw.is_empty() {
        return Err(refuse(name, "is empty"));
    }
    if raw.chars().any(char::is_control) {
        return Err(refuse(name, "contains control characters"));
    }
    let value = match field {
        Field::Name => {
            if raw.chars().count() > 200 {
                return Err(refuse(name, "is longer than 200 characters"));
            }
            raw.to_owned()
        }
        Field::Email => parse_email(raw).ok_or(refuse(name, "is not an email address"))?,
        Field::Phone => parse_phone(raw).ok_or(refuse(
            name,
            "is not a phone number (7 to 15 digits, optionally with + and separators)",
        ))?,
        Field::DateOfBirth => {
            parse_date(raw).ok_or(refuse(name, "is not a date written YYYY-MM-DD"))?
        }
        Field::Ssn => {
            parse_ssn(raw).ok_or(refuse(name, "is not a valid US Social Security number"))?
        }
        Field::Address => {
            if raw.chars().count() > 500 {
                return Err(refuse(name, "is longer than 500 characters"));
            }
            raw.to_owned()
        }
        Field::AccountNumber => parse_account_number(raw).ok_or(refuse(
            name,
            "is not an account number (4 to 34 letters and digits)",
        ))?,
        Field::CardNumber => parse_card_number(raw)
            .ok_or(refuse("card.number", "is not a valid card number"))?
            .digits
            .to_string(),
        Field::CardExpiry => {
            parse_expiry(raw).ok_or(refuse("card.expiry", "is not a date written MM/YY"))?
        }
    };
    Ok(FieldValue {
        field,
        value: Zeroizing::new(value),
    })
}

fn parse_email(raw: &str) -> Option<String> {
    let (local, domain) = raw.rsplit_once('@')?;
    let ok = !local.is_empty()
        && local.len() <= 64
        && domain.len() <= 253
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !raw.chars().any(char::is_whitespace)
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    ok.then(|| format!("{local}@{}", domain.to_lowercase()))
}

/// Digits with an optional leading `+`; separators (space, dash, dot, parentheses) dropped.
fn parse_phone(raw: &str) -> Option<String> {
    let plus = raw.starts_with('+');
    let mut digits = String::new();
    for c in raw.chars().skip(usize::from(plus)) {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    (7..=15)
        .contains(&digits.len())
        .then(|| if plus { format!("+{digits}") } else { digits })
}

/// `YYYY-MM-DD`, a real calendar date from 1900 to 2099.
fn parse_date(raw: &str) -> Option<String> {
    let mut parts = raw.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    let month = time::Month::try_from(month.parse::<u8>().ok()?).ok()?;
    let date = time::Date::from_calendar_date(year, month, day.parse().ok()?).ok()?;
    (1900..2100).contains(&date.year()).then(|| raw.to_owned())
}

/// `AAA-GG-SSSS` with a valid area (not 000, 666 or 9xx), group (not 00) and serial
/// (not 0000): the redactor's rules.
fn parse_ssn(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !checks::is_valid_ssn(digits.as_bytes()) {
        return None;
    }
    Some(format!(
        "{}-{}-{}",
        &digits[..3],
        &digits[3..5],
        &digits[5..]
    ))
}

fn parse_account_number(raw: &str) -> Option<String> {
    let compact: String = raw
        .chars()
        .filter(|c| *c != ' ' && *c != '-')
        .collect::<String>()
        .to_ascii_uppercase();
    ((4..=34).contains(&compact.len()) && compact.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then_some(compact)
}

/// A card number that passed Luhn and an issuer range. Zeroed when dropped; its
/// `Debug` output shows the brand and last four only.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber {
    /// The digits.
    pub digits: Zeroizing<String>,
    /// The brand.
    pub brand: &'static str,
}

impl std::fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CardNumber({} ****{})", self.brand, self.last4())
    }
}

impl CardNumber {
    /// The first six digits (the issuer), which PCI DSS allows to keep in clear.
    pub fn bin(&self) -> &str {
        &self.digits[..6]
    }

    /// The last four digits.
    pub fn last4(&self) -> &str {
        &self.digits[self.digits.len() - 4..]
    }
}

/// 13 to 19 digits (spaces and dashes allowed), Luhn-valid, in a known issuer range
/// (the redactor's list, Maestro included).
pub fn parse_card_number(raw: &str) -> Option<CardNumber> {
    let digits: String = raw.chars().filter(|c| *c != ' ' && *c != '-').collect();
    if !(13..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !checks::luhn(digits.as_bytes()) {
        return None;
    }
    let brand = checks::card_issuer(digits.as_bytes())?;
    Some(CardNumber {
        digits: Zeroizing::new(digits),
        brand,
    })
}

/// `MM/YY` or `MM/YYYY` → `MM/YY`.
fn parse_expiry(raw: &str) -> Option<String> {
    let (month, year) = raw.split_once('/')?;
    let month: u8 = month.trim().parse().ok()?;
    let year = year.trim();
    let year = match year.len() {
        2 => year,
        4 if year.starts_with("20") => &year[2..],
        _ => return None,
    };
    if !(1..=12).contains(&month) || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("{month:02}/{year}"))
}

/// The normalized form a blind index is computed over; equal for values people
/// consider equal (case of an email, separators and a NANP `+1` of a phone).
pub fn search_form(field: Field, value: &str) -> Option<String> {
    match field {
        Field::Email => parse_email(value).map(|e| e.to_lowercase()),
        Field::Phone => parse_phone(value).map(|p| {
            let digits = p.trim_start_matches('+');
            if digits.len() == 10 {
                format!("1{digits}")
            } else {
                digits.to_owned()
            }
        }),
        Field::AccountNumber => parse_account_number(value),
        _ => None,
    }
}

/// A postal address, as given: one line of text or its parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum AddressInput {
    /// `"12 Main St, Springfield, IL 62704"`.
    Line(String),
    /// The parts.
    Parts {
        /// Street and number.
        street: Option<String>,
        /// City.
        city: Option<String>,
        /// Postcode or ZIP code.
        postcode: Option<String>,
        /// State or region.
        region: Option<String>,
        /// Country.
        country: Option<String>,
    },
}

impl AddressInput {
    /// The address as one line, as stored and revealed.
    pub fn to_line(&self) -> String {
        match self {
            Self::Line(line) => line.clone(),
            Self::Parts {
                street,
                city,
                postcode,
                region,
                country,
            } => {
                let region_postcode = [region.as_deref(), postcode.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                [
                    street.clone(),
                    city.clone(),
                    (!region_postcode.is_empty()).then_some(region_postcode),
                    country.clone(),
                ]
                .into_iter()
                .flatten()
                .filter(|p| !p.trim().is_empty())
                .collect::<Vec<_>>()
                .join(", ")
            }
        }
    }
}

/// The postcode of a stored address line (`street, city, region postcode`): the
/// words holding a digit in the last part after the street, joined (`SW1A 1AA`
/// gives `SW1A1AA`). `None` when there is none.
pub fn postcode(line: &str) -> Option<String> {
    let parts: Vec<&str> = line.split(',').map(str::trim).collect();
    let last = parts.get(1..)?.iter().rev().find(|p| !p.is_empty())?;
    let code: String = last
        .split_whitespace()
        .filter(|w| w.chars().any(|c| c.is_ascii_digit()))
        .collect();
    (!code.is_empty()).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_and_normalized() {
        let ok = |f, raw: &str| parse_value(f, raw).map(|v| v.value.to_string());
        assert_eq!(
            ok(Field::Email, " Jane@Example.COM ").unwrap(),
            "Jane@example.com"
        );
        assert!(ok(Field::Email, "jane@localhost").is_err());
        assert!(ok(Field::Email, "ja ne@example.com").is_err());
        assert_eq!(
            ok(Field::Phone, "+1 (555) 123-4567").unwrap(),
            "+15551234567"
        );
        assert!(ok(Field::Phone, "call me").is_err());
        assert_eq!(ok(Field::Ssn, "123 45 6789").unwrap(), "123-45-6789");
        for bad in [
            "000-12-3456",
            "666-12-3456",
            "912-12-3456",
            "123-00-4567",
            "123-45-0000",
        ] {
            assert!(ok(Field::Ssn, bad).is_err(), "{bad}");
        }
        assert_eq!(ok(Field::DateOfBirth, "1984-03-09").unwrap(), "1984-03-09");
        assert!(ok(Field::DateOfBirth, "1984-13-09").is_err());
        assert!(ok(Field::DateOfBirth, "2999-01-01").is_err());
        assert_eq!(ok(Field::AccountNumber, "gb29 nwbk").unwrap(), "GB29NWBK");
        assert_eq!(ok(Field::CardExpiry, "7/2031").unwrap(), "07/31");
        assert!(ok(Field::CardExpiry, "13/31").is_err());
        let err = parse_value(Field::Ssn, "000-00-0000").unwrap_err();
        assert!(!err.to_string().contains("000"), "{err}");
    }

    #[test]
    fn cards_need_luhn_and_an_issuer_range() {
        for (number, brand) in [
            ("4111 1111 1111 1111", "visa"),
            ("5555-5555-5555-4444", "mastercard"),
            ("2223000048400011", "mastercard"),
            ("378282246310005", "amex"),
            ("6011111111111117", "discover"),
            ("3530111333300000", "jcb"),
            ("36227206271667", "diners"),
            ("6200000000000005", "unionpay"),
        ] {
            let card = parse_card_number(number).unwrap_or_else(|| panic!("{number}"));
            assert_eq!(card.brand, brand, "{number}");
        }
        let visa = parse_card_number("4111111111111111").unwrap();
        assert_eq!((visa.bin(), visa.last4()), ("411111", "1111"));
        assert_eq!(format!("{visa:?}"), "CardNumber(visa ****1111)");
        let ssn = parse_value(Field::Ssn, "123-45-6789").unwrap();
        assert_eq!(format!("{ssn:?}"), "FieldValue(ssn: ..)");
        assert!(parse_card_number("4111111111111112").is_none(), "Luhn");
        assert!(parse_card_number("1234567812345670").is_none(), "no issuer");
        assert!(parse_card_number("4111").is_none());
    }

    #[test]
    fn search_forms_match_what_people_consider_equal() {
        assert_eq!(
            search_form(Field::Phone, "(555) 123-4567"),
            search_form(Field::Phone, "+1 555 123 4567")
        );
        assert_eq!(
            search_form(Field::Email, "JANE@example.com"),
            search_form(Field::Email, "jane@EXAMPLE.com")
        );
        assert_eq!(
            search_form(Field::Ssn, "123-45-6789"),
            None,
            "not searchable"
        );
    }

    #[test]
    fn addresses_become_one_line() {
        let parts = AddressInput::Parts {
            street: Some("12 Main St".into()),
            city: Some("Springfield".into()),
            postcode: Some("62704".into()),
            region: Some("IL".into()),
            country: None,
        };
        assert_eq!(parts.to_line(), "12 Main St, Springfield, IL 62704");
    }
}
