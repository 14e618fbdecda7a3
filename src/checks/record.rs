//! The evidence a check leaves: one serialisable record, written to the log as one event.
//!
//! Field names are part of the state file and the JSON report, so they only ever get added to.
//! Output is the world's: excerpts, the words left and even the argv went through the caller's
//! redaction before they got here.

use serde::{Deserialize, Serialize};

/// Everything a check run found out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRecord {
    /// What passing means, from the checklist.
    pub summary: String,
    /// The expectation: `empty`, `success`, `matches /REGEX/` or `fails with /REGEX/`.
    pub expect: String,
    /// Per command.
    pub timeout_ms: u64,
    /// How many commands ran at once at most.
    pub jobs: usize,
    pub passed: bool,
    /// Why the check failed as a whole, when it did not get to (all of) its items: the `foreach`
    /// command failed, printed a word that is not plain, or printed no words.
    pub problem: Option<String>,
    /// The `foreach` command and the words it gave.
    pub foreach: Option<ForeachRecord>,
    /// One per `foreach` word, in the order of the words; one without `foreach`.
    pub items: Vec<ItemRecord>,
    /// From the first command's start to the last one's end.
    pub duration_ms: u64,
    /// Bytes of excerpts kept for the whole check (at most 64 KiB).
    pub excerpt_bytes: usize,
    /// Some excerpt shows less than its command printed: a command's 4 KiB or the check's 64 KiB
    /// was reached. The byte counts and the hash always cover everything.
    pub excerpts_truncated: bool,
    /// sha256 of the check as it ran: its commands with the account and facts filled in, its
    /// expectation, timeout and summary ([`super::Plan::fingerprint`]). A run counts for the
    /// check the checklist has now only while this is the same.
    pub check_sha256: String,
}

/// The `foreach` variable, its command and its words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeachRecord {
    pub variable: String,
    pub command: CommandRecord,
    pub words: Vec<String>,
}

/// One run of the `run` command and whether it passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRecord {
    /// The `foreach` word (`eu-west-1`); `null` without `foreach`.
    pub item: Option<String>,
    pub passed: bool,
    /// Why it did not pass (`stdout is not empty`, `exit code 255: An error occurred …`,
    /// `timed out after 60s`); `null` when it passed.
    pub reason: Option<String>,
    /// For `expect = "empty"`: the words printed, i.e. what is left (at most 50).
    pub left: Vec<String>,
    /// More was printed than `left` shows.
    pub left_truncated: bool,
    pub command: CommandRecord,
}

/// One command as it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRecord {
    pub argv: Vec<String>,
    /// `null` when it was killed by a signal.
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    /// It ran past its timeout and its process group was killed.
    pub timed_out: bool,
    pub duration_ms: u64,
    /// Of all of stdout, whatever its size.
    pub stdout_sha256: String,
    pub stdout_bytes: u64,
    pub stderr_bytes: u64,
    /// The start of stdout, redacted, at most 4 KiB (less once the check's 64 KiB are spent).
    pub stdout_excerpt: String,
    pub stderr_excerpt: String,
    /// An excerpt shows less than was printed.
    pub excerpts_truncated: bool,
    /// An output was still open when the command was given up on (a process that left its
    /// process group kept it): the byte counts and the hash cover what was read until then.
    pub output_open: bool,
}

/// How many of the words left each item keeps when a record must be made smaller.
const FIT_LEFT_WORDS: usize = 5;

impl CheckRecord {
    /// Makes the record's JSON at most `max_bytes` long, for a log line that has a limit: first
    /// each item keeps only its first few words left, then the excerpts go, the last commands'
    /// first; the record says what was cut (`left_truncated`, `excerpts_truncated`), and the
    /// byte counts and hashes always stay. False when even that is not enough.
    pub(crate) fn fit(&mut self, max_bytes: usize) -> bool {
        let size = |record: &CheckRecord| serde_json::to_vec(record).map_or(usize::MAX, |json| json.len());
        let json_len = |text: &str| serde_json::to_string(text).map_or(0, |json| json.len());
        let mut now = size(self);
        if now <= max_bytes {
            return true;
        }
        for item in &mut self.items {
            if item.left.len() > FIT_LEFT_WORDS {
                item.left.truncate(FIT_LEFT_WORDS);
                item.left_truncated = true;
            }
        }
        now = size(self);
        let commands = self
            .foreach
            .iter_mut()
            .map(|f| &mut f.command)
            .chain(self.items.iter_mut().map(|i| &mut i.command))
            .collect::<Vec<_>>();
        for command in commands.into_iter().rev() {
            if now <= max_bytes {
                break;
            }
            for excerpt in [&mut command.stdout_excerpt, &mut command.stderr_excerpt] {
                if !excerpt.is_empty() {
                    // Only the string's content changes: `""` stays.
                    now -= json_len(excerpt) - 2;
                    excerpt.clear();
                    command.excerpts_truncated = true;
                }
            }
        }
        self.excerpt_bytes = self
            .foreach
            .iter()
            .map(|f| &f.command)
            .chain(self.items.iter().map(|i| &i.command))
            .map(|c| c.stdout_excerpt.len() + c.stderr_excerpt.len())
            .sum();
        self.excerpts_truncated |= self.items.iter().any(|i| i.command.excerpts_truncated)
            || self.foreach.as_ref().is_some_and(|f| f.command.excerpts_truncated);
        if size(self) > max_bytes {
            for item in self.items.iter_mut().filter(|i| !i.left.is_empty()) {
                item.left.clear();
                item.left_truncated = true;
            }
        }
        size(self) <= max_bytes
    }

    /// What did not pass, one line per item: `eu-west-1: i-0abc, i-0def` (what is left) or
    /// `eu-west-1: exit code 255: …` (why). Empty when the check passed.
    pub fn failures(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.problem.iter().cloned().collect();
        for item in self.items.iter().filter(|item| !item.passed) {
            let what = if item.left.is_empty() {
                item.reason.clone().unwrap_or_default()
            } else {
                let mut left = item.left.join(", ");
                if item.left_truncated {
                    left.push_str(", …");
                }
                left
            };
            lines.push(match &item.item {
                Some(word) => format!("{word}: {what}"),
                None => what,
            });
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command() -> CommandRecord {
        CommandRecord {
            argv: vec!["aws".into()],
            exit_code: Some(0),
            signal: None,
            timed_out: false,
            duration_ms: 1,
            stdout_sha256: String::new(),
            stdout_bytes: 0,
            stderr_bytes: 0,
            stdout_excerpt: String::new(),
            stderr_excerpt: String::new(),
            excerpts_truncated: false,
            output_open: false,
        }
    }

    fn item(word: Option<&str>, passed: bool, reason: Option<&str>, left: &[&str], more: bool) -> ItemRecord {
        ItemRecord {
            item: word.map(Into::into),
            passed,
            reason: reason.map(Into::into),
            left: left.iter().map(|w| (*w).to_owned()).collect(),
            left_truncated: more,
            command: command(),
        }
    }

    #[test]
    fn failures_say_what_is_left_item_by_item() {
        let record = CheckRecord {
            summary: "s".into(),
            expect: "empty".into(),
            timeout_ms: 1000,
            jobs: 8,
            passed: false,
            problem: None,
            foreach: None,
            items: vec![
                item(Some("us-east-1"), true, None, &[], false),
                item(Some("eu-west-1"), false, Some("stdout is not empty"), &["i-0abc", "i-0def"], false),
                item(Some("eu-north-1"), false, Some("stdout is not empty"), &["i-1"], true),
                item(Some("ap-east-1"), false, Some("exit code 255: An error occurred (AuthFailure)"), &[], false),
            ],
            duration_ms: 5,
            excerpt_bytes: 0,
            excerpts_truncated: false,
            check_sha256: String::new(),
        };
        assert_eq!(
            record.failures(),
            [
                "eu-west-1: i-0abc, i-0def",
                "eu-north-1: i-1, …",
                "ap-east-1: exit code 255: An error occurred (AuthFailure)"
            ]
        );
        let json = serde_json::to_string(&record).unwrap();
        assert_eq!(serde_json::from_str::<CheckRecord>(&json).unwrap(), record);
    }

    #[test]
    fn a_record_too_long_for_a_log_line_loses_words_then_excerpts_from_the_end() {
        let mut items: Vec<ItemRecord> = (0..20)
            .map(|i| {
                let left: Vec<String> = (0..50).map(|w| format!("i-{i:02}{w:04}")).collect();
                let mut item = item(Some(&format!("r{i}")), false, Some("stdout is not empty"), &[], false);
                item.left = left;
                item.command.stdout_excerpt = "\u{1}".repeat(1000);
                item
            })
            .collect();
        items[0].passed = true;
        let mut record = CheckRecord {
            summary: "s".into(),
            expect: "empty".into(),
            timeout_ms: 1000,
            jobs: 8,
            passed: false,
            problem: None,
            foreach: None,
            items,
            duration_ms: 5,
            excerpt_bytes: 20_000,
            excerpts_truncated: false,
            check_sha256: String::new(),
        };
        let whole = serde_json::to_vec(&record).unwrap().len();
        let mut same = record.clone();
        assert!(same.fit(whole));
        assert_eq!(same, record, "a record that fits is left alone");
        // Control characters take six bytes each in JSON: 120 KB of excerpts.
        assert!(record.fit(80_000));
        assert!(serde_json::to_vec(&record).unwrap().len() <= 80_000);
        assert!(record.items.iter().all(|i| i.left.len() == FIT_LEFT_WORDS && i.left_truncated));
        assert!(record.excerpts_truncated);
        let kept: Vec<bool> = record.items.iter().map(|i| !i.command.stdout_excerpt.is_empty()).collect();
        assert!(kept[0] && !kept[19], "the last commands lose their excerpts first: {kept:?}");
        assert_eq!(record.excerpt_bytes, kept.iter().filter(|k| **k).count() * 1000);
        assert!(!record.fit(100), "argv and hashes stay, so a tiny limit cannot be met");
    }
}
