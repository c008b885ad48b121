-- Landale schema for SQLite (the embedded default). Mirrors migrations/postgres; see
-- ARCHITECTURE.md "Storage" for the departures from the reference schema.

CREATE TABLE hub_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Activity log: every storable event, the whole normalised event in `data`.
CREATE TABLE events (
    id             TEXT PRIMARY KEY,
    seq            INTEGER NOT NULL,
    timestamp      TEXT NOT NULL,
    event_type     TEXT NOT NULL,
    user_id        TEXT,
    user_login     TEXT,
    user_name      TEXT,
    data           TEXT NOT NULL,
    correlation_id TEXT,
    inserted_at    TEXT NOT NULL
);
CREATE INDEX events_timestamp ON events (timestamp);
CREATE INDEX events_type_timestamp ON events (event_type, timestamp);
CREATE INDEX events_user_timestamp ON events (user_id, timestamp);
CREATE INDEX events_correlation ON events (correlation_id);
CREATE INDEX events_seq ON events (seq);

CREATE TABLE users (
    twitch_id    TEXT PRIMARY KEY,
    login        TEXT NOT NULL UNIQUE,
    display_name TEXT,
    nickname     TEXT,
    pronouns     TEXT,
    notes        TEXT,
    inserted_at  TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX users_display_name ON users (display_name);

CREATE TABLE transcriptions (
    id                BLOB PRIMARY KEY,
    seq               INTEGER NOT NULL DEFAULT 0,
    timestamp         TEXT NOT NULL,
    duration          REAL NOT NULL,
    text              TEXT NOT NULL,
    source_id         TEXT,
    stream_session_id TEXT,
    confidence        REAL,
    metadata          TEXT NOT NULL DEFAULT '{}',
    inserted_at       TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX transcriptions_timestamp ON transcriptions (timestamp);
CREATE INDEX transcriptions_session ON transcriptions (stream_session_id, timestamp);
CREATE INDEX transcriptions_source ON transcriptions (source_id);

CREATE TABLE contexts (
    id           BLOB PRIMARY KEY,
    started      TEXT NOT NULL,
    ended        TEXT NOT NULL,
    session      TEXT NOT NULL,
    transcript   TEXT NOT NULL,
    duration     REAL NOT NULL,
    chat         TEXT,
    interactions TEXT,
    emotes       TEXT,
    patterns     TEXT,
    sentiment    TEXT,
    topics       TEXT NOT NULL DEFAULT '[]',
    inserted_at  TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX contexts_started ON contexts (started);
CREATE INDEX contexts_session ON contexts (session);
CREATE INDEX contexts_sentiment ON contexts (sentiment);

CREATE TABLE community_members (
    id                  BLOB PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE,
    display_name        TEXT,
    first_seen          TEXT,
    last_seen           TEXT NOT NULL,
    message_count       INTEGER NOT NULL DEFAULT 0,
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    pronunciation_guide TEXT,
    notes               TEXT,
    preferred_name      TEXT,
    inserted_at         TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX community_members_active ON community_members (active, last_seen);

CREATE TABLE pronunciation_overrides (
    id          BLOB PRIMARY KEY,
    username    TEXT NOT NULL UNIQUE,
    phonetic    TEXT NOT NULL,
    confidence  REAL NOT NULL DEFAULT 1.0,
    created_by  TEXT,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    inserted_at TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE community_vocabulary (
    id          BLOB PRIMARY KEY,
    phrase      TEXT NOT NULL UNIQUE,
    category    TEXT NOT NULL,
    definition  TEXT,
    context     TEXT,
    first_used  TEXT,
    usage_count INTEGER NOT NULL DEFAULT 1,
    tags        TEXT NOT NULL DEFAULT '[]',
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    inserted_at TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX community_vocabulary_category ON community_vocabulary (category, active);

CREATE TABLE oauth_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    service       TEXT NOT NULL UNIQUE,
    access_token  TEXT NOT NULL,
    refresh_token TEXT,
    expires_at    TEXT,
    scopes        TEXT NOT NULL DEFAULT '[]',
    user_id       TEXT,
    client_id     TEXT,
    encrypted     BOOLEAN NOT NULL DEFAULT TRUE,
    inserted_at   TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- IronMON (reference §10.1, §10.3).
CREATE TABLE challenges (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE checkpoints (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL UNIQUE,
    trainer      TEXT NOT NULL,
    "order"      INTEGER NOT NULL,
    challenge_id INTEGER NOT NULL REFERENCES challenges (id) ON DELETE RESTRICT
);
CREATE INDEX checkpoints_challenge ON checkpoints (challenge_id, "order");
CREATE TABLE seeds (
    id           INTEGER PRIMARY KEY,
    challenge_id INTEGER NOT NULL REFERENCES challenges (id),
    inserted_at  TEXT
);
CREATE INDEX seeds_challenge ON seeds (challenge_id);
CREATE TABLE results (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    seed_id       INTEGER NOT NULL REFERENCES seeds (id),
    checkpoint_id INTEGER NOT NULL REFERENCES checkpoints (id),
    result        BOOLEAN NOT NULL,
    UNIQUE (seed_id, checkpoint_id)
);
CREATE INDEX results_checkpoint ON results (checkpoint_id, result);

INSERT INTO challenges (name) VALUES ('Kaizo IronMON');
INSERT INTO checkpoints (name, trainer, "order", challenge_id) VALUES
    ('LAB', 'None', 1, 1), ('RIVAL1', 'Rival', 2, 1), ('FIRSTTRAINER', 'Trainer', 3, 1),
    ('RIVAL2', 'Rival', 4, 1), ('BROCK', 'Brock', 5, 1), ('RIVAL3', 'Rival', 6, 1),
    ('RIVAL4', 'Rival', 7, 1), ('MISTY', 'Misty', 8, 1), ('SURGE', 'Surge', 9, 1),
    ('RIVAL5', 'Rival', 10, 1), ('ROCKETHIDEOUT', 'Giovanni', 11, 1), ('ERIKA', 'Erika', 12, 1),
    ('KOGA', 'Koga', 13, 1), ('RIVAL6', 'Rival', 14, 1), ('SILPHCO', 'Giovanni', 15, 1),
    ('SABRINA', 'Sabrina', 16, 1), ('BLAINE', 'Blaine', 17, 1), ('GIOVANNI', 'Giovanni', 18, 1),
    ('RIVAL7', 'Rival', 19, 1), ('LORELAI', 'Lorelai', 20, 1), ('BRUNO', 'Bruno', 21, 1),
    ('AGATHA', 'Agatha', 22, 1), ('LANCE', 'Lance', 23, 1), ('CHAMP', 'Champion', 24, 1);
