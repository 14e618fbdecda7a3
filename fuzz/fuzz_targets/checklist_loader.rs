//! The checklist loader on arbitrary text: never panics, refuses with exit 65 naming the file, and
//! what it accepts survives `checklist show --format toml` unchanged.
#![no_main]

use closeacct::testing::Loaded;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Loaded::parse(text, "fuzz.toml") {
        Ok(loaded) => {
            let shown = loaded.to_toml();
            let again = Loaded::parse(&shown, "shown.toml").unwrap_or_else(|e| panic!("{e}\n{shown}"));
            assert_eq!(again.checklist, loaded.checklist, "show --format toml changes the checklist");
        }
        Err(e) => {
            assert_eq!(e.exit_code(), 65, "{e}");
            assert!(e.to_string().starts_with("fuzz.toml"), "{e}");
        }
    }
});
