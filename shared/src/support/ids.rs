//! The ids this API mints: one format for all, `<prefix>_<ulid in lower case>` — sortable by
//! creation time, opaque to clients.

/// A new id such as `usr_01jd2q5y7w3k8n4m6p9r0s1t2v`.
pub fn mint(prefix: &str) -> String {
    format!("{prefix}_{}", ulid::Ulid::new().to_string().to_lowercase())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_prefixed_lower_case_ulids_in_creation_order() {
        let (a, b) = (super::mint("reg"), super::mint("reg"));
        assert!(a.starts_with("reg_") && a.len() == 30, "{a}");
        assert!(a[4..].bytes().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()), "{a}");
        assert!(a[4..14] <= b[4..14], "the time part orders ids by creation");
    }
}
