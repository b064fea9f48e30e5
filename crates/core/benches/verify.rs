//! Cost of verifying a code (the OTP part of a sign-in, without the password hash) against the
//! floor it cannot beat: the raw HMAC-SHA1 computations over the same window, measured in the
//! same run. Target: verification at most 2x the raw HMAC.
//!
//! Run: `cargo bench -p twofold-core --bench verify`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use twofold_core::{otp::Algorithm, verify, Secret, VerifierPolicy, VerifierState};

const NOW: u64 = 1_795_824_010;

fn bench(c: &mut Criterion) {
    let key = *b"12345678901234567890";
    let secret = Secret::from_bytes(key.to_vec()).unwrap();
    let policy = VerifierPolicy::default();
    let window = policy.steps_back + 1;
    // A code from one step back: the verifier computes every candidate anyway (constant time).
    let code = twofold_core::totp(&secret, Algorithm::Sha1, 6, 30, NOW - 30).unwrap();
    let state = VerifierState::default();

    let mut group = c.benchmark_group("otp_window");
    group.bench_function("raw_hmac_sha1", |b| {
        b.iter(|| {
            let step = NOW / 30;
            let mut acc = 0u8;
            for back in 0..window {
                let mut mac = Hmac::<Sha1>::new_from_slice(black_box(&key)).unwrap();
                mac.update(&(step - back).to_be_bytes());
                acc ^= mac.finalize().into_bytes()[19];
            }
            black_box(acc)
        })
    });
    group.bench_function("verify", |b| {
        b.iter(|| {
            verify(
                black_box(&secret),
                Algorithm::Sha1,
                6,
                30,
                black_box(&code),
                NOW,
                state,
                &policy,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
