//! The byte classes and scanners of OpenSSL's configuration syntax (`conf_def.h`'s default table and the
//! small scanners of `conf_def.c`), over a line held as bytes where any index past the end reads as the
//! terminating NUL, just as the C code reads its NUL-terminated buffer.

/// The byte at `i`, or 0 (OpenSSL's end of string) past the end.
pub(crate) fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

pub(crate) fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

pub(crate) fn is_esc(c: u8) -> bool {
    c == b'\\'
}

/// The default table marks all three as quotes; it has no separate double-quote class (that is the
/// Windows flavour's).
pub(crate) fn is_quote(c: u8) -> bool {
    matches!(c, b'"' | b'\'' | b'`')
}

pub(crate) fn is_comment(c: u8) -> bool {
    c == b'#'
}

/// Letters, digits and `_`: the characters of a variable name.
pub(crate) fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The characters of a key or section name.
pub(crate) fn is_alnum_punct(c: u8) -> bool {
    is_alnum(c) || b"!%&*+,-./;?@^|~".contains(&c)
}

pub(crate) fn eat_ws(s: &[u8], mut p: usize) -> usize {
    while is_ws(at(s, p)) {
        p += 1;
    }
    p
}

/// The end of `s[start..]` once trailing white space is dropped (OpenSSL's `trim_ws`).
pub(crate) fn trim_end(s: &[u8], start: usize) -> usize {
    let mut end = s.len().max(start);
    while end > start && is_ws(s[end - 1]) {
        end -= 1;
    }
    end
}

pub(crate) fn scan_esc(s: &[u8], p: usize) -> usize {
    if at(s, p + 1) == 0 {
        p + 1
    } else {
        p + 2
    }
}

pub(crate) fn eat_alpha_numeric(s: &[u8], mut p: usize, dollarid: bool) -> usize {
    loop {
        let c = at(s, p);
        if is_esc(c) {
            p = scan_esc(s, p);
            continue;
        }
        if !(is_alnum_punct(c) || (dollarid && c == b'$')) {
            return p;
        }
        p += 1;
    }
}

fn scan_quote(s: &[u8], mut p: usize) -> usize {
    let q = at(s, p);
    p += 1;
    while at(s, p) != 0 && at(s, p) != q {
        if is_esc(at(s, p)) {
            p += 1;
            if at(s, p) == 0 {
                return p;
            }
        }
        p += 1;
    }
    if at(s, p) == q {
        p += 1;
    }
    p
}

/// Cuts the line at the first `#` that is not inside quotes or escaped.
pub(crate) fn clear_comments(s: &mut Vec<u8>) {
    let mut p = eat_ws(s, 0);
    loop {
        let c = at(s, p);
        if is_comment(c) {
            s.truncate(p);
            return;
        }
        if is_quote(c) {
            p = scan_quote(s, p);
        } else if is_esc(c) {
            p = scan_esc(s, p);
        } else if c == 0 {
            return;
        } else {
            p += 1;
        }
    }
}

/// One piece of a value as `str_copy` reads it: literal bytes, or a variable reference to expand.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    Byte(u8),
    Var {
        /// `Some` for `$section::name`.
        section: Option<&'a [u8]>,
        name: &'a [u8],
        /// Bytes of the reference in the source (`${a}` is 4), for OpenSSL's length limit.
        len: usize,
    },
}

/// Why `str_copy` stops.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CopyError {
    NoCloseBrace,
}

/// Splits a value into pieces exactly as `str_copy` walks it: quotes keep their content literally (a
/// backslash inside quotes only protects the next byte), `\r \n \b \t` outside quotes are control
/// characters and any other escaped byte stands for itself, and `$` starts a reference (with
/// `dollarid` on, only `${` and `$(` do, and `$` may be part of a name).
pub(crate) fn pieces(from: &[u8], dollarid: bool) -> Result<Vec<Piece<'_>>, CopyError> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let c = at(from, i);
        if is_quote(c) {
            i = quoted(from, i, &mut out);
        } else if is_esc(c) {
            let v = at(from, i + 1);
            i += 2;
            let v = match v {
                0 => break,
                b'r' => b'\r',
                b'n' => b'\n',
                b'b' => 8,
                b't' => b'\t',
                v => v,
            };
            out.push(Piece::Byte(v));
        } else if c == 0 {
            break;
        } else if c == b'$' && (!dollarid || matches!(at(from, i + 1), b'{' | b'(')) {
            let var = variable(from, i, dollarid)?;
            if let Piece::Var { len, .. } = var {
                i += len;
            }
            out.push(var);
        } else {
            out.push(Piece::Byte(c));
            i += 1;
        }
    }
    Ok(out)
}

/// The bytes of a quoted run starting at the quote at `i`, escapes inside kept as the byte they
/// escape (as `str_copy` does); returns the index after the closing quote (or the end).
fn quoted<'a>(from: &'a [u8], mut i: usize, out: &mut Vec<Piece<'a>>) -> usize {
    let q = at(from, i);
    i += 1;
    while at(from, i) != 0 && at(from, i) != q {
        if is_esc(at(from, i)) {
            i += 1;
            if at(from, i) == 0 {
                break;
            }
        }
        out.push(Piece::Byte(at(from, i)));
        i += 1;
    }
    if at(from, i) == q {
        i += 1;
    }
    i
}

/// The variable reference starting at the `$` at `i`: `$name`, `${name}`, `$(name)`, each with an
/// optional `section::` prefix; a brace or parenthesis that is not closed is OpenSSL's error.
fn variable(from: &[u8], i: usize, dollarid: bool) -> Result<Piece<'_>, CopyError> {
    let mut s = i + 1;
    let q = match at(from, s) {
        b'{' => b'}',
        b'(' => b')',
        _ => 0,
    };
    if q != 0 {
        s += 1;
    }
    let name_char = |c: u8| is_alnum(c) || (dollarid && c == b'$');
    let mut e = s;
    while name_char(at(from, e)) {
        e += 1;
    }
    let mut section = None;
    let mut np = s;
    if at(from, e) == b':' && at(from, e + 1) == b':' {
        section = Some(&from[s..e]);
        e += 2;
        np = e;
        while name_char(at(from, e)) {
            e += 1;
        }
    }
    let name = &from[np..e.min(from.len())];
    if q != 0 {
        if at(from, e) != q {
            return Err(CopyError::NoCloseBrace);
        }
        e += 1;
    }
    Ok(Piece::Var {
        section,
        name,
        len: e - i,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(p: &[Piece]) -> Vec<u8> {
        p.iter()
            .map(|p| match p {
                Piece::Byte(b) => *b,
                Piece::Var { .. } => b'?',
            })
            .collect()
    }

    #[test]
    fn comments_respect_quotes_and_escapes() {
        for (line, kept) in [
            ("a = b # c", "a = b "),
            ("a = 'b # c' # d", "a = 'b # c' "),
            ("a = \"b # c\"", "a = \"b # c\""),
            ("a = `b # c`#", "a = `b # c`"),
            ("a = b \\# c", "a = b \\# c"),
            ("# all", ""),
            ("   # all", "   "),
        ] {
            let mut v = line.as_bytes().to_vec();
            clear_comments(&mut v);
            assert_eq!(String::from_utf8(v).unwrap(), kept, "{line}");
        }
    }

    #[test]
    fn quotes_and_escapes_in_values() {
        let p = pieces(br#"'a b' "c\"d" \$x \n\t\q"#, false).unwrap();
        assert_eq!(bytes(&p), b"a b c\"d $x \n\tq");
        // A backslash inside quotes protects, it does not translate.
        assert_eq!(bytes(&pieces(br"'\n'", false).unwrap()), b"n");
        // No expansion inside quotes.
        assert_eq!(bytes(&pieces(b"'$x'", false).unwrap()), b"$x");
        // An unclosed quote runs to the end.
        assert_eq!(bytes(&pieces(b"'abc", false).unwrap()), b"abc");
    }

    #[test]
    fn variable_references() {
        let p = pieces(b"$a/${s::b}x$(c)", false).unwrap();
        assert_eq!(
            p,
            vec![
                Piece::Var {
                    section: None,
                    name: b"a",
                    len: 2
                },
                Piece::Byte(b'/'),
                Piece::Var {
                    section: Some(b"s"),
                    name: b"b",
                    len: 7
                },
                Piece::Byte(b'x'),
                Piece::Var {
                    section: None,
                    name: b"c",
                    len: 4
                },
            ]
        );
        assert_eq!(pieces(b"${a", false), Err(CopyError::NoCloseBrace));
        assert_eq!(pieces(b"${a)", false), Err(CopyError::NoCloseBrace));
        // dollarid: a bare `$` is a literal, and `$` belongs to names.
        assert_eq!(bytes(&pieces(b"a$b", true).unwrap()), b"a$b");
        assert_eq!(
            pieces(b"${a$b}", true).unwrap(),
            vec![Piece::Var {
                section: None,
                name: b"a$b",
                len: 6
            }]
        );
        // A lone `$` names the empty variable (which has no value).
        assert_eq!(
            pieces(b"$ x", false).unwrap()[0],
            Piece::Var {
                section: None,
                name: b"",
                len: 1
            }
        );
    }

    #[test]
    fn names() {
        assert_eq!(eat_alpha_numeric(b"a.b-c d", 0, false), 5);
        assert_eq!(eat_alpha_numeric(b"a\\=b=c", 0, false), 4);
        assert_eq!(eat_alpha_numeric(b"a$b=", 0, false), 1);
        assert_eq!(eat_alpha_numeric(b"a$b=", 0, true), 3);
        assert_eq!(eat_alpha_numeric(b"s::k", 0, false), 1);
    }
}
