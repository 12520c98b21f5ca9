//! Masking: what each audience sees of each field by default. Every rule is in
//! this one table-driven module, and the table test below is its specification.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Agents and supervisors serving the customer.
    Servicing,
    /// An integration (CCaaS, CRM).
    Integration,
    /// A security officer investigating.
    Investigation,
}

/// The masked form of `value` (already normalized) of `field` for `audience`.
pub fn mask(field: Field, value: &str, audience: Audience) -> String {
    let investigating = audience == Audience::Investigation;
    match field {
        Field::Name if investigating => initials(value),
        Field::Name => value.to_owned(),
        Field::Email => mask_email(value),
        Field::Phone => keep_last_digits(value, if investigating { 2 } else { 4 }),
        Field::DateOfBirth if investigating => "****-**-**".to_owned(),
        Field::DateOfBirth => format!("{}-**-**", value.get(..4).unwrap_or("****")),
        Field::Ssn if investigating => "***-**-****".to_owned(),
        Field::Ssn => format!("***-**-{}", last_chars(value, 4)),
        Field::Address => mask_address(value, investigating),
        Field::AccountNumber => format!("****{}", last_chars(value, 4)),
        Field::CardNumber => format!("****{}", last_chars(value, 4)),
        Field::CardExpiry => value.to_owned(),
    }
}

/// Whether `audience` sees a card's BIN (issuer digits).
pub fn shows_bin(audience: Audience) -> bool {
    audience == Audience::Integration
}

/// Whether `audience` sees a card's expiry.
pub fn shows_expiry(audience: Audience) -> bool {
    audience != Audience::Investigation
}

fn last_chars(value: &str, n: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    chars[chars.len().saturating_sub(n)..].iter().collect()
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .map(|c| format!("{}.", c.to_uppercase()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
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
    let parts: Vec<&str> = line
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() < 2 {
        return "***".to_owned();
    }
    let rest = &parts[1..];
    if city_only {
        return rest[0].to_owned();
    }
    rest.iter()
        .map(|part| {
            part.split_whitespace()
                .map(|word| {
                    if word.chars().any(|c| c.is_ascii_digit()) {
                        let n = word.chars().count();
                        let keep = n.div_ceil(2);
                        let head: String = word.chars().take(keep).collect();
                        format!("{head}{}", "*".repeat(n - keep))
                    } else {
                        word.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(", ")
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
            (Field::CardNumber, "4111111111111111", S, "****1111"),
        ];
        for (field, value, audience, want) in table {
            assert_eq!(
                mask(*field, value, *audience),
                *want,
                "{field:?} for {audience:?}"
            );
        }
        assert!(shows_bin(I) && !shows_bin(S) && !shows_bin(X));
        assert!(shows_expiry(S) && !shows_expiry(X));
    }

    #[test]
    fn masks_never_show_more_than_the_last_four_digits() {
        for value in ["+15551234567", "5551234567", "+44 20 7946 0958"] {
            let masked = mask(Field::Phone, value, S);
            assert_eq!(
                masked.chars().filter(char::is_ascii_digit).count(),
                4,
                "{masked}"
            );
        }
    }
}
