//! CSV for spreadsheets: every cell quoted (RFC 4180), and anything a spreadsheet could run as a
//! formula neutralised with an apostrophe — at the start of the cell and after any character a
//! locale may use as a separator (`,` `;` tab `|` and line breaks), leading spaces included.

/// Characters that start a formula in Excel, LibreOffice or Google Sheets (full-width forms too).
const FORMULA_STARTS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];
/// Characters after which a spreadsheet importing with another separator starts a new cell.
const SEPARATORS: [char; 6] = [',', ';', '\t', '|', '\r', '\n'];

/// One cell, quoted, with every would-be formula segment neutralised.
pub fn cell(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    out.push('"');
    for (index, segment) in value.split_inclusive(SEPARATORS).enumerate() {
        let body = segment.trim_start_matches([' ', '\u{a0}']);
        // A cell that begins with a tab or carriage return is read as a formula by some too.
        let control_start = index == 0 && body.starts_with(['\t', '\r']);
        if body.starts_with(FORMULA_STARTS) || control_start {
            out.push('\'');
        }
        out.push_str(&segment.replace('"', "\"\""));
    }
    out.push('"');
    out
}

/// One line, CRLF-terminated.
pub fn line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut out = cells
        .iter()
        .map(|c| cell(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_is_quoted() {
        assert_eq!(cell("www.example.com"), "\"www.example.com\"");
        assert_eq!(cell(""), "\"\"");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn formulas_are_neutralised_at_the_start() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "\"'+1\"");
        assert_eq!(cell("-2"), "\"'-2\"");
        assert_eq!(cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(cell("\tx"), "\"'\tx\"");
        assert_eq!(cell("＝1+1"), "\"'＝1+1\"");
    }

    #[test]
    fn formulas_after_separators_and_spaces_are_neutralised() {
        assert_eq!(cell("a;=cmd|' /C calc'!A0"), "\"a;'=cmd|' /C calc'!A0\"");
        assert_eq!(cell("  =1+1"), "\"'  =1+1\"");
        assert_eq!(cell("x\t-2"), "\"x\t'-2\"");
        assert_eq!(cell("ok, fine"), "\"ok, fine\"");
        assert_eq!(cell("a|@SUM(1)"), "\"a|'@SUM(1)\"");
        assert_eq!(cell("one\n+two"), "\"one\n'+two\"");
    }

    #[test]
    fn lines_end_with_crlf() {
        assert_eq!(line(&["a", "b,c"]), "\"a\",\"b,c\"\r\n");
    }
}
