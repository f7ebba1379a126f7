//! JSON reference extraction: JSON-pointer selectors with `*` wildcards, over a parse that keeps lines.
//!
//! The file is first validated with `serde_json` (so a malformed file is reported exactly where a
//! JSON parser stops, with line and column), then walked by a small scanner that records the line of
//! every value, which `serde_json` does not keep. Keys are matched as Go's `encoding/json` matches
//! them when it fills a struct (step-ca and Boulder are Go programs): an exact key is preferred, a key
//! that differs only in case also counts, and of duplicate keys the last one wins.

use super::{line_of, Found, Malformed};

/// One selector: `/root`, `/authority/provisioners/*/options/x509/templateFile`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// A member name (or, on an array, an index).
    Key(String),
    /// Every member of an object or element of an array.
    Any,
}

impl Selector {
    /// Parses the written form: a JSON pointer (RFC 6901, `~0` for `~`, `~1` for `/`) whose segments may
    /// be `*`.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err(format!(
                "`{text}` is not a JSON pointer: it must start with `/` (`/authority/provisioners/*/options/x509/templateFile`)"
            ));
        };
        let steps = rest
            .split('/')
            .map(|s| match s {
                "*" => Step::Any,
                s => Step::Key(s.replace("~1", "/").replace("~0", "~")),
            })
            .collect();
        Ok(Selector { steps })
    }
}

/// A parsed JSON value with the line it starts on.
#[derive(Debug)]
struct Node {
    line: u32,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    Str(String),
    /// A number, `true`, `false` or `null`: never a path.
    Scalar,
}

/// Every string the selectors name in `content`.
pub fn extract(selectors: &[Selector], content: &[u8]) -> Result<Vec<Found>, Malformed> {
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(content) {
        return Err(Malformed {
            line: e.line().max(1) as u32,
            column: Some(e.column() as u32),
            // The position is reported apart, with the file's name.
            message: format!("not valid JSON: {e}")
                .trim_end_matches(&format!(" at line {} column {}", e.line(), e.column()))
                .to_string(),
        });
    }
    let mut scanner = Scanner {
        b: content,
        i: 0,
        line: 1,
        depth: 0,
    };
    let root = scanner.value().ok_or_else(|| Malformed {
        line: line_of(content, scanner.i),
        column: None,
        message: if scanner.depth > MAX_DEPTH {
            format!("not read: nested deeper than {MAX_DEPTH} levels")
        } else {
            "not valid JSON".into()
        },
    })?;
    let mut out = Vec::new();
    for s in selectors {
        select(&root, &s.steps, String::new(), &mut out);
    }
    Ok(out)
}

/// Walks `steps` from `node`; `at` is the concrete pointer so far.
fn select(node: &Node, steps: &[Step], at: String, out: &mut Vec<Found>) {
    let Some((step, rest)) = steps.split_first() else {
        if let Kind::Str(s) = &node.kind {
            if !s.is_empty() {
                out.push(Found {
                    line: node.line,
                    at,
                    value: s.clone(),
                });
            }
        }
        return;
    };
    match (&node.kind, step) {
        (Kind::Object(members), Step::Key(k)) => {
            if let Some((name, child)) = go_member(members, k) {
                select(child, rest, format!("{at}/{}", escape(name)), out);
            }
        }
        (Kind::Object(members), Step::Any) => {
            for (i, (name, child)) in members.iter().enumerate() {
                // Of duplicate keys, only the last is what the software sees.
                if members[i + 1..].iter().all(|(n, _)| n != name) {
                    select(child, rest, format!("{at}/{}", escape(name)), out);
                }
            }
        }
        (Kind::Array(items), Step::Key(k)) => {
            let index = k
                .parse::<usize>()
                .ok()
                .filter(|_| k == "0" || !k.starts_with('0'));
            if let Some((i, child)) = index.and_then(|i| items.get(i).map(|c| (i, c))) {
                select(child, rest, format!("{at}/{i}"), out);
            }
        }
        (Kind::Array(items), Step::Any) => {
            for (i, child) in items.iter().enumerate() {
                select(child, rest, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The member `encoding/json` would decode into a field named `key`: the last exact match, else the
/// last member whose name equals it ignoring case.
fn go_member<'a>(members: &'a [(String, Node)], key: &str) -> Option<&'a (String, Node)> {
    members.iter().rev().find(|(n, _)| n == key).or_else(|| {
        members
            .iter()
            .rev()
            .find(|(n, _)| n.to_lowercase() == key.to_lowercase())
    })
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// How deep the scanner nests, as deep as `serde_json` itself goes when it builds values: deeper
/// input would exhaust the stack.
const MAX_DEPTH: u32 = 128;

/// A scanner over text `serde_json` has already accepted: it only needs to track lines, and it gives
/// up (`None`) rather than panic should the two ever disagree.
struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    line: u32,
    depth: u32,
}

impl Scanner<'_> {
    fn skip_ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => return,
            }
            self.i += 1;
        }
    }

    fn value(&mut self) -> Option<Node> {
        self.skip_ws();
        let line = self.line;
        let kind = match *self.b.get(self.i)? {
            b'{' | b'[' if self.depth >= MAX_DEPTH => {
                self.depth += 1;
                return None;
            }
            b'{' => {
                self.depth += 1;
                let k = self.object()?;
                self.depth -= 1;
                k
            }
            b'[' => {
                self.depth += 1;
                let k = self.array()?;
                self.depth -= 1;
                k
            }
            b'"' => Kind::Str(self.string()?),
            _ => {
                while self.b.get(self.i).is_some_and(|c| {
                    !matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n')
                }) {
                    self.i += 1;
                }
                Kind::Scalar
            }
        };
        Some(Node { line, kind })
    }

    fn object(&mut self) -> Option<Kind> {
        self.i += 1;
        let mut members = Vec::new();
        loop {
            self.skip_ws();
            match *self.b.get(self.i)? {
                b'}' => {
                    self.i += 1;
                    return Some(Kind::Object(members));
                }
                b',' => self.i += 1,
                b'"' => {
                    let name = self.string()?;
                    self.skip_ws();
                    (self.b.get(self.i) == Some(&b':')).then_some(())?;
                    self.i += 1;
                    members.push((name, self.value()?));
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self) -> Option<Kind> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match *self.b.get(self.i)? {
                b']' => {
                    self.i += 1;
                    return Some(Kind::Array(items));
                }
                b',' => self.i += 1,
                _ => items.push(self.value()?),
            }
        }
    }

    /// A string token, decoded by `serde_json` itself so that escapes mean what they mean in JSON.
    fn string(&mut self) -> Option<String> {
        let start = self.i;
        self.i += 1;
        loop {
            match *self.b.get(self.i)? {
                b'\\' => self.i += 2,
                b'"' => break,
                _ => self.i += 1,
            }
        }
        self.i += 1;
        serde_json::from_slice(self.b.get(start..self.i)?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(selectors: &[&str], text: &str) -> Vec<String> {
        super::super::run_with(Selector::parse, extract, selectors, text, true)
    }

    #[test]
    fn pointers_and_wildcards_with_lines() {
        let text = r#"{
  "root": "certs/root_ca.crt",
  "authority": {"provisioners": [
    {"name": "a", "options": {"x509": {"templateFile": "templates/a.tpl"}}},
    {"name": "b"},
    {"name": "c", "options": {"x509": {"templateFile": "templates/c\u002etpl"}}}
  ]},
  "db": {"dataSource": "db"}
}"#;
        assert_eq!(
            run(
                &[
                    "/root",
                    "/authority/provisioners/*/options/x509/templateFile"
                ],
                text
            ),
            [
                "2:/root=certs/root_ca.crt",
                "4:/authority/provisioners/0/options/x509/templateFile=templates/a.tpl",
                "6:/authority/provisioners/2/options/x509/templateFile=templates/c.tpl",
            ]
        );
        assert_eq!(
            run(&["/authority/provisioners/1/name"], text),
            ["5:/authority/provisioners/1/name=b"]
        );
        assert!(run(&["/authority/provisioners/01/name", "/db"], text).is_empty());
    }

    #[test]
    fn keys_match_as_go_decodes_them() {
        let text =
            "{\"Root\": \"a\",\n\"root\": \"b\",\n\"ROOT\": \"c\", \"crt\": \"x\", \"CRT\": \"y\"}";
        assert_eq!(run(&["/root"], text), ["2:/root=b"]);
        assert_eq!(run(&["/crt"], text), ["3:/crt=x"]);
        assert_eq!(run(&["/Crt"], text), ["3:/CRT=y"]);
        assert_eq!(run(&["/*"], "{\"a\": \"1\",\n\"a\": \"2\"}"), ["2:/a=2"]);
    }

    #[test]
    fn escaped_names_strings_and_non_strings() {
        let text = "{\"a/b\": {\"~\": \"p\\\"q\"}, \"n\": 3, \"e\": \"\", \"l\": [\"x\", 1, null]}";
        assert_eq!(run(&["/a~1b/~0"], text), ["1:/a~1b/~0=p\"q"]);
        assert_eq!(run(&["/n", "/e", "/l/*"], text), ["1:/l/0=x"]);
        assert!(Selector::parse("root").is_err());
    }

    #[test]
    fn malformed_json_points_at_line_and_column() {
        let e = extract(&[], b"{\n  \"root\": \"a\",\n  \"crt\" \"b\"\n}").unwrap_err();
        assert_eq!((e.line, e.column), (3, Some(9)));
        assert!(
            e.message.starts_with("not valid JSON: expected `:`"),
            "{}",
            e.message
        );
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = extract(&[], deep.as_bytes()).unwrap_err();
        assert!(e.message.contains("deeper than 128"), "{}", e.message);
        let fine = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(extract(&[], fine.as_bytes()).is_ok());
        assert!(extract(&[], b"").is_err());
    }
}
