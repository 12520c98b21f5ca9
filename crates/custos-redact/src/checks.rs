//! Checksums and validity rules: Luhn, card issuer ranges, ABA routing checksum, SSN
//! area/group/serial rules, IBAN mod-97 with per-country lengths. Luhn, the issuer
//! ranges and the SSN rules are public: the vault validates the values it stores with
//! the same rules the redactor finds them by.

/// Luhn checksum over ASCII digits.
pub fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d.wrapping_sub(b'0'));
        if v > 9 {
            return false;
        }
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

fn prefix_num(digits: &[u8], n: usize) -> u32 {
    digits.iter().take(n).fold(0u32, |acc, d| {
        acc * 10 + u32::from(d.wrapping_sub(b'0') % 10)
    })
}

/// Does `digits` have the prefix and length of a card brand we know (Visa, Mastercard incl.
/// 2221-2720, Amex, Discover, JCB, Diners, UnionPay, Maestro)?
pub fn card_issuer(digits: &[u8]) -> Option<&'static str> {
    let len = digits.len();
    let p1 = prefix_num(digits, 1);
    let p2 = prefix_num(digits, 2);
    let p3 = prefix_num(digits, 3);
    let p4 = prefix_num(digits, 4);
    let p6 = prefix_num(digits, 6);
    if p1 == 4 && matches!(len, 13 | 16 | 19) {
        return Some("visa");
    }
    if len == 16 && ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) {
        return Some("mastercard");
    }
    if matches!(p2, 34 | 37) && len == 15 {
        return Some("amex");
    }
    if (p4 == 6011 || p2 == 65 || (644..=649).contains(&p3) || (622_126..=622_925).contains(&p6))
        && (16..=19).contains(&len)
    {
        return Some("discover");
    }
    if (3528..=3589).contains(&p4) && (16..=19).contains(&len) {
        return Some("jcb");
    }
    if ((300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39 || p4 == 3095)
        && (14..=19).contains(&len)
    {
        return Some("diners");
    }
    if p2 == 62 && (16..=19).contains(&len) {
        return Some("unionpay");
    }
    if matches!(
        p4,
        5018 | 5020 | 5038 | 5893 | 6304 | 6759 | 6761 | 6762 | 6763
    ) && (12..=19).contains(&len)
    {
        return Some("maestro");
    }
    None
}

/// A Luhn-valid number with a known issuer prefix and length.
pub(crate) fn is_card(digits: &[u8]) -> bool {
    (13..=19).contains(&digits.len()) && card_issuer(digits).is_some() && luhn(digits)
}

/// ABA routing number checksum (3-7-1 weights), with a valid Federal Reserve prefix.
pub(crate) fn is_aba_routing(digits: &[u8]) -> bool {
    if digits.len() != 9 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let d: Vec<u32> = digits.iter().map(|b| u32::from(b - b'0')).collect();
    let prefix = d[0] * 10 + d[1];
    if !matches!(prefix, 0..=12 | 21..=32 | 61..=72 | 80) {
        return false;
    }
    let sum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8]);
    sum.is_multiple_of(10) && digits != b"000000000"
}

/// SSN validity as the SSA assigns them: no 000, 666 or 9xx area, no 00 group, no 0000 serial.
pub fn is_valid_ssn(digits: &[u8]) -> bool {
    if digits.len() != 9 {
        return false;
    }
    let area = prefix_num(digits, 3);
    let group = prefix_num(&digits[3..], 2);
    let serial = prefix_num(&digits[5..], 4);
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// The IBAN length of a country, for the countries we know.
fn iban_length(country: [u8; 2]) -> Option<usize> {
    Some(match &country {
        b"AD" => 24,
        b"AE" => 23,
        b"AT" => 20,
        b"BE" => 16,
        b"BG" => 22,
        b"BH" => 22,
        b"BR" => 29,
        b"CH" => 21,
        b"CY" => 28,
        b"CZ" => 24,
        b"DE" => 22,
        b"DK" => 18,
        b"EE" => 20,
        b"ES" => 24,
        b"FI" => 18,
        b"FR" => 27,
        b"GB" => 22,
        b"GR" => 27,
        b"HR" => 21,
        b"HU" => 28,
        b"IE" => 22,
        b"IL" => 23,
        b"IS" => 26,
        b"IT" => 27,
        b"KW" => 30,
        b"LI" => 21,
        b"LT" => 20,
        b"LU" => 20,
        b"LV" => 21,
        b"MC" => 27,
        b"MT" => 31,
        b"NL" => 18,
        b"NO" => 15,
        b"PK" => 24,
        b"PL" => 28,
        b"PT" => 25,
        b"QA" => 29,
        b"RO" => 24,
        b"SA" => 24,
        b"SE" => 24,
        b"SI" => 19,
        b"SK" => 24,
        b"SM" => 27,
        b"TR" => 26,
        b"UA" => 29,
        _ => return None,
    })
}

/// The expected IBAN length if `chars` (uppercase alphanumerics) starts like an IBAN.
pub(crate) fn iban_expected_len(chars: &[u8]) -> Option<usize> {
    if chars.len() < 4
        || !chars[0].is_ascii_uppercase()
        || !chars[1].is_ascii_uppercase()
        || !chars[2].is_ascii_digit()
        || !chars[3].is_ascii_digit()
    {
        return None;
    }
    iban_length([chars[0], chars[1]])
}

/// IBAN mod-97 check over uppercase alphanumerics.
pub(crate) fn is_iban(chars: &[u8]) -> bool {
    if iban_expected_len(chars) != Some(chars.len()) {
        return false;
    }
    let mut rem = 0u32;
    for &c in chars[4..].iter().chain(&chars[..4]) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert!(is_card(b"4111111111111111"));
        assert!(is_card(b"2223003122003222"));
        assert!(is_card(b"378282246310005"));
        assert!(!is_card(b"4111111111111112"));
        assert!(is_aba_routing(b"021000021"));
        assert!(!is_aba_routing(b"021000022"));
        assert!(is_valid_ssn(b"536224891"));
        assert!(!is_valid_ssn(b"666224891"));
        assert!(!is_valid_ssn(b"536004891"));
        assert!(is_iban(b"GB82WEST12345698765432"));
        assert!(is_iban(b"DE89370400440532013000"));
        assert!(!is_iban(b"GB82WEST12345698765433"));
    }
}
