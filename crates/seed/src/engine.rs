//! The embedded model: a small instruct model run in process by llama.cpp (through
//! `llama-cpp-2`, behind the `embedded` feature), so seed needs no LLM server.
//!
//! One window at a time on its own thread, greedy, with JSON-schema-constrained
//! sampling (the schema becomes a llama.cpp grammar), so the answer always parses. It
//! is asked only for a summary, topics, mood and sentiment; everything countable is
//! counted in Rust. The prompt is capped near 1,500 tokens.

use crate::analysis::{self, Analysis};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The default model's file in the model cache (`cargo xtask model llm`).
pub const DEFAULT_MODEL: &str = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf";
/// Prompt tokens at most, and the answer's.
pub const PROMPT_TOKENS: usize = 1500;
pub const ANSWER_TOKENS: usize = 256;

/// What the embedded model is asked for.
pub fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "context": {"type": "string", "minLength": 10, "maxLength": 300},
            "topics": {"type": "array", "items": {"type": "string", "minLength": 2, "maxLength": 40}, "minItems": 1, "maxItems": 4},
            "mood": {"type": "string", "minLength": 3, "maxLength": 20},
            "sentiment": {"type": "string", "enum": ["positive", "negative", "neutral", "mixed"]}
        },
        "required": ["context", "topics", "mood", "sentiment"]
    })
}

/// The model's answer on top of seed's own counts.
pub fn merge(v: &Value, counted: Analysis, model: &str) -> Result<Analysis, String> {
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let summary = s("context").ok_or("the model gave no context")?;
    let sentiment = s("sentiment")
        .filter(|x| analysis::SENTIMENTS.contains(&x.as_str()))
        .ok_or("the model gave no sentiment")?;
    let topics: Vec<String> = v
        .get("topics")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Ok(Analysis {
        summary,
        sentiment,
        topics,
        mood: s("mood"),
        source: analysis::Source::Llm {
            model: model.to_string(),
        },
        ..counted
    })
}

/// Where the embedded model is: the setting, else the default in the model cache.
pub fn model_path(setting: Option<&str>, data_dir: &Path) -> PathBuf {
    setting
        .map(PathBuf::from)
        .unwrap_or_else(|| landale_core::settings::model_cache(data_dir).join(DEFAULT_MODEL))
}

#[cfg(feature = "embedded")]
pub use imp::Engine;

#[cfg(feature = "embedded")]
mod imp {
    use llama_cpp_2::context::params::LlamaContextParams;
    use llama_cpp_2::llama_backend::LlamaBackend;
    use llama_cpp_2::llama_batch::LlamaBatch;
    use llama_cpp_2::model::params::LlamaModelParams;
    use llama_cpp_2::model::{LlamaChatMessage, LlamaModel};
    use llama_cpp_2::sampling::LlamaSampler;
    use std::num::NonZeroU32;
    use std::path::Path;

    pub struct Engine {
        backend: LlamaBackend,
        model: LlamaModel,
        grammar: String,
        threads: i32,
        pub name: String,
    }

    /// What one generation did.
    pub struct Output {
        pub text: String,
        pub prompt_tokens: usize,
        pub generated: usize,
        /// Stopped at the token cap rather than at the end of the answer.
        pub truncated: bool,
    }

    impl Engine {
        /// Load a GGUF file (blocking: call from a blocking thread).
        pub fn load(path: &Path, threads: i32) -> Result<Engine, String> {
            if !path.is_file() {
                return Err(format!(
                    "{} does not exist (run `cargo xtask model llm`, or set SEED_LLM__MODEL_PATH)",
                    path.display()
                ));
            }
            let mut head = [0u8; 4];
            use std::io::Read;
            std::fs::File::open(path)
                .and_then(|mut f| f.read_exact(&mut head))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if &head != b"GGUF" {
                return Err(format!("{} is not a GGUF model file", path.display()));
            }
            let mut backend = LlamaBackend::init().map_err(|e| format!("llama.cpp: {e}"))?;
            backend.void_logs();
            let model = LlamaModel::load_from_file(&backend, path, &LlamaModelParams::default())
                .map_err(|e| format!("{}: cannot load it: {e}", path.display()))?;
            let grammar = llama_cpp_2::json_schema_to_grammar(&super::schema().to_string())
                .map_err(|e| format!("schema → grammar: {e}"))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            Ok(Engine {
                backend,
                model,
                grammar,
                threads,
                name,
            })
        }

        /// Tokens of `text` as the model counts them.
        pub fn count_tokens(&self, text: &str) -> usize {
            self.model
                .vocab()
                .tokenize(text.as_bytes(), false, true)
                .len()
        }

        /// One greedy, grammar-constrained answer (blocking).
        pub fn generate(&self, system: &str, user: &str) -> Result<Output, String> {
            let template = self
                .model
                .chat_template(None)
                .map_err(|e| format!("the model has no chat template: {e}"))?;
            let messages = [
                LlamaChatMessage::new("system".into(), system.into()).map_err(|e| e.to_string())?,
                LlamaChatMessage::new("user".into(), user.into()).map_err(|e| e.to_string())?,
            ];
            let prompt = self
                .model
                .apply_chat_template(&template, &messages, true)
                .map_err(|e| e.to_string())?;
            let vocab = self.model.vocab();
            let tokens = vocab.tokenize(prompt.as_bytes(), true, true);
            let n_ctx = (super::PROMPT_TOKENS + super::ANSWER_TOKENS + 256) as u32;
            if tokens.len() + super::ANSWER_TOKENS > n_ctx as usize {
                return Err(format!(
                    "the prompt is {} tokens; at most {} fit",
                    tokens.len(),
                    n_ctx as usize - super::ANSWER_TOKENS
                ));
            }
            let params = LlamaContextParams::default()
                .with_n_ctx(NonZeroU32::new(n_ctx))
                .with_n_batch(512)
                .with_n_threads(self.threads)
                .with_n_threads_batch(self.threads);
            let mut ctx = self
                .model
                .new_context(&self.backend, params)
                .map_err(|e| format!("llama.cpp context: {e}"))?;
            let mut batch = LlamaBatch::new(512, 1);
            let last = tokens.len() - 1;
            for (i, chunk) in tokens.chunks(512).enumerate() {
                batch.clear();
                for (j, t) in chunk.iter().enumerate() {
                    let pos = i * 512 + j;
                    batch
                        .add(*t, pos as i32, &[0], pos == last)
                        .map_err(|e| e.to_string())?;
                }
                ctx.decode(&mut batch)
                    .map_err(|e| format!("llama.cpp decode: {e}"))?;
            }
            let mut sampler = LlamaSampler::chain_simple([
                LlamaSampler::grammar(&self.model, &self.grammar, "root")
                    .map_err(|e| format!("grammar: {e}"))?,
                LlamaSampler::greedy(),
            ]);
            let mut out = Vec::new();
            let mut pos = tokens.len() as i32;
            let mut generated = 0;
            let mut truncated = true;
            while generated < super::ANSWER_TOKENS {
                let token = sampler.sample(&ctx, batch.n_tokens() - 1);
                if vocab.is_eog(token) {
                    truncated = false;
                    break;
                }
                out.extend(vocab.token_to_piece(token, false, None));
                generated += 1;
                batch.clear();
                batch
                    .add(token, pos, &[0], true)
                    .map_err(|e| e.to_string())?;
                pos += 1;
                ctx.decode(&mut batch)
                    .map_err(|e| format!("llama.cpp decode: {e}"))?;
            }
            Ok(Output {
                text: String::from_utf8_lossy(&out).into_owned(),
                prompt_tokens: tokens.len(),
                generated,
                truncated,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_models_words_over_the_counts() {
        let counted = analysis::deterministic(&[], &[], &[], "x");
        let a = merge(&json!({"context": "A tense boss fight.", "topics": ["boss"], "mood": "tense", "sentiment": "mixed"}), counted.clone(), "m").unwrap();
        assert_eq!(
            (a.summary.as_str(), a.sentiment.as_str(), a.mood.as_deref()),
            ("A tense boss fight.", "mixed", Some("tense"))
        );
        assert_eq!(a.patterns, counted.patterns, "numbers stay counted");
        assert_eq!(a.kind(), "llm");
        assert!(merge(
            &json!({"context": "", "sentiment": "positive"}),
            counted,
            "m"
        )
        .is_err());
    }
}
