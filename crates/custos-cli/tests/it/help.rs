//! Every command explains itself.

use crate::custos;

fn help(args: &[&str]) -> String {
    let output = custos().args(args).arg("--help").output().unwrap();
    assert!(output.status.success(), "{args:?} --help failed");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn top_level_help_lists_the_commands() {
    let text = help(&[]);
    for word in ["serve", "config", "redact", "keys", "Usage: custos"] {
        assert!(text.contains(word), "{word} missing from:\n{text}");
    }
}

#[test]
fn serve_help_lists_the_contract_flags() {
    let text = help(&["serve"]);
    for flag in [
        "--config",
        "--data-dir",
        "--listen",
        "--database-url",
        "--demo",
    ] {
        assert!(text.contains(flag), "{flag} missing from:\n{text}");
    }
}

#[test]
fn config_check_help_reads_well() {
    let text = help(&["config", "check"]);
    assert!(text.contains("Validate the configuration"), "{text}");
}

#[test]
fn unknown_command_is_a_usage_error() {
    let output = custos().arg("frobnicate").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}
