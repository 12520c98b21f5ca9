//! Rule files that must be refused, each with an error naming the rule and the key.

use custos_detect::{Correlation, Response, Rule, RuleError, RulePack, Severity};

const GOOD: &str = r#"
id = "r"
title = "T"
description = "D"
severity = "low"
responses = ["alert"]
[match]
action = "auth.password"
[correlate]
kind = "event_count"
group_by = ["actor"]
window = "10m"
threshold = 3
"#;

/// `GOOD` with `from` replaced by `to` (which must occur).
fn variant(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "{from}");
    GOOD.replacen(from, to, 1)
}

fn refused(text: &str) -> (String, String, String) {
    match Rule::parse_toml(text) {
        Err(RuleError::Invalid {
            rule,
            field,
            problem,
        }) => (rule, field, problem),
        other => panic!("expected an invalid-rule error for\n{text}\ngot {other:?}"),
    }
}

#[test]
fn the_baseline_rule_is_valid() {
    let rule = Rule::parse_toml(GOOD).unwrap();
    assert_eq!(rule.id().as_str(), "r");
    assert_eq!(rule.severity(), Severity::Low);
    assert!(rule.enabled());
    assert_eq!(rule.responses(), [Response::Alert]);
    assert!(matches!(
        rule.correlation(),
        Correlation::EventCount { threshold: 3, .. }
    ));
}

#[test]
fn each_mistake_names_the_rule_and_the_key() {
    let cases: &[(&str, &str, &str)] = &[
        // (replace, with, the key the error must name)
        ("action = ", "actorr = ", "match.actorr"),
        (
            "action = \"auth.password\"",
            "action = { like = \"auth\" }",
            "match.action.like",
        ),
        ("action = \"auth.password\"", "action = []", "match.action"),
        ("action = \"auth.password\"", "action = 5", "match.action"),
        (
            "action = \"auth.password\"",
            "outside_shift = \"yes\"",
            "match.outside_shift",
        ),
        (
            "group_by = [\"actor\"]",
            "group_by = [\"user\"]",
            "correlate.group_by[0]",
        ),
        (
            "group_by = [\"actor\"]",
            "group_by = [\"actor\", \"actor\"]",
            "correlate.group_by[1]",
        ),
        ("threshold = 3", "threshold = 0", "correlate.threshold"),
        ("threshold = 3", "threshold = 5000", "correlate.threshold"),
        ("threshold = 3\n", "", "correlate.threshold"),
        ("window = \"10m\"\n", "", "correlate.window"),
        (
            "window = \"10m\"",
            "window = \"10 minutes\"",
            "correlate.window",
        ),
        ("window = \"10m\"", "window = \"0s\"", "correlate.window"),
        (
            "kind = \"event_count\"",
            "kind = \"event_cout\"",
            "correlate.kind",
        ),
        (
            "threshold = 3",
            "threshold = 3\npeer_by = \"actor_team\"",
            "correlate.peer_by",
        ),
        (
            "responses = [\"alert\"]",
            "responses = [\"page_someone\"]",
            "responses[0]",
        ),
        ("responses = [\"alert\"]", "responses = []", "responses"),
        (
            "responses = [\"alert\"]",
            "responses = [\"alert\", \"alert\"]",
            "responses[1]",
        ),
        (
            "responses = [\"alert\"]",
            "responses = [\"notify\"]",
            "responses[0]",
        ),
        (
            "responses = [\"alert\"]",
            "responses = [{ action = \"notify\", channel = \"pager\" }]",
            "responses[0].channel",
        ),
        (
            "responses = [\"alert\"]",
            "responses = [{ action = \"block_ip\", duration = \"forever\" }]",
            "responses[0].duration",
        ),
        (
            "responses = [\"alert\"]",
            "responses = [{ action = \"block_ip\", duration = \"1h\" }]",
            "responses[0]",
        ),
        (
            "responses = [\"alert\"]",
            "responses = [{ action = \"alert\", channel = \"email\" }]",
            "responses[0]",
        ),
        ("severity = \"low\"", "severity = \"severe\"", "severity"),
        ("severity = \"low\"", "severity = 3", "severity"),
        ("title = \"T\"", "title = \"T\"\ncolour = \"red\"", "colour"),
        ("title = \"T\"\n", "", "title"),
        ("threshold = 3", "threshold = \"3\"", "correlate.threshold"),
        (
            "threshold = 3",
            "threshold = 3\nthreshhold = 4",
            "correlate.threshhold",
        ),
        (
            "responses = [\"alert\"]",
            "responses = [{ action = \"notify\", channel = \"email\", to = \"x\" }]",
            "responses[0].to",
        ),
        ("title = \"T\"", "title = \" \"", "title"),
        (
            "description = \"D\"",
            "description = \"D\"\nsuppress = \"soon\"",
            "suppress",
        ),
    ];
    for (from, to, key) in cases {
        let (rule, field, problem) = refused(&variant(from, to));
        assert_eq!(rule, "r", "{to}");
        assert_eq!(field, *key, "{to}: {problem}");
        assert!(!problem.is_empty());
    }
}

#[test]
fn account_responses_need_the_actor_grouped() {
    let text = variant("responses = [\"alert\"]", "responses = [\"lock_account\"]")
        .replace("group_by = [\"actor\"]", "group_by = [\"source_ip\"]");
    let (_, field, problem) = refused(&text);
    assert_eq!(field, "responses[0]");
    assert!(problem.contains("actor"), "{problem}");
}

#[test]
fn kind_specific_requirements() {
    let base = |correlate: &str| {
        format!(
            "id = \"k\"\ntitle = \"T\"\ndescription = \"D\"\nseverity = \"high\"\nresponses = [\"alert\"]\n[correlate]\n{correlate}"
        )
    };
    let cases = [
        (
            "kind = \"value_count\"\ngroup_by = [\"source_ip\"]\nwindow = \"1m\"\nthreshold = 2",
            "correlate.field",
        ),
        (
            "kind = \"value_count\"\ngroup_by = [\"actor\"]\nfield = \"actor\"\nwindow = \"1m\"\nthreshold = 2",
            "correlate.field",
        ),
        (
            "kind = \"sequence\"\ngroup_by = [\"actor\"]\nwindow = \"1m\"\nsteps = [{ match = {} }]",
            "correlate.steps",
        ),
        (
            "kind = \"sequence\"\ngroup_by = [\"actor\"]\nwindow = \"1m\"\nsteps = [{ match = {}, count = 0 }, { match = {} }]",
            "correlate.steps[0].count",
        ),
        (
            "kind = \"sequence\"\ngroup_by = [\"actor\"]\nwindow = \"1m\"\nsteps = [{ match = { bogus = \"x\" } }, { match = {} }]",
            "correlate.steps[0].match.bogus",
        ),
        (
            "kind = \"new_value\"\nfield = \"device\"\nwindow = \"30d\"",
            "correlate.group_by",
        ),
        (
            "kind = \"new_value\"\ngroup_by = [\"actor\"]\nfield = \"device\"\nwindow = \"30d\"\nmin_history = 0",
            "correlate.min_history",
        ),
        (
            "kind = \"new_value\"\ngroup_by = [\"actor\"]\nfield = \"device\"\nwindow = \"30d\"\nlearning = \"a while\"",
            "correlate.learning",
        ),
        (
            "kind = \"peer_baseline\"\ngroup_by = [\"actor\"]\nfield = \"target_id\"\nwindow = \"12h\"",
            "correlate.peer_by",
        ),
        (
            "kind = \"peer_baseline\"\ngroup_by = [\"actor\"]\npeer_by = \"actor\"\nfield = \"target_id\"\nwindow = \"12h\"",
            "correlate.peer_by",
        ),
        (
            "kind = \"peer_baseline\"\ngroup_by = [\"actor\"]\npeer_by = \"actor_team\"\nfield = \"target_id\"\nwindow = \"12h\"\nmultiplier = 0.5",
            "correlate.multiplier",
        ),
        ("kind = \"none\"\nwindow = \"1m\"", "correlate.window"),
    ];
    for (correlate, key) in cases {
        let (rule, field, problem) = refused(&base(correlate));
        assert_eq!(
            (rule.as_str(), field.as_str()),
            ("k", key),
            "{correlate}: {problem}"
        );
    }
}

#[test]
fn pack_level_errors() {
    let rule = GOOD
        .replace("[match]", "[rule.match]")
        .replace("[correlate]", "[rule.correlate]");
    let pack = |version: &str, body: &str| format!("{version}\n[[rule]]\n{body}");
    assert!(RulePack::parse(&pack("version = 1", &rule)).is_ok());
    assert_eq!(
        RulePack::parse(&pack("version = 2", &rule)),
        Err(RuleError::Version(2))
    );
    assert!(matches!(
        RulePack::parse(&pack("", &rule)),
        Err(RuleError::Syntax(_))
    ));
    assert!(matches!(
        RulePack::parse(&pack("version = 1\nauthor = \"me\"", &rule)),
        Err(RuleError::Syntax(s)) if s.contains("author")
    ));
    let twice = format!("version = 1\n[[rule]]\n{rule}\n[[rule]]\n{rule}");
    assert_eq!(
        RulePack::parse(&twice),
        Err(RuleError::DuplicateId("r".to_owned()))
    );
    assert!(matches!(
        RulePack::parse("version = 1\n[[rule"),
        Err(RuleError::Syntax(_))
    ));
    let bad_id = rule.replace("id = \"r\"", "id = \"Bad Id\"");
    assert!(matches!(
        RulePack::parse(&pack("version = 1", &bad_id)),
        Err(RuleError::Invalid { field, .. }) if field == "id"
    ));
    // The message a person sees names the rule and the key.
    let err = Rule::parse_toml(&variant("threshold = 3", "threshold = 0")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "rule `r`: correlate.threshold: must be at least 1"
    );
}

#[test]
fn the_shipped_pack_loads() {
    let pack = RulePack::shipped().unwrap();
    assert!(pack.rules().len() >= 12);
    for rule in pack.rules() {
        assert!(rule.enabled(), "{}", rule.id());
        assert!(!rule.description().is_empty());
    }
}
