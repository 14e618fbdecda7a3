//! The event-log reader on arbitrary bytes: never panics, what it accepts is consistent, and its
//! quick reader of written lines agrees with `serde_json` on every line it reads.
#![no_main]

use std::path::Path;

use closeacct::testing::{LogEnd, Replay, assert_quick_reader_agrees, parse_log};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for line in data.split(|&b| b == b'\n') {
        assert_quick_reader_agrees(line);
    }
    let mut replay = Replay::default();
    let mut seen = 0u64;
    let result = parse_log(data, Path::new("fuzz.jsonl"), |event| {
        seen += 1;
        assert_eq!(event.seq, seen, "events are handed over in sequence");
        replay.apply(event);
        let _ = event.to_owned_event();
        Ok(())
    });
    match result {
        Ok(LogEnd { count, len, torn, unterminated, .. }) => {
            assert!(count >= 1 && count == seen, "an accepted log has whole lines, all visited");
            let len = usize::try_from(len).unwrap();
            if unterminated {
                assert!(torn.is_none() && len == data.len(), "a whole last line without newline ends the input");
                assert_ne!(data[len - 1], b'\n');
            } else {
                assert_eq!(data[len - 1], b'\n', "the whole lines end with a newline");
            }
            let torn_len = torn.as_ref().map_or(0, Vec::len);
            assert_eq!(len + torn_len, data.len(), "whole lines and the torn tail cover the input");
            assert!(torn.is_none_or(|t| !t.contains(&b'\n')), "a torn tail is part of one line");
        }
        Err(e) => {
            assert_eq!(e.exit_code(), 65, "{e}");
            assert!(e.to_string().starts_with("fuzz.jsonl: line "), "{e}");
        }
    }
});
