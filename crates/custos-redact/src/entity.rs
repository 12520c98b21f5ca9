//! The kinds of sensitive data Custos finds, named as in the CONTRACT (`CREDIT_CARD`, …).

use std::fmt;
use std::str::FromStr;

/// A kind of sensitive data. Serialized as its CONTRACT name (`"CREDIT_CARD"`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntityType {
    /// A payment card number (PAN).
    CreditCard,
    /// A card security code (CVV/CVC), found only near card context.
    CardCvv,
    /// A card expiry date, found only near card context.
    CardExpiry,
    /// A US Social Security number.
    UsSsn,
    /// A phone number (NANP or international).
    PhoneNumber,
    /// An email address, written or spoken.
    EmailAddress,
    /// A person's name.
    Person,
    /// An international bank account number (mod-97 checked).
    IbanCode,
    /// A US bank account number or ABA routing number, found near bank context.
    UsBankAccount,
    /// A date of birth: a date near birth context, not every date.
    DateOfBirth,
    /// A street address.
    StreetAddress,
    /// An IPv4 or IPv6 address.
    IpAddress,
}

/// A name that is not an entity type.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown entity type")]
pub struct UnknownEntityType;

impl EntityType {
    /// Every type, in a fixed order.
    pub const ALL: [EntityType; 12] = [
        Self::CreditCard,
        Self::CardCvv,
        Self::CardExpiry,
        Self::UsSsn,
        Self::PhoneNumber,
        Self::EmailAddress,
        Self::Person,
        Self::IbanCode,
        Self::UsBankAccount,
        Self::DateOfBirth,
        Self::StreetAddress,
        Self::IpAddress,
    ];

    /// The CONTRACT name: `CREDIT_CARD`, `US_SSN`, ….
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CreditCard => "CREDIT_CARD",
            Self::CardCvv => "CARD_CVV",
            Self::CardExpiry => "CARD_EXPIRY",
            Self::UsSsn => "US_SSN",
            Self::PhoneNumber => "PHONE_NUMBER",
            Self::EmailAddress => "EMAIL_ADDRESS",
            Self::Person => "PERSON",
            Self::IbanCode => "IBAN_CODE",
            Self::UsBankAccount => "US_BANK_ACCOUNT",
            Self::DateOfBirth => "DATE_OF_BIRTH",
            Self::StreetAddress => "STREET_ADDRESS",
            Self::IpAddress => "IP_ADDRESS",
        }
    }

    /// Card data in the PCI DSS sense (PAN, CVV, expiry).
    pub const fn is_card_data(self) -> bool {
        matches!(self, Self::CreditCard | Self::CardCvv | Self::CardExpiry)
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntityType {
    type Err = UnknownEntityType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or(UnknownEntityType)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in EntityType::ALL {
            assert_eq!(e.as_str().parse::<EntityType>(), Ok(e));
            assert_eq!(
                e.index(),
                EntityType::ALL.iter().position(|x| *x == e).unwrap_or(99)
            );
        }
    }
}
