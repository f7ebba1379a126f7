//! XML reference extraction with element paths: `/java/object/void[string='externalCommand']/string[2]`.
//!
//! A selector is a path of element names from the document's root element; a step may be `*` (any
//! element) and may carry predicates: `[@attr='v']` (the attribute has that value), `[child='text']`
//! (a child element with that text, as in the `java.beans.XMLEncoder` maps EJBCA exports) and `[N]`
//! (the N-th of the matching siblings, from 1). The last step may be `@attr`, selecting an attribute's
//! value; otherwise the element's text (trimmed) is the value. Names match the local name, whatever
//! the namespace. The XML is parsed with `roxmltree`; a document it rejects is a finding with its line
//! and column.

use super::{Found, Malformed};

/// One selector, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    text: String,
    steps: Vec<Step>,
    attribute: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    /// `None` for `*`.
    name: Option<String>,
    preds: Vec<Pred>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pred {
    Attr(String, String),
    Child(String, String),
    Position(usize),
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, String> {
        let err = |why: &str| format!("`{text}` is not an XML element path: {why}");
        let rest = text
            .strip_prefix('/')
            .ok_or_else(|| err("it must start with `/` and the root element's name"))?;
        let mut segments: Vec<&str> = rest.split('/').collect();
        let attribute = match segments.last() {
            Some(last) if last.starts_with('@') => {
                let a = last[1..].to_string();
                if !valid_name(&a) {
                    return Err(err("an empty or invalid attribute name"));
                }
                segments.pop();
                Some(a)
            }
            _ => None,
        };
        let steps = segments
            .iter()
            .map(|s| parse_step(s).map_err(|why| err(&why)))
            .collect::<Result<Vec<_>, _>>()?;
        if steps.is_empty() {
            return Err(err("it names no element"));
        }
        Ok(Selector {
            text: text.to_string(),
            steps,
            attribute,
        })
    }
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
}

/// `name[pred][pred]` or `*[pred]`.
fn parse_step(s: &str) -> Result<Step, String> {
    let (name, mut rest) = s.split_at(s.find('[').unwrap_or(s.len()));
    let name = match name {
        "*" => None,
        n if valid_name(n) => Some(n.to_string()),
        n => return Err(format!("`{n}` is not an element name")),
    };
    let mut preds = Vec::new();
    while let Some(r) = rest.strip_prefix('[') {
        let end = r.find(']').ok_or("a `[` without its `]`")?;
        preds.push(parse_pred(&r[..end])?);
        rest = &r[end + 1..];
    }
    if !rest.is_empty() {
        return Err(format!("unexpected `{rest}`"));
    }
    Ok(Step { name, preds })
}

fn parse_pred(p: &str) -> Result<Pred, String> {
    if let Ok(n) = p.parse::<usize>() {
        return (n > 0)
            .then_some(Pred::Position(n))
            .ok_or("positions count from 1".into());
    }
    let (lhs, rhs) = p.split_once('=').ok_or(format!(
        "`[{p}]` is not `[N]`, `[@attr='v']` or `[child='text']`"
    ))?;
    let value = rhs
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .or_else(|| rhs.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
        .ok_or(format!("the value in `[{p}]` needs quotes"))?
        .to_string();
    match lhs.strip_prefix('@') {
        Some(a) if valid_name(a) => Ok(Pred::Attr(a.to_string(), value)),
        None if valid_name(lhs) => Ok(Pred::Child(lhs.to_string(), value)),
        _ => Err(format!("`{lhs}` is not a name")),
    }
}

/// Every value the selectors name in `content`.
pub fn extract(selectors: &[Selector], content: &[u8]) -> Result<Vec<Found>, Malformed> {
    let text = std::str::from_utf8(content).map_err(|e| Malformed {
        line: super::line_of(content, e.valid_up_to()),
        column: None,
        message: format!("not UTF-8 XML: {e}"),
    })?;
    let doc = roxmltree::Document::parse(text).map_err(|e| Malformed {
        line: e.pos().row,
        column: Some(e.pos().col),
        message: format!("not well-formed XML: {e}")
            .trim_end_matches(&format!(" at {}:{}", e.pos().row, e.pos().col))
            .to_string(),
    })?;
    let mut out = Vec::new();
    for s in selectors {
        let (first, rest) = s.steps.split_first().expect("a selector has a step");
        let root = doc.root_element();
        // The root element is the only one at its level: position 1 at most.
        let first_ok = !first
            .preds
            .iter()
            .any(|p| matches!(p, Pred::Position(n) if *n != 1));
        let mut nodes = if first_ok && step_matches(first, root) {
            vec![root]
        } else {
            vec![]
        };
        for step in rest {
            nodes = nodes.iter().flat_map(|n| children(*n, step)).collect();
        }
        for n in nodes {
            let value = match &s.attribute {
                Some(a) => n
                    .attributes()
                    .find(|x| x.name() == a)
                    .map(|x| x.value().to_string()),
                None => Some(element_text(n)),
            };
            if let Some(v) = value
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
            {
                out.push(Found {
                    line: doc.text_pos_at(n.range().start).row,
                    at: s.text.clone(),
                    value: v,
                });
            }
        }
    }
    Ok(out)
}

fn element_text(n: roxmltree::Node) -> String {
    n.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect()
}

/// Whether `n` has the step's name and meets its predicates other than position.
fn step_matches(step: &Step, n: roxmltree::Node) -> bool {
    n.is_element()
        && step
            .name
            .as_deref()
            .is_none_or(|name| n.tag_name().name() == name)
        && step.preds.iter().all(|p| match p {
            Pred::Attr(a, v) => n.attributes().any(|x| x.name() == a && x.value() == v),
            Pred::Child(c, v) => n
                .children()
                .any(|x| x.is_element() && x.tag_name().name() == c && element_text(x).trim() == v),
            Pred::Position(_) => true,
        })
}

/// The children of `n` that `step` selects, positions counted among those that match the rest.
fn children<'a, 'i>(n: roxmltree::Node<'a, 'i>, step: &Step) -> Vec<roxmltree::Node<'a, 'i>> {
    let matching: Vec<_> = n.children().filter(|c| step_matches(step, *c)).collect();
    let positions: Vec<usize> = step
        .preds
        .iter()
        .filter_map(|p| match p {
            Pred::Position(i) => Some(*i),
            _ => None,
        })
        .collect();
    matching
        .into_iter()
        .enumerate()
        .filter(|(i, _)| positions.iter().all(|p| *p == i + 1))
        .map(|(_, c)| c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(selectors: &[&str], text: &str) -> Vec<String> {
        super::super::run_with(Selector::parse, extract, selectors, text, false)
    }

    const ENCODED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<java version="11" class="java.beans.XMLDecoder">
 <object class="java.util.LinkedHashMap">
  <void method="put">
   <string>externalCommand</string>
   <string>/opt/ejbca/validators/lint.sh</string>
  </void>
  <void method="put">
   <string>description</string>
   <string>not a path</string>
  </void>
  <file path="a.xml"/><file path="b.xml"/>
 </object>
</java>"#;

    #[test]
    fn element_paths_with_predicates() {
        assert_eq!(
            run(
                &["/java/object/void[string='externalCommand']/string[2]"],
                ENCODED
            ),
            ["6:/opt/ejbca/validators/lint.sh"]
        );
        assert_eq!(
            run(&["/java/*/file/@path"], ENCODED),
            ["12:a.xml", "12:b.xml"]
        );
        assert_eq!(run(&["/java/object/file[2]/@path"], ENCODED), ["12:b.xml"]);
        assert_eq!(
            run(&["/java/object/void[@method='put'][1]/string[1]"], ENCODED),
            ["5:externalCommand"]
        );
        assert!(run(
            &["/other/object/void/string", "/java/object/file/@nope"],
            ENCODED
        )
        .is_empty());
    }

    #[test]
    fn selectors_are_checked() {
        for bad in [
            "java", "/", "/a[", "/a[0]", "/a[b]", "/a[@b=c]", "/a/@", "/a b",
        ] {
            assert!(Selector::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn malformed_xml_points_at_line_and_column() {
        let e = extract(&[], b"<a>\n  <b></c>\n</a>").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(
            e.message.starts_with("not well-formed XML"),
            "{}",
            e.message
        );
        assert!(extract(&[], b"<a>\xff</a>").is_err());
    }
}
