//! Percentiles of the streaming redactor's latency for 200-byte chat messages pushed
//! into a conversation under way (the target: p99 under 100 µs). divan reports
//! medians; this reports the tail.
//! `cargo run --release -p custos-redact --example stream_latency [MESSAGES]`

use std::time::Instant;

use custos_redact::{Redactor, RedactorConfig};

const MESSAGES: [&str; 3] = [
    "Hi, I was charged twice for my order last week. My card number is 4111 1111 1111 1111 and the charge was $49.99 on the 3rd. Can you refund one of them please? Thanks, Maria",
    "Sure, I can help with that. Could you confirm the email on the account and the billing zip code? I will also need the last four digits of the card to locate the payment, thanks",
    "its maria.gonzalez@example.com and the zip is 62704. the card ending in 1111. also can you update my phone to (555) 234-5678 since the old one is disconnected now, thank you so much",
];

fn main() -> Result<(), custos_redact::ConfigError> {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let redactor = Redactor::new(RedactorConfig::default())?;
    let mut timings = Vec::with_capacity(count);
    // A new conversation every 50 messages, as in a contact center's day.
    let mut stream = redactor.stream();
    for i in 0..count {
        if i % 50 == 0 {
            stream = redactor.stream();
        }
        let speaker = if i % 2 == 0 { "agent" } else { "customer" };
        let start = Instant::now();
        let released = stream.push_turn(speaker, MESSAGES[i % MESSAGES.len()]);
        timings.push(start.elapsed());
        std::hint::black_box(released);
    }
    timings.sort_unstable();
    let at = |q: f64| timings[((timings.len() as f64 * q) as usize).min(timings.len() - 1)];
    #[expect(clippy::print_stdout, reason = "an example prints its figures")]
    {
        println!(
            "{count} messages: p50 {:?}  p90 {:?}  p99 {:?}  p99.9 {:?}  max {:?}",
            at(0.50),
            at(0.90),
            at(0.99),
            at(0.999),
            timings[timings.len() - 1]
        );
    }
    Ok(())
}
