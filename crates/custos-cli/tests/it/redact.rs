//! `custos redact` per CONTRACT.md: text and JSON-lines spans, offsets in code points.

use std::process::{Output, Stdio};

use crate::custos;

fn redact(args: &[&str], input: &str) -> Output {
    let mut child = custos()
        .arg("redact")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    crate::feed_stdin(&mut child, input.as_bytes());
    child.wait_with_output().unwrap()
}

#[test]
fn text_is_redacted_from_stdin_and_from_a_file() {
    let text =
        "Hi, it's Jane Doe, my card is 4111 1111 1111 1111 and my email jane.doe@example.com\n";
    let out = redact(&[], text);
    assert_eq!(out.status.code(), Some(0));
    let redacted = String::from_utf8(out.stdout).unwrap();
    assert!(
        !redacted.contains("4111") && !redacted.contains("jane.doe@"),
        "{redacted}"
    );
    assert!(
        redacted.contains("[CREDIT_CARD]") && redacted.contains("[EMAIL_ADDRESS]"),
        "{redacted}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("call.txt");
    std::fs::write(&file, "order number 4411 2387 ships on march 3rd\n").unwrap();
    let out = redact(&["--input", file.to_str().unwrap()], "");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "order number 4411 2387 ships on march 3rd\n"
    );
}

#[test]
fn spans_count_code_points_and_keep_ids() {
    let lines = concat!(
        r#"{"id":"a1","text":"Grüße — Karte 5555 5555 5555 4444 bitte","channel":"chat"}"#,
        "\n",
        r#"{"id":7,"text":"nothing to see here"}"#,
        "\n"
    );
    let out = redact(&["--format", "spans"], lines);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["id"], "a1");
    let span = &records[0]["spans"][0];
    assert_eq!(span["type"], "CREDIT_CARD");
    // "Grüße — Karte " is 14 code points (but 18 bytes).
    assert_eq!(
        (span["start"].as_u64(), span["end"].as_u64()),
        (Some(14), Some(33))
    );
    assert!(span["score"].as_f64().unwrap() > 0.5);
    assert_eq!(records[0]["redacted"], "Grüße — Karte [CREDIT_CARD] bitte");
    assert_eq!(records[1]["id"], 7);
    assert_eq!(records[1]["spans"], serde_json::json!([]));
}

#[test]
fn a_bad_line_is_reported_by_number_without_its_content() {
    let out = redact(
        &["--format", "spans"],
        "{\"id\":1,\"text\":\"ok\"}\nnot json 4111111111111111\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("line 2") && !stderr.contains("4111"),
        "{stderr}"
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
}
