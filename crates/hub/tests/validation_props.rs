//! Validation and the pipeline on arbitrary input: never a panic, and an event that
//! fails validation is never published.

use landale::bus::{Bus, BusLimits};
use landale::metrics::Metrics;
use landale::pipeline::validate::validate;
use landale::pipeline::{normalize, Pipeline};
use landale::store::writer::StoreQueue;
use landale::store::Store;
use landale_core::Input;
use proptest::prelude::*;
use serde_json::Value;
use std::sync::Arc;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::from),
        "[\\x00-\\x06a-z]{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    "[a-z_]{1,12}".boxed(),
                    prop::sample::select(vec![
                        "id",
                        "type",
                        "user_id",
                        "user_login",
                        "broadcaster_user_id",
                        "broadcaster_user_login",
                        "tier",
                        "bits",
                        "message",
                        "total",
                        "followed_at",
                        "seq",
                        "timestamp",
                        "reply",
                        "cheer",
                        "amount",
                        "current_amount",
                        "eventType",
                        "takeover_type",
                        "duration",
                    ])
                    .prop_map(String::from)
                    .boxed(),
                ],
                inner,
                0..10,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn event_type() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "channel.follow",
            "channel.subscribe",
            "channel.subscription.gift",
            "channel.cheer",
            "channel.update",
            "channel.chat.message",
            "channel.chat.message_delete",
            "channel.goal.begin",
            "channel.goal.progress",
            "channel.raid",
            "channel.charity_campaign.donate",
            "stream.online",
            "obs.websocket_event",
            "obs.scene_changed",
            "rainwave.update",
            "system.health_check",
            "system.performance_metric",
            "stream.takeover_started",
            "stream.state_updated",
            "ironmon.init",
        ])
        .prop_map(String::from),
        "\\PC{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn validate_and_normalize_never_panic(t in event_type(), data in json_value()) {
        if validate(&t, &data).is_ok() {
            let map = data.as_object().cloned().expect("only objects validate");
            let e = normalize::normalize(&t, map, Default::default(), &Default::default());
            prop_assert_eq!(e.kind, t);
            // The envelope is never overwritten by a body field.
            prop_assert!(e.id.starts_with("evt_"));
        }
    }
}

/// Through a real pipeline: rejected input publishes nothing and stores nothing.
#[test]
fn rejected_input_is_never_published() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(None, dir.path()).await.unwrap();
        let metrics = Arc::new(Metrics::new());
        let (_stop_tx, stop) = tokio::sync::watch::channel(false);
        let (queue, _writer) = StoreQueue::start(store, metrics.clone(), stop);
        let bus = Arc::new(Bus::new(0, BusLimits::default()));
        let pipeline = Pipeline::new(bus.clone(), queue, metrics.clone(), Default::default());
        let rx = std::sync::Mutex::new(bus.subscribe());
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(2000));
        runner
            .run(&(event_type(), json_value()), |(t, data)| {
                let valid = validate(&t, &data).is_ok();
                let before = bus.head();
                let result = pipeline.ingest(Input::new(t.clone(), data));
                prop_assert_eq!(result.is_ok(), valid);
                if valid {
                    prop_assert_eq!(bus.head(), before + 1);
                    let msg = rx.lock().unwrap().try_recv().expect("published once");
                    prop_assert_eq!(msg.seq, before + 1);
                } else {
                    prop_assert_eq!(bus.head(), before, "a rejected event is never published");
                    prop_assert!(rx.lock().unwrap().try_recv().is_err());
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(
            metrics.events_in.get() + metrics.events_rejected.get(),
            2000
        );
    });
}
