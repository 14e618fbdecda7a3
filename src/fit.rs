//! Tables that fit the screen: a row of cells laid out in columns, narrowed to the output's
//! width, so that a terminal never wraps a row onto a second line. A cell cut to fit ends with
//! `…`; what was cut is still there whole in `--format json`.

use console::{measure_text_width, truncate_str};

/// The width a table is fitted to when nothing says otherwise (a file, a pipe).
pub(crate) const DEFAULT_WIDTH: usize = 80;

/// Columns are this far apart.
const GAP: &str = "  ";

/// A column is never narrowed below this many columns of text (two characters and `…`), unless
/// its widest cell is narrower.
const MIN_CELL: usize = 3;

/// Text and names are first cut down to this width, which still tells most apart (`gcp-pro…`).
const COMFORTABLE_CELL: usize = 8;

/// How a column's cells line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// When a column of a [`table`] gives up width, as the screen narrows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gives {
    /// Before anything else: text whose start says enough (`1.2 remove-…`).
    First,
    /// Next: names, which their start still tells apart (`gcp-pro…`).
    Then,
    /// Only when nothing else can: counts and times, which cut say little.
    Last,
}

/// A column of a [`table`]: how its cells line up, and when it gives up width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Column {
    pub(crate) align: Align,
    pub(crate) gives: Gives,
}

impl Column {
    /// Free text, narrowed first.
    pub(crate) const TEXT: Column = Column { align: Align::Left, gives: Gives::First };
    /// Names, narrowed after the text.
    pub(crate) const NAME: Column = Column { align: Align::Left, gives: Gives::Then };
    /// Times or codes, narrowed last.
    pub(crate) const FIXED: Column = Column { align: Align::Left, gives: Gives::Last };
    /// Counts, right-aligned, narrowed last.
    pub(crate) const COUNT: Column = Column { align: Align::Right, gives: Gives::Last };
}

/// The width to fit: `COLUMNS` when it is a positive number, else the terminal's width when
/// stdout is a terminal, else [`DEFAULT_WIDTH`].
pub(crate) fn output_width() -> usize {
    let columns = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok()).filter(|&c| c > 0);
    columns
        .or_else(|| {
            let term = console::Term::stdout();
            term.is_term().then(|| term.size_checked()).flatten().map(|(_, cols)| usize::from(cols))
        })
        .unwrap_or(DEFAULT_WIDTH)
}

/// `line` cut to `width` columns, ending with `…` when cut.
pub(crate) fn cut(line: &str, width: usize) -> std::borrow::Cow<'_, str> {
    if width == 0 {
        return std::borrow::Cow::Borrowed("");
    }
    truncate_str(line, width, "…")
}

/// `rows` (the header first) as lines of columns [`GAP`] apart, each column as wide as its
/// widest cell and the last one not padded. When that is wider than `width`, columns are
/// narrowed, the widest first, one column of text at a time, in this order until the lines fit:
/// the columns that give first, then those that give next, down to [`COMFORTABLE_CELL`]; every
/// column down to its widest value (cutting only a header); those two kinds down to [`MIN_CELL`];
/// then all. A line still too wide (a very narrow screen) is cut at `width`. Every line is at
/// most `width` columns wide, and a cell cut to fit ends with `…`.
pub(crate) fn table(rows: &[Vec<String>], columns: &[Column], width: usize) -> Vec<String> {
    let count = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widest = |rows: &[Vec<String>], c: usize| {
        rows.iter().filter_map(|row| row.get(c)).map(|cell| measure_text_width(cell)).max().unwrap_or(0)
    };
    let mut widths: Vec<usize> = (0..count).map(|c| widest(rows, c)).collect();
    let values: Vec<usize> = (0..count).map(|c| widest(rows.get(1..).unwrap_or_default(), c)).collect();
    let gives = |c: usize| columns.get(c).map_or(Gives::First, |column| column.gives);
    // Per pass, how narrow column `c` may become (`None`: it does not give in this pass).
    let passes: [&dyn Fn(usize) -> Option<usize>; 5] = [
        &|c| (gives(c) == Gives::First).then_some(COMFORTABLE_CELL),
        &|c| (gives(c) == Gives::Then).then_some(COMFORTABLE_CELL),
        &|c| Some(values[c].max(MIN_CELL)),
        &|c| (gives(c) != Gives::Last).then_some(MIN_CELL),
        &|_| Some(MIN_CELL),
    ];
    let total = |widths: &[usize]| widths.iter().sum::<usize>() + GAP.len() * widths.len().saturating_sub(1);
    for floor in passes {
        while total(&widths) > width {
            // The widest column that can still give in this pass; on a tie the one further right.
            let Some((c, _)) = widths
                .iter()
                .enumerate()
                .filter(|&(c, &w)| floor(c).is_some_and(|floor| w > floor))
                .max_by_key(|&(c, &w)| (w, c))
            else {
                break;
            };
            widths[c] -= 1;
        }
    }
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                let cell = cut(cell, widths[c]);
                let pad = " ".repeat(widths[c].saturating_sub(measure_text_width(&cell)));
                if c > 0 {
                    line.push_str(GAP);
                }
                match columns.get(c).map_or(Align::Left, |column| column.align) {
                    Align::Right => line.push_str(&(pad + &cell)),
                    Align::Left if c + 1 == row.len() => line.push_str(&cell),
                    Align::Left => line.push_str(&(cell.into_owned() + &pad)),
                }
            }
            cut(&line, width).into_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(cells: &[&[&str]]) -> Vec<Vec<String>> {
        cells.iter().map(|row| row.iter().map(|c| (*c).to_owned()).collect()).collect()
    }

    #[test]
    fn a_table_that_fits_is_laid_out_whole() {
        let lines = table(
            &rows(&[&["ID", "N", "NEXT"], &["aws", "12", "1.1 root"]]),
            &[Column::TEXT, Column::COUNT, Column::TEXT],
            80,
        );
        assert_eq!(lines, ["ID    N  NEXT", "aws  12  1.1 root"]);
    }

    #[test]
    fn text_columns_give_first_and_a_cut_cell_ends_with_an_ellipsis() {
        let long = "a-very-long-account-name-that-goes-on";
        let table_rows = rows(&[
            &["PROVIDER", "ACCOUNT", "WHEN", "NEXT"],
            &["aws", long, "2026-11-24 13:40", "6.10 support-portal-request"],
        ]);
        let columns = [Column::NAME, Column::NAME, Column::FIXED, Column::TEXT];
        for width in [80, 60, 50, 40, 20, 12, 5, 1, 0] {
            let lines = table(&table_rows, &columns, width);
            for line in &lines {
                assert!(measure_text_width(line) <= width, "{width}: {line:?}");
            }
        }
        let lines = table(&table_rows, &columns, 60);
        assert_eq!(lines[1], "aws       a-very-long-account-n…  2026-11-24 13:40  6.10 su…");
    }
}
