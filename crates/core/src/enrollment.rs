//! The enrollment state machine: none → pending → active → (reset) → none.
//!
//! A secret is *pending* from the moment it is shown until a correct code proves the user's app
//! holds it; only then is it *active*. Leaves out persistence (the store writes the new state
//! and the secret in one transaction so no half-enrolled state survives a crash) and code
//! checking (see [`crate::verifier`]).

/// Where a user stands with their second factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum EnrollmentState {
    /// No secret: the next sign-in shows an activation page.
    None,
    /// A secret was shown but never confirmed with a code.
    Pending,
    /// A confirmed secret: sign-ins require a code.
    Active,
}

impl EnrollmentState {
    /// `"none"`, `"pending"` or `"active"`, as stored and serialized.
    pub fn as_str(&self) -> &'static str {
        match self {
            EnrollmentState::None => "none",
            EnrollmentState::Pending => "pending",
            EnrollmentState::Active => "active",
        }
    }

    /// Inverse of [`EnrollmentState::as_str`]; exact match only, since this reads stored data.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(EnrollmentState::None),
            "pending" => Some(EnrollmentState::Pending),
            "active" => Some(EnrollmentState::Active),
            _ => None,
        }
    }
}

/// What happened to an enrollment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnrollmentEvent {
    /// A new pending secret was shown on the activation page.
    Issue,
    /// The user entered a correct code on the activation page.
    Confirm,
    /// An admin reset the user (also how a lost phone is handled).
    Reset,
}

/// An event that is not allowed in the current state.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[error("cannot {event:?} an enrollment that is {from:?}")]
pub struct TransitionError {
    pub from: EnrollmentState,
    pub event: EnrollmentEvent,
}

/// The next state, or why the event is refused.
///
/// - `Issue`: none → pending, pending → pending (a new sign-in may show a new secret, since
///   the old one may never have reached a phone). Refused when active: replacing a working
///   secret needs an admin reset, or anyone with the password could take over the factor.
/// - `Confirm`: pending → active only.
/// - `Reset`: any → none.
pub fn transition(
    from: EnrollmentState,
    event: EnrollmentEvent,
) -> Result<EnrollmentState, TransitionError> {
    use EnrollmentEvent as E;
    use EnrollmentState as S;
    match (from, event) {
        (S::None | S::Pending, E::Issue) => Ok(S::Pending),
        (S::Pending, E::Confirm) => Ok(S::Active),
        (_, E::Reset) => Ok(S::None),
        (S::Active, E::Issue) | (S::None | S::Active, E::Confirm) => {
            Err(TransitionError { from, event })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EnrollmentEvent as E;
    use EnrollmentState as S;

    #[test]
    fn full_cycle_goes_none_pending_active_none() {
        let s = transition(S::None, E::Issue).unwrap();
        assert_eq!(s, S::Pending);
        let s = transition(s, E::Confirm).unwrap();
        assert_eq!(s, S::Active);
        assert_eq!(transition(s, E::Reset).unwrap(), S::None);
    }

    #[test]
    fn pending_secret_may_be_reissued() {
        assert_eq!(transition(S::Pending, E::Issue), Ok(S::Pending));
    }

    #[test]
    fn active_secret_cannot_be_reissued_without_reset() {
        assert_eq!(
            transition(S::Active, E::Issue),
            Err(TransitionError { from: S::Active, event: E::Issue })
        );
    }

    #[test]
    fn confirm_is_only_valid_from_pending() {
        assert!(transition(S::None, E::Confirm).is_err());
        assert!(transition(S::Active, E::Confirm).is_err());
    }

    #[test]
    fn reset_works_from_every_state() {
        for s in [S::None, S::Pending, S::Active] {
            assert_eq!(transition(s, E::Reset), Ok(S::None));
        }
    }

    #[test]
    fn state_names_round_trip_and_match_serde() {
        for s in [S::None, S::Pending, S::Active] {
            assert_eq!(S::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        assert_eq!(S::parse("Active"), None);
    }

    #[test]
    fn transition_error_message_names_event_and_state() {
        let e = transition(S::Active, E::Issue).unwrap_err();
        assert_eq!(e.to_string(), "cannot Issue an enrollment that is Active");
    }
}
