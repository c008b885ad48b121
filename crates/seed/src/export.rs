//! `seed export`: the stored contexts as training data (§2.12 of the reference, with
//! its defects fixed: the hub's `{contexts: [...]}` envelope is read, and pages are
//! fetched back in time with `before` instead of one capped list).
//!
//! Datasets: `conversation` (transcripts with their context), `pattern` (contexts with
//! an analysis), `multimodal` (speech, chat, interactions and emotes together),
//! `temporal` (sliding runs of five contexts per session). Formats: `openai` (chat
//! messages, one JSON object a line), `huggingface` (train and validation JSONL and a
//! config), `csv` (flattened columns).

use crate::hub::Rest;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Openai,
    Huggingface,
    Csv,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Conversation,
    Pattern,
    Multimodal,
    Temporal,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Conversation => "conversation",
            Kind::Pattern => "pattern",
            Kind::Multimodal => "multimodal",
            Kind::Temporal => "temporal",
        }
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value = "huggingface")]
    pub format: Format,
    #[arg(long = "type", value_enum, default_value = "conversation")]
    pub kind: Kind,
    /// Only contexts from the last N days.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Only one session (`stream_YYYY_MM_DD`).
    #[arg(long)]
    pub session: Option<String>,
    #[arg(long, default_value = "./training_data")]
    pub output_dir: PathBuf,
    /// At most this many examples (newest kept).
    #[arg(long, default_value_t = 1000)]
    pub max_examples: usize,
    /// The training share of a Hugging Face split (the rest is validation).
    #[arg(long, default_value_t = 0.8)]
    pub train_split: f64,
    /// Conversation examples need a transcript of at least this many words.
    #[arg(long, default_value_t = 10)]
    pub min_length: usize,
}

/// Every stored context in range, oldest first, with progress.
pub async fn fetch(rest: &Rest, a: &ExportArgs, now: DateTime<Utc>) -> Result<Vec<Value>, String> {
    let since = now - chrono::Duration::days(a.days as i64);
    let mut out: Vec<Value> = vec![];
    let mut before: Option<String> = None;
    let bar = indicatif::ProgressBar::new_spinner().with_message("fetching contexts");
    loop {
        let mut q = vec![
            ("limit", "500".to_string()),
            ("since", landale_core::ids::iso(since)),
        ];
        if let Some(b) = &before {
            q.push(("before", b.clone()));
        }
        if let Some(s) = &a.session {
            q.push(("session", s.clone()));
        }
        let page = rest
            .get("/api/contexts", &q)
            .await
            .map_err(|e| format!("cannot read contexts from the hub: {e}"))?;
        let rows = page["data"]["contexts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let n = rows.len();
        before = rows
            .last()
            .and_then(|c| c["started"].as_str())
            .map(str::to_owned);
        out.extend(rows);
        bar.set_message(format!("fetched {} contexts", out.len()));
        bar.tick();
        if n < 500 || before.is_none() {
            break;
        }
    }
    bar.finish_and_clear();
    out.reverse();
    Ok(out)
}

fn words(c: &Value) -> usize {
    c["transcript"]
        .as_str()
        .map(|t| t.split_whitespace().count())
        .unwrap_or(0)
}

fn meta(c: &Value) -> Value {
    json!({"session": c["session"], "timestamp": c["started"], "duration": c["duration"]})
}

fn keep(v: &mut Value, c: &Value, keys: &[(&str, &str)]) {
    for (to, from) in keys {
        if !c[*from].is_null() {
            v[*to] = c[*from].clone();
        }
    }
}

/// The dataset's examples from contexts (oldest first).
pub fn dataset(kind: Kind, contexts: &[Value], min_length: usize) -> Vec<Value> {
    match kind {
        Kind::Conversation => contexts
            .iter()
            .filter(|c| words(c) >= min_length)
            .map(|c| {
                let mut ctx = meta(c);
                if let Some(chat) = c["chat_summary"].as_object() {
                    ctx["chat_activity"] = json!({"message_count": chat.get("message_count"),
                        "participants": chat.get("participants").and_then(Value::as_array).map(|p| p.len()),
                        "velocity": chat.get("velocity")});
                }
                keep(&mut ctx, c, &[("sentiment", "sentiment")]);
                let mut v = json!({"input": c["transcript"], "context": ctx});
                keep(&mut v, c, &[("summary", "summary")]);
                v
            })
            .collect(),
        Kind::Pattern => contexts
            .iter()
            .filter(|c| c["patterns"].is_object() || c["summary"].is_string())
            .map(|c| {
                let mut v = json!({"input": c["transcript"], "patterns": c["patterns"], "metadata": meta(c)});
                keep(&mut v, c, &[("sentiment", "sentiment"), ("dynamics", "dynamics"), ("topics", "topics"), ("summary", "summary")]);
                v
            })
            .collect(),
        Kind::Multimodal => contexts
            .iter()
            .map(|c| {
                let mut v = json!({"transcript": c["transcript"], "metadata": meta(c)});
                keep(
                    &mut v,
                    c,
                    &[("chat", "chat_summary"), ("interactions", "interactions_summary"), ("emotes", "emotes_summary"),
                      ("patterns", "patterns"), ("sentiment", "sentiment"), ("topics", "topics"), ("summary", "summary")],
                );
                v
            })
            .collect(),
        Kind::Temporal => {
            let mut by_session: std::collections::BTreeMap<&str, Vec<&Value>> = Default::default();
            for c in contexts {
                by_session.entry(c["session"].as_str().unwrap_or("")).or_default().push(c);
            }
            let mut out = vec![];
            for (session, mut list) in by_session {
                list.sort_by(|a, b| a["started"].as_str().cmp(&b["started"].as_str()));
                for run in list.windows(5) {
                    let sequence: Vec<Value> = run
                        .iter()
                        .map(|c| {
                            let mut s = json!({"timestamp": c["started"], "duration": c["duration"], "transcript": c["transcript"],
                                               "sentiment": c["sentiment"].as_str().unwrap_or("neutral")});
                            keep(&mut s, c, &[("patterns", "patterns"), ("summary", "summary")]);
                            s
                        })
                        .collect();
                    let total: f64 = run.iter().filter_map(|c| c["duration"].as_f64()).sum();
                    out.push(json!({"session": session, "sequence": sequence, "metadata": {
                        "sequence_length": run.len(), "total_duration": total,
                        "start_time": run[0]["started"], "end_time": run[run.len() - 1]["ended"]}}));
                }
            }
            out
        }
    }
}

/// An OpenAI fine-tuning line: the moment in, seed's summary (or the counted facts) out.
pub fn openai_line(example: &Value) -> Value {
    let input = example["input"]
        .as_str()
        .or_else(|| example["transcript"].as_str())
        .unwrap_or("");
    let ctx = &example["context"];
    let answer = match example["summary"].as_str() {
        Some(s) => s.to_string(),
        None => {
            let mut parts = vec![];
            if let Some(s) = ctx["sentiment"].as_str() {
                parts.push(format!("Sentiment: {s}"));
            }
            if let Some(n) = ctx["chat_activity"]["message_count"].as_u64() {
                parts.push(format!(
                    "Chat activity: {n} messages from {} participants",
                    ctx["chat_activity"]["participants"].as_u64().unwrap_or(0)
                ));
            }
            if let Some(d) = ctx["duration"].as_f64() {
                parts.push(format!("Duration: {:.1} minutes", d / 60.0));
            }
            if parts.is_empty() {
                "A moment from the stream.".to_string()
            } else {
                parts.join(" | ")
            }
        }
    };
    json!({"messages": [
        {"role": "system", "content": "You are an AI companion that understands streaming context and viewer interactions."},
        {"role": "user", "content": format!("Analyze this stream moment: {input}")},
        {"role": "assistant", "content": answer},
    ]})
}

/// Nested keys joined with `_`, lists joined with `,`.
pub fn flatten(prefix: &str, v: &Value, out: &mut Map<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}_{k}")
                };
                flatten(&key, x, out);
            }
        }
        Value::Array(a) => {
            let joined: Vec<String> = a
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| x.to_string())
                })
                .collect();
            out.insert(prefix.to_string(), joined.join(",").into());
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

fn write_jsonl(path: &Path, rows: &[Value], bar: &indicatif::ProgressBar) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    for r in rows {
        serde_json::to_writer(&mut f, r)?;
        f.write_all(b"\n")?;
        bar.inc(1);
    }
    f.flush()
}

/// Write the files; returns their paths.
pub fn write(a: &ExportArgs, examples: &[Value], stamp: &str) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(&a.output_dir)
        .map_err(|e| format!("{}: {e}", a.output_dir.display()))?;
    let start = examples.len().saturating_sub(a.max_examples);
    let examples = &examples[start..];
    let bar = indicatif::ProgressBar::new(examples.len() as u64).with_message("writing");
    let name = a.kind.name();
    let io = |e: std::io::Error| e.to_string();
    let files = match a.format {
        Format::Openai => {
            let p = a.output_dir.join(format!("openai_{name}_{stamp}.jsonl"));
            let lines: Vec<Value> = examples.iter().map(openai_line).collect();
            write_jsonl(&p, &lines, &bar).map_err(io)?;
            vec![p]
        }
        Format::Huggingface => {
            let split = ((examples.len() as f64) * a.train_split.clamp(0.0, 1.0)).round() as usize;
            let train = a.output_dir.join(format!("hf_{name}_{stamp}_train.jsonl"));
            let val = a.output_dir.join(format!("hf_{name}_{stamp}_val.jsonl"));
            write_jsonl(&train, &examples[..split], &bar).map_err(io)?;
            write_jsonl(&val, &examples[split..], &bar).map_err(io)?;
            let mut features = Map::new();
            if let Some(Value::Object(first)) = examples.first() {
                for k in first.keys() {
                    features.insert(k.clone(), json!({"dtype": "string", "_type": "Value"}));
                }
            }
            let config = a.output_dir.join(format!("hf_{name}_{stamp}_config.json"));
            let c = json!({"dataset_info": {"description": format!("Landale stream contexts: {name} examples"),
                "features": features, "splits": {"train": {"num_examples": split}, "validation": {"num_examples": examples.len() - split}}},
                "builder_name": format!("seed_{name}"), "config_name": "default", "version": "1.0.0"});
            std::fs::write(&config, serde_json::to_vec_pretty(&c).unwrap_or_default())
                .map_err(io)?;
            vec![train, val, config]
        }
        Format::Csv => {
            let p = a.output_dir.join(format!("{name}_{stamp}.csv"));
            let rows: Vec<Map<String, Value>> = examples
                .iter()
                .map(|e| {
                    let mut m = Map::new();
                    flatten("", e, &mut m);
                    m
                })
                .collect();
            let mut columns: Vec<String> = rows.iter().flat_map(|r| r.keys().cloned()).collect();
            columns.sort();
            columns.dedup();
            let mut w = csv::Writer::from_path(&p).map_err(|e| e.to_string())?;
            w.write_record(&columns).map_err(|e| e.to_string())?;
            for r in &rows {
                let cells: Vec<String> = columns
                    .iter()
                    .map(|c| match r.get(c) {
                        None | Some(Value::Null) => String::new(),
                        Some(Value::String(s)) => s.clone(),
                        Some(v) => v.to_string(),
                    })
                    .collect();
                w.write_record(&cells).map_err(|e| e.to_string())?;
                bar.inc(1);
            }
            w.flush().map_err(io)?;
            vec![p]
        }
    };
    bar.finish_and_clear();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(i: usize, session: &str) -> Value {
        json!({"started": format!("2026-01-01T00:{:02}:00Z", i * 2), "ended": format!("2026-01-01T00:{:02}:00Z", i * 2 + 2),
               "session": session, "transcript": format!("sentence number {i} about the boss fight and the gym leader"),
               "duration": 120.0, "sentiment": "positive", "topics": ["boss", "gym"], "summary": format!("summary {i}"),
               "patterns": {"energy_level": 0.5}, "chat_summary": {"message_count": 3, "participants": ["a", "b"], "velocity": 1.5}})
    }

    #[test]
    fn datasets_follow_the_reference_shapes() {
        let list: Vec<Value> = (0..6).map(|i| ctx(i, "s1")).chain([ctx(9, "s2")]).collect();
        let conv = dataset(Kind::Conversation, &list, 10);
        assert_eq!(conv.len(), 7);
        assert_eq!(
            conv[0]["context"]["chat_activity"],
            json!({"message_count": 3, "participants": 2, "velocity": 1.5})
        );
        assert!(
            dataset(Kind::Conversation, &list, 50).is_empty(),
            "min_length in words"
        );
        let temporal = dataset(Kind::Temporal, &list, 0);
        assert_eq!(
            temporal.len(),
            2,
            "six contexts in s1 make two runs of five; s2 has one"
        );
        assert_eq!(temporal[0]["metadata"]["total_duration"], 600.0);
        let line = openai_line(&conv[0]);
        assert_eq!(line["messages"][2]["content"], "summary 0");
        let mut m = Map::new();
        flatten("", &dataset(Kind::Multimodal, &list[..1], 0)[0], &mut m);
        assert_eq!(m["topics"], "boss,gym");
        assert_eq!(m["chat_participants"], "a,b");
        assert_eq!(m["metadata_session"], "s1");
    }

    #[test]
    fn files_are_written_per_format() {
        let dir = tempfile::tempdir().unwrap();
        let list: Vec<Value> = (0..10).map(|i| ctx(i, "s1")).collect();
        let ex = dataset(Kind::Conversation, &list, 0);
        let args = |format| ExportArgs {
            format,
            kind: Kind::Conversation,
            days: 30,
            session: None,
            output_dir: dir.path().into(),
            max_examples: 1000,
            train_split: 0.8,
            min_length: 0,
        };
        let hf = write(&args(Format::Huggingface), &ex, "t").unwrap();
        let lines = |p: &PathBuf| std::fs::read_to_string(p).unwrap().lines().count();
        assert_eq!((lines(&hf[0]), lines(&hf[1])), (8, 2));
        let csv = write(&args(Format::Csv), &ex, "t").unwrap();
        let text = std::fs::read_to_string(&csv[0]).unwrap();
        assert!(
            text.lines()
                .next()
                .unwrap()
                .starts_with("context_chat_activity_message_count,"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 11);
        let oa = write(&args(Format::Openai), &ex, "t").unwrap();
        let first: Value = serde_json::from_str(
            std::fs::read_to_string(&oa[0])
                .unwrap()
                .lines()
                .next()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            first["messages"][1]["content"],
            "Analyze this stream moment: sentence number 0 about the boss fight and the gym leader"
        );
    }
}
