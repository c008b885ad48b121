//! Rainwave's `info` answer, read into what Landale shows (reference §9.6): whether
//! the streamer is tuned in (`user.id` equals the configured id, string or number),
//! the station's name, and the song from `sched_current.songs[0]` with its times.
//! Pure: no I/O.

use serde::Serialize;
use serde_json::Value;

/// Rainwave's stations: id, name, short name.
pub const STATIONS: [(u32, &str, &str); 5] = [
    (1, "Video Game Music", "game"),
    (2, "OCR Radio", "ocremix"),
    (3, "Covers", "covers"),
    (4, "Chiptunes", "chiptunes"),
    (5, "All", "all"),
];

/// A station by number or short name.
pub fn station_id(v: &str) -> Option<u32> {
    let v = v.trim().to_lowercase();
    STATIONS
        .iter()
        .find(|(id, name, short)| v == id.to_string() || v == *short || v == name.to_lowercase())
        .map(|s| s.0)
}

pub fn station_name(id: u32) -> &'static str {
    STATIONS
        .iter()
        .find(|s| s.0 == id)
        .map(|s| s.1)
        .unwrap_or("Unknown")
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Song {
    pub id: Option<u64>,
    pub title: String,
    pub artist: String,
    pub album: String,
    /// Seconds.
    pub length: u64,
    /// Unix seconds.
    pub start_time: Option<u64>,
    pub end_time: Option<u64>,
    pub url: Option<String>,
    pub album_art: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NowPlaying {
    pub listening: bool,
    pub station_name: Option<String>,
    /// Only while listening.
    pub song: Option<Song>,
}

/// Read an `info` answer. `Err` when it is Rainwave's `{"error": ...}` or not the
/// documented shape.
pub fn read_info(body: &Value, user_id: &str, art_origin: &str) -> Result<NowPlaying, String> {
    if let Some(e) = body.get("error") {
        let text = e["text"].as_str().or(e.as_str()).unwrap_or("an error");
        return Err(format!("Rainwave said: {text}"));
    }
    let Some(current) = body.get("sched_current").filter(|v| v.is_object()) else {
        return Err("Rainwave's answer has no sched_current".into());
    };
    let listening = match &body["user"]["id"] {
        Value::String(s) => s.trim() == user_id,
        Value::Number(n) => n.to_string() == user_id,
        _ => false,
    };
    let station_name = body["station_name"].as_str().map(str::to_owned);
    let song = match (listening, current["songs"].get(0)) {
        (true, Some(s)) => {
            let names = |k: &str| -> Vec<String> {
                s[k].as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x["name"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let artists = names("artists");
            let album = s["albums"].get(0);
            Some(Song {
                id: s["id"].as_u64(),
                title: s["title"].as_str().unwrap_or("Unknown").to_string(),
                artist: if artists.is_empty() {
                    "Unknown".into()
                } else {
                    artists.join(", ")
                },
                album: album
                    .and_then(|a| a["name"].as_str())
                    .unwrap_or("Unknown")
                    .to_string(),
                length: s["length"].as_u64().unwrap_or(0),
                start_time: current["start_actual"]
                    .as_u64()
                    .or(current["start"].as_u64()),
                end_time: current["end"].as_u64(),
                url: s["url"]
                    .as_str()
                    .filter(|u| !u.is_empty())
                    .map(str::to_owned),
                album_art: album
                    .and_then(|a| a["art"].as_str())
                    .filter(|a| !a.is_empty())
                    .map(|a| format!("{art_origin}{a}_320.jpg")),
            })
        }
        _ => None,
    };
    Ok(NowPlaying {
        listening,
        station_name,
        song,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn info(user_id: Value) -> Value {
        json!({"user": {"id": user_id}, "station_name": "Covers",
               "sched_current": {"start": 100, "start_actual": 102, "end": 300,
                 "songs": [{"id": 7, "title": "Bloody Tears", "length": 198, "url": "",
                            "artists": [{"name": "A"}, {"name": "B"}],
                            "albums": [{"name": "Castlevania", "art": "/album_art/5"}]}]}})
    }

    #[test]
    fn a_song_while_listening() {
        let n = read_info(&info(json!(4242)), "4242", "https://rainwave.cc").unwrap();
        assert!(n.listening);
        let s = n.song.unwrap();
        assert_eq!(
            (
                s.artist.as_str(),
                s.album.as_str(),
                s.start_time,
                s.end_time
            ),
            ("A, B", "Castlevania", Some(102), Some(300))
        );
        assert_eq!(
            s.album_art.as_deref(),
            Some("https://rainwave.cc/album_art/5_320.jpg")
        );
        assert_eq!(s.url, None);
        assert!(
            read_info(&info(json!("4242")), "4242", "")
                .unwrap()
                .listening,
            "a string id matches too"
        );
    }

    #[test]
    fn not_listening_and_errors() {
        let n = read_info(&info(json!(1)), "4242", "").unwrap();
        assert!(!n.listening && n.song.is_none());
        assert_eq!(n.station_name.as_deref(), Some("Covers"));
        let e = read_info(
            &json!({"error": {"text": "Authorization failed."}}),
            "1",
            "",
        )
        .unwrap_err();
        assert_eq!(e, "Rainwave said: Authorization failed.");
        assert!(read_info(&json!({"user": {}}), "1", "").is_err());
        let bare = json!({"user": {"id": 1}, "sched_current": {"songs": [{}]}});
        let s = read_info(&bare, "1", "").unwrap().song.unwrap();
        assert_eq!(
            (
                s.title.as_str(),
                s.artist.as_str(),
                s.album.as_str(),
                s.length
            ),
            ("Unknown", "Unknown", "Unknown", 0)
        );
    }

    #[test]
    fn stations_by_number_or_name() {
        assert_eq!(station_id("2"), Some(2));
        assert_eq!(station_id("OCRemix"), Some(2));
        assert_eq!(station_id("Video Game Music"), Some(1));
        assert_eq!(station_id("9"), None);
        assert_eq!(station_name(4), "Chiptunes");
    }
}
