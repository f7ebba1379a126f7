//! The core flow: declare, approve, check.

use crate::support::{Ca, Sandbox};

fn ca(s: &Sandbox) {
    Ca::new().described("TLS server").write(s);
}

#[test]
fn approve_then_check_is_clean_and_an_edit_is_stale() {
    let s = Sandbox::git_repo();
    ca(&s);
    s.commit_all("profiles");
    s.vigil(&["approve", "server", "--reason", "initial"])
        .expect(0);
    s.commit_all("approve");
    s.vigil(&["check"]).expect(0);
    s.file("validity/398.cnf", "default_days = 825\n");
    let r = s.vigil(&["check", "--format", "json"]).expect(1);
    assert_eq!(
        r.finding_codes(),
        ["stale validity/398.cnf", "uncommitted validity/398.cnf"]
    );
}
