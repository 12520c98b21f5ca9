//! The server's side of a passkey: starting a ceremony (challenge, state) and
//! verifying an authenticator's assertion (webauthn-rs: client data, RP ID hash,
//! flags, ECDSA P-256 signature, counter), plus sealing the ceremony state and the
//! credential as Custos stores them. The authenticator's own signing happens in the
//! setup of each sample, outside the timing.
//! `cargo bench -p custos-server --bench passkeys`
#![allow(
    clippy::unwrap_used,
    reason = "benchmark set-up: a broken assumption must stop the run loudly"
)]

use custos_crypto::SealingKey;
use divan::{Bencher, black_box};
use uuid::Uuid;
use webauthn_authenticator_rs::WebauthnAuthenticator as _;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PublicKeyCredential, Url, Webauthn, WebauthnBuilder,
};

fn main() {
    divan::main();
}

struct Party {
    webauthn: Webauthn,
    origin: Url,
    authenticator: SoftPasskey,
    passkey: Passkey,
}

fn party() -> Party {
    let origin = Url::parse("https://custos.example.com").unwrap();
    let webauthn = WebauthnBuilder::new("custos.example.com", &origin)
        .unwrap()
        .build()
        .unwrap();
    let mut authenticator = SoftPasskey::new(true);
    let (options, state) = webauthn
        .start_passkey_registration(Uuid::new_v4(), "olivia", "olivia", None)
        .unwrap();
    let answer = authenticator
        .do_registration(origin.clone(), options)
        .unwrap();
    let passkey = webauthn
        .finish_passkey_registration(&answer, &state)
        .unwrap();
    Party {
        webauthn,
        origin,
        authenticator,
        passkey,
    }
}

/// A ceremony's start: the challenge, and the state serialized and sealed as stored.
#[divan::bench]
fn start_sign_in(bencher: Bencher) {
    let party = party();
    let key = SealingKey::derive(&[7; 32], "bench passkeys").unwrap();
    bencher.bench(|| {
        let (options, state) = party
            .webauthn
            .start_passkey_authentication(std::slice::from_ref(&party.passkey))
            .unwrap();
        let sealed = key
            .seal(&serde_json::to_vec(&state).unwrap(), b"ceremony")
            .unwrap();
        black_box((options, sealed))
    });
}

/// A ceremony's finish: open the sealed state, verify the assertion, update and
/// reseal the credential.
#[divan::bench]
fn finish_sign_in(bencher: Bencher) {
    let party = party();
    // The authenticator counts its signatures; inputs are made through a shared reference.
    let authenticator = std::sync::Mutex::new(party.authenticator);
    let key = SealingKey::derive(&[7; 32], "bench passkeys").unwrap();
    bencher
        .with_inputs(|| {
            let (options, state) = party
                .webauthn
                .start_passkey_authentication(std::slice::from_ref(&party.passkey))
                .unwrap();
            let answer: PublicKeyCredential = authenticator
                .lock()
                .unwrap()
                .do_authentication(party.origin.clone(), options)
                .unwrap();
            let sealed = key
                .seal(&serde_json::to_vec(&state).unwrap(), b"ceremony")
                .unwrap();
            (sealed, answer, party.passkey.clone())
        })
        .bench_values(|(sealed, answer, mut passkey)| {
            let json = key.open(&sealed, b"ceremony").unwrap();
            let state: PasskeyAuthentication = serde_json::from_slice(&json).unwrap();
            let result = party
                .webauthn
                .finish_passkey_authentication(&answer, &state)
                .unwrap();
            passkey.update_credential(&result);
            black_box(
                key.seal(&serde_json::to_vec(&passkey).unwrap(), b"credential")
                    .unwrap(),
            )
        });
}
