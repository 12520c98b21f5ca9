//! Costs of the authentication primitives.
//! `cargo bench -p custos-auth --bench auth`

use custos_auth::password::{HashCost, hash_password, verify_password};
use custos_auth::totp::TotpSecret;
use divan::{Bencher, black_box};
use secrecy::SecretString;

fn main() {
    divan::main();
}

/// One Argon2id verification at the production parameters: the bound on sign-ins per second per core.
#[divan::bench(sample_count = 20)]
fn argon2id_verify(bencher: Bencher) {
    let password = SecretString::from("violet-kettle-47-harbor".to_owned());
    let hash =
        hash_password(&password, HashCost::default()).unwrap_or_else(|_| std::process::abort());
    bencher.bench_local(|| black_box(verify_password(&hash, &password, HashCost::default())));
}

/// Checking a TOTP code (three HMAC-SHA1 computations).
#[divan::bench]
fn totp_verify(bencher: Bencher) {
    let secret = TotpSecret::generate().unwrap_or_else(|_| std::process::abort());
    let code = secret.code_at(1_800_000_000);
    bencher.bench_local(|| black_box(secret.verify(&code, 1_800_000_000, None)));
}
