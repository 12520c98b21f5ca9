//! Prints the phishing assessment of every sample in `testdata/messages/messages.jsonl`:
//! kind, id, score, level and flag codes, then the false-positive count (ordinary messages
//! above low). `cargo run -p custos-conversation --example assess_samples`

use custos_conversation::{Channel, Level, MessageInput, assess};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/messages/messages.jsonl"
    );
    let data = std::fs::read_to_string(path)?;
    let mut benign = 0;
    let mut false_positives = 0;
    for line in data.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let a = assess(&MessageInput {
            channel: if v["channel"] == "chat" {
                Channel::Chat
            } else {
                Channel::Email
            },
            from_address: v["from_address"].as_str(),
            from_name: v["from_name"].as_str(),
            subject: v["subject"].as_str(),
            body: v["body"].as_str().unwrap_or(""),
            html: v["html"].as_bool().unwrap_or(false),
            registered_email: v["registered_email"].as_str(),
        });
        let kind = v["kind"].as_str().unwrap_or("");
        if kind == "benign" {
            benign += 1;
            if a.level > Level::Low {
                false_positives += 1;
            }
        }
        let codes: Vec<&str> = a.flags.iter().map(|f| f.code).collect();
        eprintln!(
            "{kind:9} {:28} {:3} {:?} {codes:?}",
            v["id"].as_str().unwrap_or(""),
            a.score,
            a.level
        );
    }
    eprintln!("ordinary messages above low: {false_positives} of {benign}");
    Ok(())
}
