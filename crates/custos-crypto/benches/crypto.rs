//! Costs of the vault's primitives: sealing and opening one field, unwrapping a
//! customer's data key, and one blind-index entry.
//! `cargo bench -p custos-crypto --bench crypto`

use custos_crypto::{BlindIndexKey, DataKey, FieldName, KeyBytes, KeyEncryptionKey};
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

fn material() -> KeyBytes {
    KeyBytes::generate().unwrap_or_else(|_| std::process::abort())
}

fn data_key() -> DataKey {
    DataKey::new([7u8; 16], 1, &material()).unwrap_or_else(|_| std::process::abort())
}

fn email() -> FieldName {
    FieldName::new("email").unwrap_or_else(|_| std::process::abort())
}

/// Sealing a field of `len` bytes (a phone number is ~12, an address ~60).
#[divan::bench(args = [16, 64, 256, 4096])]
fn seal_field(bencher: Bencher, len: usize) {
    let key = data_key();
    let field = email();
    let value = vec![b'x'; len];
    bencher
        .counter(divan::counter::BytesCount::new(len))
        .bench_local(|| black_box(key.seal_field(&field, black_box(&value))));
}

/// Opening a field of `len` bytes.
#[divan::bench(args = [16, 64, 256, 4096])]
fn open_field(bencher: Bencher, len: usize) {
    let key = data_key();
    let field = email();
    let sealed = key
        .seal_field(&field, &vec![b'x'; len])
        .unwrap_or_else(|_| std::process::abort());
    bencher
        .counter(divan::counter::BytesCount::new(len))
        .bench_local(|| black_box(key.open_field(&field, black_box(&sealed))));
}

/// Unwrapping a customer's data key with the KEK (once per customer read).
#[divan::bench]
fn unwrap_data_key(bencher: Bencher) {
    let kek = KeyEncryptionKey::new(1, &material()).unwrap_or_else(|_| std::process::abort());
    let wrapped = kek
        .wrap_data_key(&material(), &[7u8; 16], 1)
        .unwrap_or_else(|_| std::process::abort());
    bencher.bench_local(|| black_box(kek.unwrap_data_key(black_box(&wrapped), &[7u8; 16], 1)));
}

/// One blind-index entry (HMAC-SHA256 over a normalized phone number).
#[divan::bench]
fn blind_index(bencher: Bencher) {
    let key = BlindIndexKey::new(1, &material()).unwrap_or_else(|_| std::process::abort());
    bencher.bench_local(|| black_box(key.index("phone", black_box("+15551234567"))));
}
