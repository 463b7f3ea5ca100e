//! UID sets on the wire ("1:5,7,9:12") and the newest-first chunking of a header sync.

/// The compact IMAP form of `uids` (any order, duplicates allowed). Empty for no UIDs.
pub fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// Splits `uids` (sorted newest first) into chunks: a small first one so the list fills at
/// once, then bigger ones that keep round trips and transactions few.
pub fn chunks(uids: &[u32], first: usize, rest: usize) -> Vec<Vec<u32>> {
    let (first, rest) = (first.max(1), rest.max(1));
    let mut out = Vec::new();
    let mut at = 0;
    while at < uids.len() {
        let size = if out.is_empty() { first } else { rest };
        let end = (at + size).min(uids.len());
        out.push(uids[at..end].to_vec());
        at = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_compact() {
        assert_eq!(uid_set(&[]), "");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[9, 1, 2, 3, 7, 10, 11, 12, 3]), "1:3,7,9:12");
    }

    #[test]
    fn first_chunk_is_small() {
        let uids: Vec<u32> = (1..=25).rev().collect();
        let c = chunks(&uids, 5, 10);
        assert_eq!(c.iter().map(Vec::len).collect::<Vec<_>>(), [5, 10, 10]);
        assert_eq!(c[0][0], 25, "newest first");
        assert!(chunks(&[], 5, 10).is_empty());
    }
}
