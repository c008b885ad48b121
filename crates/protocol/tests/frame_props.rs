//! The frame decoder never panics on arbitrary input, and what it accepts
//! re-encodes to an equivalent frame.

use landale_protocol::frame::{encode, Frame};
use landale_protocol::Vsn;
use proptest::prelude::*;
use serde_json::Value;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = Frame::decode(&text, Vsn::V1);
        let _ = Frame::decode(&text, Vsn::V2);
    }

    #[test]
    fn arbitrary_json_never_panics(v in json_value()) {
        let text = v.to_string();
        let _ = Frame::decode(&text, Vsn::V1);
        let _ = Frame::decode(&text, Vsn::V2);
    }

    #[test]
    fn v2_frames_round_trip(
        join_ref in prop_oneof![Just(Value::Null), "[0-9]{1,4}".prop_map(Value::from)],
        r in prop_oneof![Just(Value::Null), "[0-9]{1,4}".prop_map(Value::from)],
        topic in "[ -~]{0,20}",
        event in "[ -~]{0,20}",
        payload in json_value(),
    ) {
        let text = encode(Vsn::V2, &join_ref, &r, &topic, &event, &payload.to_string());
        let f = Frame::decode(&text, Vsn::V2).expect("own frames decode");
        prop_assert_eq!(f, Frame { join_ref, r#ref: r, topic, event, payload });
    }

    #[test]
    fn v1_frames_round_trip(r in "[0-9]{1,4}", topic in "[ -~]{0,20}", event in "[ -~]{0,20}", payload in json_value()) {
        let text = encode(Vsn::V1, &Value::Null, &Value::from(r.clone()), &topic, &event, &payload.to_string());
        let f = Frame::decode(&text, Vsn::V1).expect("own frames decode");
        prop_assert_eq!((f.r#ref, f.topic, f.event, f.payload), (Value::from(r), topic, event, payload));
    }
}
