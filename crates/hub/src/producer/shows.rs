//! Show detection from a `channel.update`: by Twitch
//! category id first, then by category name.

/// The show for a category, or `None` when nothing matches (keep the current show's
/// default, `variety`).
pub fn show_for(category_id: Option<&str>, category_name: Option<&str>) -> &'static str {
    match category_id {
        Some("13332") => return "ironmon",
        Some("1469308723") => return "coding",
        Some("509658") => return "variety",
        _ => {}
    }
    // Twitch spells it "Pokémon": fold the accent so the name rule still matches.
    let name = category_name.unwrap_or("").to_lowercase().replace('é', "e");
    if name.contains("pokemon") && name.contains("fire") {
        "ironmon"
    } else if name.contains("software") || name.contains("development") {
        "coding"
    } else {
        "variety"
    }
}

#[cfg(test)]
mod tests {
    use super::show_for;

    #[test]
    fn by_id_then_by_name() {
        assert_eq!(
            show_for(Some("13332"), Some("Just Chatting")),
            "ironmon",
            "the id wins"
        );
        assert_eq!(show_for(Some("1469308723"), None), "coding");
        assert_eq!(show_for(Some("509658"), None), "variety");
        assert_eq!(
            show_for(Some("1"), Some("Pokémon FireRed/LeafGreen")),
            "ironmon"
        );
        assert_eq!(
            show_for(Some("1"), Some("Pokemon FireRed Version")),
            "ironmon"
        );
        assert_eq!(
            show_for(None, Some("Software and Game Development")),
            "coding"
        );
        assert_eq!(show_for(None, Some("Just Chatting")), "variety");
        assert_eq!(show_for(None, None), "variety");
    }
}
