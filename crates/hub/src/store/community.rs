//! Community: members, pronunciation overrides, vocabulary.

use super::{like_pattern, micros, Result, Store};
use crate::with_pool;
use chrono::{DateTime, Utc};
use landale_core::fields::add;
use landale_core::FieldErrors;
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Member {
    pub username: String,
    pub display_name: Option<String>,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: DateTime<Utc>,
    pub message_count: i64,
    pub pronunciation_guide: Option<String>,
    pub preferred_name: Option<String>,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Pronunciation {
    pub username: String,
    pub phonetic: String,
    pub confidence: f64,
    pub created_by: Option<String>,
    #[sqlx(rename = "inserted_at")]
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Vocabulary {
    pub phrase: String,
    pub category: String,
    pub definition: Option<String>,
    pub context: Option<String>,
    pub usage_count: i64,
    pub tags: Json<Vec<String>>,
    pub first_used: Option<DateTime<Utc>>,
}

pub const VOCAB_CATEGORIES: [&str; 6] = [
    "meme",
    "inside_joke",
    "catchphrase",
    "emote_phrase",
    "reference",
    "slang",
];

/// A string field: `required`, at most `max` characters.
fn string(
    p: &Value,
    k: &str,
    max: usize,
    required: bool,
    errors: &mut FieldErrors,
) -> Option<String> {
    match p.get(k) {
        None | Some(Value::Null) => {
            if required {
                add(errors, k, "is required");
            }
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() && required => {
            add(errors, k, "is required");
            None
        }
        Some(Value::String(s)) if s.chars().count() > max => {
            add(
                errors,
                k,
                format!("is too long (maximum is {max} characters)"),
            );
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            add(errors, k, "must be a string");
            None
        }
    }
}

pub struct NewPronunciation {
    pub username: String,
    pub phonetic: String,
    pub confidence: f64,
    pub created_by: Option<String>,
}

impl NewPronunciation {
    pub fn parse(p: &Value) -> std::result::Result<Self, FieldErrors> {
        let mut e = FieldErrors::new();
        let username = string(p, "username", 255, true, &mut e);
        let phonetic = string(p, "phonetic", 500, true, &mut e);
        let created_by = string(p, "created_by", 255, false, &mut e);
        let confidence = match p.get("confidence") {
            None | Some(Value::Null) => 1.0,
            Some(v) => match v.as_f64() {
                Some(c) if c > 0.0 && c <= 1.0 => c,
                _ => {
                    add(&mut e, "confidence", "must be greater than 0 and at most 1");
                    1.0
                }
            },
        };
        if !e.is_empty() {
            return Err(e);
        }
        Ok(NewPronunciation {
            username: username.unwrap_or_default().to_lowercase(),
            phonetic: phonetic.unwrap_or_default(),
            confidence,
            created_by,
        })
    }
}

pub struct NewVocabulary {
    pub phrase: String,
    pub category: String,
    pub definition: Option<String>,
    pub context: Option<String>,
    pub tags: Vec<String>,
}

impl NewVocabulary {
    pub fn parse(p: &Value) -> std::result::Result<Self, FieldErrors> {
        let mut e = FieldErrors::new();
        let phrase = string(p, "phrase", 500, true, &mut e);
        let category = string(p, "category", 50, true, &mut e);
        if let Some(c) = &category {
            if !VOCAB_CATEGORIES.contains(&c.as_str()) {
                add(
                    &mut e,
                    "category",
                    format!("must be one of: {}", VOCAB_CATEGORIES.join(", ")),
                );
            }
        }
        let definition = string(p, "definition", 1000, false, &mut e);
        let context = string(p, "context", 1000, false, &mut e);
        let tags = match p.get("tags") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(items))
                if items.iter().all(|t| {
                    t.as_str()
                        .is_some_and(|s| (1..=50).contains(&s.chars().count()))
                }) =>
            {
                items
                    .iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect()
            }
            Some(_) => {
                add(
                    &mut e,
                    "tags",
                    "must be a list of strings of 1 to 50 characters",
                );
                vec![]
            }
        };
        if !e.is_empty() {
            return Err(e);
        }
        Ok(NewVocabulary {
            phrase: phrase.unwrap_or_default().trim().to_lowercase(),
            category: category.unwrap_or_default(),
            definition,
            context,
            tags,
        })
    }
}

const MEMBER_COLS: &str =
    "username, display_name, first_seen, last_seen, message_count, pronunciation_guide, preferred_name";
const VOCAB_COLS: &str = "phrase, category, definition, context, usage_count, tags, first_used";

impl Store {
    pub async fn active_members(&self, limit: i64) -> Result<Vec<Member>> {
        let sql = format!("SELECT {MEMBER_COLS} FROM community_members WHERE active = TRUE ORDER BY last_seen DESC LIMIT $1");
        Ok(with_pool!(self, p => sqlx::query_as(&sql).bind(limit).fetch_all(p).await?))
    }

    /// Record a message from `username`: creates the member (returns `true`) or bumps it.
    pub async fn member_activity(
        &self,
        username: &str,
        display_name: Option<&str>,
    ) -> Result<(Member, bool)> {
        let now = micros(Utc::now());
        let username = username.to_lowercase();
        let existed: Option<(i64,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT message_count FROM community_members WHERE username = $1",
        )
        .bind(&username)
        .fetch_optional(p)
        .await?);
        let sql = format!(
            "INSERT INTO community_members (id, username, display_name, first_seen, last_seen, message_count, active, inserted_at, updated_at)
             VALUES ($1, $2, $3, $4, $4, 1, TRUE, $4, $4)
             ON CONFLICT (username) DO UPDATE SET last_seen = excluded.last_seen,
               message_count = community_members.message_count + 1,
               display_name = COALESCE(excluded.display_name, community_members.display_name),
               updated_at = excluded.updated_at
             RETURNING {MEMBER_COLS}"
        );
        let m: Member = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(Uuid::new_v4())
            .bind(&username)
            .bind(display_name)
            .bind(now)
            .fetch_one(p)
            .await?);
        Ok((m, existed.is_none()))
    }

    /// `{active_members, total_messages, weekly_active}`.
    pub async fn community_stats(&self) -> Result<Value> {
        let week = Utc::now() - chrono::Duration::days(7);
        let row: (i64, i64, i64) = with_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(message_count), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN last_seen >= $1 THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM community_members WHERE active = TRUE",
        )
        .bind(week)
        .fetch_one(p)
        .await?);
        Ok(
            serde_json::json!({"active_members": row.0, "total_messages": row.1, "weekly_active": row.2}),
        )
    }

    pub async fn list_pronunciations(&self) -> Result<Vec<Pronunciation>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT username, phonetic, confidence, created_by, inserted_at FROM pronunciation_overrides WHERE active = TRUE ORDER BY username",
        )
        .fetch_all(p)
        .await?))
    }

    /// Insert or replace the override for a username.
    pub async fn upsert_pronunciation(&self, n: &NewPronunciation) -> Result<()> {
        let now = micros(Utc::now());
        with_pool!(self, p => sqlx::query(
            "INSERT INTO pronunciation_overrides (id, username, phonetic, confidence, created_by, active, inserted_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, TRUE, $6, $6)
             ON CONFLICT (username) DO UPDATE SET phonetic = excluded.phonetic, confidence = excluded.confidence,
               created_by = excluded.created_by, active = TRUE, updated_at = excluded.updated_at",
        )
        .bind(Uuid::new_v4())
        .bind(&n.username)
        .bind(&n.phonetic)
        .bind(n.confidence)
        .bind(&n.created_by)
        .bind(now)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// The override first, then the member's own guide.
    pub async fn pronunciation_for(&self, username: &str) -> Result<Option<String>> {
        let u = username.to_lowercase();
        let o: Option<(String,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT phonetic FROM pronunciation_overrides WHERE username = $1 AND active = TRUE",
        )
        .bind(&u)
        .fetch_optional(p)
        .await?);
        if let Some((ph,)) = o {
            return Ok(Some(ph));
        }
        let m: Option<(Option<String>,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT pronunciation_guide FROM community_members WHERE LOWER(username) = $1",
        )
        .bind(&u)
        .fetch_optional(p)
        .await?);
        Ok(m.and_then(|m| m.0))
    }

    pub async fn list_vocabulary(
        &self,
        category: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Vocabulary>> {
        let sql = format!(
            "SELECT {VOCAB_COLS} FROM community_vocabulary WHERE active = TRUE AND ($1 IS NULL OR category = $1)
             ORDER BY usage_count DESC, phrase LIMIT $2"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(&sql).bind(category).bind(limit).fetch_all(p).await?),
        )
    }

    /// Create a phrase; `Ok(None)` when it already exists.
    pub async fn create_vocabulary(&self, v: &NewVocabulary) -> Result<Option<Vocabulary>> {
        let now = micros(Utc::now());
        let sql = format!(
            "INSERT INTO community_vocabulary (id, phrase, category, definition, context, first_used, usage_count, tags, active, inserted_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, TRUE, $6, $6) ON CONFLICT (phrase) DO NOTHING RETURNING {VOCAB_COLS}"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&sql)
            .bind(Uuid::new_v4())
            .bind(&v.phrase)
            .bind(&v.category)
            .bind(&v.definition)
            .bind(&v.context)
            .bind(now)
            .bind(Json(&v.tags))
            .fetch_optional(p)
            .await?))
    }

    pub async fn search_vocabulary(&self, q: &str, limit: i64) -> Result<Vec<Vocabulary>> {
        let sql = format!(
            "SELECT {VOCAB_COLS} FROM community_vocabulary WHERE active = TRUE
             AND (LOWER(phrase) LIKE $1 ESCAPE '\\' OR LOWER(COALESCE(definition, '')) LIKE $1 ESCAPE '\\')
             ORDER BY usage_count DESC, phrase LIMIT $2"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(&sql).bind(like_pattern(q)).bind(limit).fetch_all(p).await?),
        )
    }
}
