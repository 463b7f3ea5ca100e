//! Messages with the vocabulary of real mail, for search benchmarks: `message` repeats the
//! same few sentences in every body, so any word of it matches most of a mailbox. Here each
//! body draws 40 to 400 words from a vocabulary of about 20,000 (a few hundred common
//! English words, then made-up ones), with word frequencies falling off as in natural
//! language (Zipf: the k-th word about 1/k as often as the first); senders come from a pool
//! of 400 people. Deterministic like the rest of this module.

use super::encode::{encoded_words, rfc5322_date};
use super::{mix, unix_time};

const COMMON: &[&str] = &[
    "the",
    "and",
    "to",
    "of",
    "a",
    "in",
    "is",
    "that",
    "for",
    "it",
    "on",
    "with",
    "as",
    "we",
    "this",
    "be",
    "are",
    "you",
    "at",
    "have",
    "will",
    "from",
    "by",
    "or",
    "not",
    "can",
    "but",
    "all",
    "your",
    "our",
    "if",
    "please",
    "thanks",
    "meeting",
    "project",
    "report",
    "budget",
    "review",
    "team",
    "week",
    "today",
    "tomorrow",
    "draft",
    "invoice",
    "schedule",
    "update",
    "release",
    "customer",
    "contract",
    "deadline",
    "agenda",
    "minutes",
    "travel",
    "hotel",
    "flight",
    "conference",
    "proposal",
    "design",
    "server",
    "database",
    "backup",
    "network",
    "security",
    "password",
    "account",
    "payment",
    "order",
    "delivery",
    "shipping",
    "warehouse",
    "inventory",
    "quarterly",
    "annual",
    "forecast",
    "revenue",
    "marketing",
    "campaign",
    "launch",
    "feedback",
    "survey",
    "training",
    "workshop",
    "holiday",
    "birthday",
    "dinner",
    "lunch",
    "coffee",
    "office",
    "building",
    "parking",
    "kitchen",
    "garden",
    "weekend",
    "family",
    "children",
    "school",
    "doctor",
    "appointment",
    "insurance",
    "tax",
    "bank",
    "loan",
    "mortgage",
    "café",
    "résumé",
    "naïve",
    "Zürich",
    "München",
    "Málaga",
    "Kraków",
    "São",
    "Paulo",
    "Ørsted",
];

const FIRST: &[&str] = &[
    "Ana", "Ben", "Carla", "David", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kofi", "Lena",
    "Marta", "Nils", "Olga", "Pablo", "Queenie", "Rafael", "Sofia", "Tomás", "Uma", "Viktor", "Wen",
    "Xavier", "Yara", "Zoë", "Jürgen", "Chloé", "Søren", "Łucja",
];

const LAST: &[&str] = &[
    "Lima", "Okafor", "Schmidt", "Nakamura", "Rossi", "Dubois", "Novak", "Andersen", "García", "Müller",
    "Kowalski", "Haddad", "O'Brien",
];

const VOCABULARY: usize = 20_000;
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ber", "dan", "fel", "gor", "hin", "jas", "kel", "mor",
    "nal", "pes", "quo", "ris", "sul", "tan", "ven", "wol", "xer", "yin", "zed",
];

/// Word `k` of the vocabulary: the common words first, then made-up ones of 2 to 4
/// syllables (distinct for each k).
pub fn word(k: usize) -> String {
    if let Some(w) = COMMON.get(k) {
        return (*w).to_string();
    }
    let mut n = k - COMMON.len();
    let mut w = String::new();
    let base = SYLLABLES.len();
    w.push_str(SYLLABLES[n % base]);
    n /= base;
    loop {
        w.push_str(SYLLABLES[n % base]);
        n /= base;
        if n == 0 {
            break;
        }
    }
    w
}

/// A word index drawn with Zipf-like frequencies from `seed`.
fn zipf(seed: u64) -> usize {
    // Inverse of the continuous Zipf CDF over [1, V]: k = V^u, u uniform in [0, 1).
    let u = (mix(seed) >> 11) as f64 / (1u64 << 53) as f64;
    let k = (VOCABULARY as f64).powf(u) as usize;
    k.saturating_sub(1).min(VOCABULARY - 1)
}

/// Person `i` of the sender pool: (display name, address).
pub fn person(i: usize) -> (String, String) {
    let first = FIRST[i % FIRST.len()];
    let last = LAST[(i / FIRST.len()) % LAST.len()];
    let ascii: String = format!("{first}.{last}")
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { 'x' })
        .collect();
    (format!("{first} {last}"), format!("{ascii}{}@example.org", i / (FIRST.len() * LAST.len())))
}

/// Message `i` addressed to `to`: a plain-text or an HTML body in UTF-8 of natural-language
/// word frequencies.
pub fn prose_message(i: usize, to: &str) -> Vec<u8> {
    let seed = (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D);
    let (name, addr) = person((mix(seed ^ 1) % 400) as usize);
    let subject_words = 2 + (mix(seed ^ 2) % 5) as usize;
    let subject: Vec<String> = (0..subject_words).map(|k| word(zipf(seed ^ (100 + k as u64)))).collect();
    let len = 40 + (mix(seed ^ 3) % 360) as usize;
    let mut body = String::new();
    for k in 0..len {
        body.push_str(&word(zipf(seed ^ (1000 + k as u64))));
        body.push(if k % 12 == 11 { '\n' } else { ' ' });
    }
    let date = rfc5322_date(unix_time(i), 60);
    let html = i % 4 == 3;
    let (ctype, text) = if html {
        ("text/html", format!("<html><body><p>{}</p></body></html>\n", body.replace('\n', "</p><p>")))
    } else {
        ("text/plain", body)
    };
    format!(
        "Date: {date}\r\nFrom: {} <{addr}>\r\nTo: <{to}>\r\nSubject: {}\r\nMessage-ID: <prose.{i}@example.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: {ctype}; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}",
        encoded_words(&name),
        encoded_words(&subject.join(" ")),
        text.replace('\n', "\r\n")
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_distinct_and_frequencies_fall_off() {
        let words: std::collections::HashSet<String> = (0..VOCABULARY).map(word).collect();
        assert_eq!(words.len(), VOCABULARY);
        let mut counts = vec![0usize; VOCABULARY];
        for s in 0..100_000u64 {
            counts[zipf(s)] += 1;
        }
        assert!(counts[0] > counts[10] && counts[10] > counts[1000], "{:?}", &counts[..12]);
        assert!(counts[5000..].iter().any(|&c| c > 0), "rare words occur too");
        let m = prose_message(7, "bob@example.test");
        assert_eq!(m, prose_message(7, "bob@example.test"));
        assert!(String::from_utf8(m).unwrap().contains("Message-ID: <prose.7@example.test>"));
    }
}
