//! The LLM client against what real servers do, one context window per fault,
//! through a real hub: every answer format is read, every failure falls back to seed's
//! own analysis with the reason in words, and the client's state says what happened.

mod common;
use common::rig;
use fake_llm::Behavior::{self, *};
use serde_json::Value;

/// `(script, analysis kind, error code the client reports afterwards)`.
fn matrix() -> Vec<(Vec<Behavior>, &'static str, Option<&'static str>)> {
    vec![
        (vec![Think], "llm", None),
        (vec![ReasoningField], "llm", None),
        (vec![Fenced], "llm", None),
        (vec![Prose], "llm", None),
        (vec![Camel], "llm", None),
        (vec![Invalid, Good], "llm", None), // one repair
        (
            vec![Invalid, Invalid],
            "deterministic",
            Some("invalid_answer"),
        ),
        (vec![Length], "deterministic", Some("truncated")),
        (vec![CutPrompt], "deterministic", Some("prompt_cut")),
        (vec![NoModel], "deterministic", Some("no_model_loaded")),
        (vec![RateLimited, Good], "llm", None), // waits Retry-After, then answers
        (vec![Busy, Busy, Busy], "deterministic", Some("busy")),
        (vec![NotFound], "deterministic", Some("model_not_found")),
        (vec![ServerError, Good], "llm", None),
        (vec![Slow { ms: 200 }], "llm", None),
        (vec![Hang, Hang, Hang], "deterministic", Some("timeout")),
    ]
}

#[tokio::test]
async fn every_fault_is_handled_and_named() {
    let mut r = rig(Some("fake"), |_| {}).await;
    let fake = r.llm.clone().unwrap();
    let llm = r.seed.llm.clone().unwrap();
    for (i, (script, kind, code)) in matrix().into_iter().enumerate() {
        let before = fake.requests().len();
        for b in script.clone() {
            fake.push(b);
        }
        let c = r
            .window(&format!("window {i}: the boss fight goes on"))
            .await;
        assert_eq!(c["analysis"], kind, "{script:?}: {c}");
        let status = llm.status();
        match code {
            None => assert_eq!(status["consecutive_failures"], 0, "{script:?}: {status}"),
            Some(code) => {
                assert_eq!(status["last_error"]["code"], code, "{script:?}: {status}");
                let reason = c["analysis_source"]["deterministic"]["reason"]
                    .as_str()
                    .unwrap();
                assert_eq!(
                    reason,
                    status["last_error"]["message"].as_str().unwrap(),
                    "the context says why"
                );
            }
        }
        let used = fake.requests().len() - before;
        assert_eq!(used, script.len(), "{script:?} took {used} requests");
    }
    assert_eq!(llm.status()["repairs"], 2);
    r.hub.stop().await;
}

#[tokio::test]
async fn a_server_without_json_schema_is_asked_plainly_from_then_on() {
    let mut r = rig(Some("fake"), |_| {}).await;
    let fake = r.llm.clone().unwrap();
    fake.reject_schema(true);
    let c = r.window("first").await;
    assert_eq!(c["analysis"], "llm", "{c}");
    let c = r.window("second").await;
    assert_eq!(c["analysis"], "llm");
    let reqs = fake.requests();
    let schema: Vec<bool> = reqs
        .iter()
        .map(|q| q.get("response_format").is_some())
        .collect();
    assert_eq!(
        schema,
        [true, false, false],
        "refused once, then plain without asking again"
    );
    let plain = reqs[1]["messages"][1]["content"].as_str().unwrap();
    assert!(
        plain.contains("The JSON schema:"),
        "the plain prompt carries the schema in words"
    );
    assert_eq!(
        r.seed.llm.as_ref().unwrap().status()["json_mode"],
        "plain_prompt"
    );
    r.hub.stop().await;
}

#[tokio::test]
async fn failures_in_a_row_open_the_circuit() {
    let mut r = rig(Some("fake"), |_| {}).await;
    let fake = r.llm.clone().unwrap();
    for _ in 0..seed::llm::BREAKER_FAILURES {
        fake.push(NoModel);
        let c = r.window("the model is not loaded").await;
        assert_eq!(c["analysis"], "deterministic");
    }
    let sent = fake.requests().len();
    let c = r.window("while the circuit is open").await;
    assert_eq!(
        fake.requests().len(),
        sent,
        "no request while the circuit is open"
    );
    let reason = c["analysis_source"]["deterministic"]["reason"]
        .as_str()
        .unwrap();
    assert!(
        reason.starts_with("paused after 5 failed calls in a row"),
        "{reason}"
    );
    let status = r.seed.llm.as_ref().unwrap().status();
    assert_eq!(status["circuit"], "open");
    assert!(
        status["last_error"]["message"]
            .as_str()
            .unwrap()
            .contains("No models loaded"),
        "{status}"
    );
    r.hub.stop().await;
}

#[tokio::test]
async fn without_an_llm_server_contexts_are_still_made() {
    // Nothing listens on this port.
    let port = landale_testkit::free_port();
    let mut r = rig(Some(&format!("http://127.0.0.1:{port}/v1")), |_| {}).await;
    let c = r.window("is anyone there").await;
    assert_eq!(c["analysis"], "deterministic");
    let reason = c["analysis_source"]["deterministic"]["reason"]
        .as_str()
        .unwrap();
    assert!(
        reason.starts_with(&format!(
            "cannot reach the LLM server at http://127.0.0.1:{port}/v1"
        )),
        "{reason}"
    );
    let problems = r.seed.problems();
    assert!(
        problems.iter().any(|p| p.starts_with("LLM: cannot reach")),
        "{problems:?}"
    );
    let status: Value = r.seed.llm.as_ref().unwrap().status();
    assert_eq!(status["available"], false);
    r.hub.stop().await;
}
