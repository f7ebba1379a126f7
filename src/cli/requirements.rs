//! `vigil requirements`: every requirement, its dates and source, and the state of each profile it
//! applies to on a day.

use super::{emit, Exit, Globals, Outcome};
use vigil::requirements::{Date, Window};
use vigil::source::WorkTree;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The day to judge (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE", value_parser = super::parse_date)]
    as_of: Option<Date>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

fn window_text(w: Window) -> &'static str {
    match w {
        Window::NotYet => "not yet",
        Window::Upcoming => "upcoming",
        Window::InForce => "in force",
        Window::Ended => "ended",
    }
}

pub fn run(g: &Globals, a: Args) -> Outcome {
    let ws = g.workspace()?;
    let as_of = a.as_of.unwrap_or_else(Date::today);
    let source = WorkTree::new(&ws.root);
    let set = &ws.config.requirements;
    let outcome = vigil::requirement_check::survey(&ws.config, &source, Some(&ws.root), as_of)?;
    // The results of one requirement for one profile, by code.
    let counts = |req: &str, profile: &str| -> Vec<(String, usize)> {
        let mut v: Vec<(String, usize)> = Vec::new();
        for r in outcome
            .results
            .iter()
            .filter(|r| r.requirement == req && r.profile == profile)
        {
            let code = r.code.as_str().to_string();
            match v.iter_mut().find(|(c, _)| *c == code) {
                Some((_, n)) => *n += 1,
                None => v.push((code, 1)),
            }
        }
        v
    };
    let failing = !outcome.results.is_empty();
    if a.format == Format::Json {
        let reqs: Vec<serde_json::Value> = set
            .requirements
            .iter()
            .map(|r| {
                let profiles: Vec<serde_json::Value> = outcome
                    .statuses
                    .iter()
                    .filter(|s| s.requirement == r.id)
                    .map(|s| {
                        serde_json::json!({
                            "profile": s.profile,
                            "window": window_text(s.window),
                            "overridden": s.overridden,
                            "results": counts(&r.id, &s.profile).into_iter().collect::<std::collections::BTreeMap<_, _>>(),
                            "not_judged": s.unjudged,
                        })
                    })
                    .collect();
                serde_json::json!({
                    "id": r.id,
                    "title": r.title,
                    "pack": r.pack,
                    "source": r.source.to_string(),
                    "effective": r.effective.to_string(),
                    "until": r.until.map(|u| u.to_string()),
                    "window": window_text(r.window(as_of, set.lead_days)),
                    "purposes": r.applies_to.purposes,
                    "named_profiles": r.applies_to.profiles,
                    "review": r.review,
                    "defined": format!("{}:{}", r.defined.file, r.defined.line),
                    "override": set.overrides.get(&r.id).map(|o| serde_json::json!({"reason": o.reason, "profiles": o.profiles})),
                    "profiles": profiles,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "schema_version": 1,
            "as_of": as_of.to_string(),
            "lead_days": set.lead_days,
            "requirements": reqs,
        });
        let mut text = serde_json::to_string_pretty(&doc).expect("JSON values serialise");
        text.push('\n');
        emit(text.as_bytes())?;
        return Ok(if failing { Exit::Findings } else { Exit::Ok });
    }
    let mut out = format!(
        "vigil: {} requirements as of {as_of} (upcoming from {} days ahead)\n",
        set.requirements.len(),
        set.lead_days
    );
    for r in &set.requirements {
        let dates = match r.until {
            Some(u) => format!("{} until {u}", r.effective),
            None => format!("from {}", r.effective),
        };
        out.push_str(&format!(
            "\n{}  {}\n  {dates}, {}; {}\n",
            r.id,
            r.title,
            window_text(r.window(as_of, set.lead_days)),
            r.source
        ));
        let mut applies = Vec::new();
        if !r.applies_to.purposes.is_empty() {
            applies.push(format!("purpose {}", r.applies_to.purposes.join(", ")));
        }
        if !r.applies_to.profiles.is_empty() {
            applies.push(format!("profiles {}", r.applies_to.profiles.join(", ")));
        }
        out.push_str(&format!(
            "  applies to {}{}\n",
            applies.join("; "),
            if r.review { "; needs a review" } else { "" }
        ));
        if let Some(o) = set.overrides.get(&r.id) {
            out.push_str(&format!("  overridden: {}\n", o.reason));
        }
        let statuses: Vec<_> = outcome
            .statuses
            .iter()
            .filter(|s| s.requirement == r.id)
            .collect();
        if statuses.is_empty() {
            out.push_str("  no profile declares it\n");
        }
        for s in statuses {
            let state = if let Some(reason) = &s.overridden {
                format!("overridden: {reason}")
            } else if !matches!(s.window, Window::InForce | Window::Upcoming) {
                window_text(s.window).to_string()
            } else {
                let c = counts(&r.id, &s.profile);
                if c.is_empty() {
                    "ok".to_string()
                } else {
                    c.iter()
                        .map(|(code, n)| format!("{n} {code}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            out.push_str(&format!("  {:<20} {state}\n", s.profile));
            for u in &s.unjudged {
                out.push_str(&format!("  {:<20} not judged: {u}\n", ""));
            }
        }
    }
    emit(out.as_bytes())?;
    Ok(if failing { Exit::Findings } else { Exit::Ok })
}
