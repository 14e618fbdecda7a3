//! `status` without `--account` keeps each run to one line of the output's width (`COLUMNS`, else
//! 80 into a pipe): a cell cut to fit ends with `…`; `--format json` keeps everything whole.

use console::measure_text_width;

use crate::common::{Env, SMALL};

const LONG_PROVIDER: &str = "payroll-saas-of-the-finance-department-in-europe";
const LONG_ACCOUNT: &str = "finance-eu-payroll-production-account-with-a-long-alias-01";

/// Three runs, one of a checklist with a long id for an account with a long alias.
fn three_runs() -> Env {
    let env = Env::new();
    let dir = env.dir.path().join(".config/closeacct/checklists");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("payroll.toml"), SMALL.replacen("id = \"small\"", &format!("id = \"{LONG_PROVIDER}\""), 1))
        .unwrap();
    env.closeacct(&["start", "--provider", "aws", "--account", "111122223333"]).status(0);
    env.closeacct(&["start", "--provider", LONG_PROVIDER, "--account", LONG_ACCOUNT]).status(0);
    env.closeacct(&["start", "--provider", "gcp-project", "--account", "billing-prod"]).status(0);
    env
}

/// A cell is whole or a start of `whole` ending in `…`.
fn whole_or_cut(cell: &str, whole: &str) -> bool {
    cell == whole || cell.strip_suffix('…').is_some_and(|start| !start.is_empty() && whole.starts_with(start))
}

#[test]
fn each_run_is_one_line_of_the_width_and_a_cut_cell_ends_with_an_ellipsis() {
    let env = three_runs();
    for (columns, width) in [(Some("80"), 80), (Some("40"), 40), (None, 80)] {
        let run = env.closeacct(&["status"]);
        let run = match columns {
            Some(columns) => run.env("COLUMNS", columns),
            None => run.env_remove("COLUMNS"),
        };
        let out = run.status(0).stdout;
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "a header and one line per run at {width}:\n{out}");
        for line in &lines {
            assert!(measure_text_width(line) <= width, "wider than {width}: {line:?}\n{out}");
        }
        let long = lines.iter().find(|l| l.starts_with(&LONG_PROVIDER[..2])).expect("the long run's line");
        let cells: Vec<&str> = long.split_whitespace().collect();
        assert!(whole_or_cut(cells[0], LONG_PROVIDER) && cells[0] != LONG_PROVIDER, "{long}");
        assert!(whole_or_cut(cells[1], LONG_ACCOUNT) && cells[1] != LONG_ACCOUNT, "{long}");
        if width == 80 {
            let aws = lines.iter().find(|l| l.starts_with("aws ")).unwrap();
            assert!(aws.contains(" 111122223333 ") && aws.contains(" 2026-11-24 13:40 "), "{aws}");
        }
    }
}

#[test]
fn a_wide_screen_and_json_show_every_cell_whole() {
    let env = three_runs();
    let out = env.closeacct(&["status"]).env("COLUMNS", "300").status(0).stdout;
    assert!(!out.contains('…'), "{out}");
    let long = out.lines().find(|l| l.starts_with(LONG_PROVIDER)).expect("whole");
    assert!(long.contains(LONG_ACCOUNT) && long.ends_with("  1.1 backup"), "{long}");

    let json = env.closeacct(&["status", "--format", "json"]).env("COLUMNS", "40").status(0).stdout;
    assert!(json.contains(&format!("\"account\": \"{LONG_ACCOUNT}\"")), "{json}");
}
