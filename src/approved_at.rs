//! The time an approval or a signature records: now, or what `VIGIL_APPROVED_AT` says. Its own
//! module so that approving and signing both use it without depending on each other.

use crate::Error;

/// The environment variable that sets the time `approve` and `sign` write, as `GIT_COMMITTER_DATE`
/// does for git: for reproducible examples and for tests that judge an approval `--as-of` a fixed day.
pub const APPROVED_AT_ENV: &str = "VIGIL_APPROVED_AT";

/// The time to record in an approval or a signature: [`APPROVED_AT_ENV`] when set (an RFC 3339 time),
/// otherwise now, in whole seconds and UTC. Whoever approves chooses this time either way (the signature
/// covers it, the clock does not), so honouring the variable gives no one a power they lacked.
pub(crate) fn approval_time() -> Result<String, Error> {
    let at = match std::env::var_os(APPROVED_AT_ENV) {
        None => std::time::SystemTime::now(),
        Some(v) => {
            let text = v.to_string_lossy();
            humantime::parse_rfc3339_weak(&text).map_err(|e| {
                Error::Usage(format!(
                    "{APPROVED_AT_ENV}=`{text}` is not a time like 2026-11-29T12:00:00Z: {e}"
                ))
            })?
        }
    };
    Ok(humantime::format_rfc3339_seconds(at).to_string())
}
