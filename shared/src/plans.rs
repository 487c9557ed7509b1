//! Plans: monthly credits and hard limits. Limits are enforced with
//! conditional writes on the account's counters, so concurrent creations can
//! never overshoot; hitting one is a 403 `PLAN_LIMIT` naming the limit.

use crate::error::{AppError, AppResult};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Plan {
    pub id: &'static str,
    pub name: &'static str,
    pub monthly_credits: f64,
    pub max_sites: u32,
    pub max_users: u32,
    pub max_keywords: u32,
}

pub const PLANS: &[Plan] = &[
    Plan { id: "free", name: "Free", monthly_credits: 100.0, max_sites: 1, max_users: 3, max_keywords: 500 },
    Plan { id: "starter", name: "Starter", monthly_credits: 1_000.0, max_sites: 3, max_users: 5, max_keywords: 5_000 },
    Plan { id: "growth", name: "Growth", monthly_credits: 5_000.0, max_sites: 10, max_users: 15, max_keywords: 50_000 },
    Plan { id: "scale", name: "Scale", monthly_credits: 20_000.0, max_sites: 50, max_users: 50, max_keywords: 500_000 },
];

pub fn get(id: &str) -> AppResult<&'static Plan> {
    PLANS.iter().find(|p| p.id == id).ok_or_else(|| AppError::field("plan", format!("unknown plan {id:?}; one of free, starter, growth, scale")))
}

/// The plan an account is on (unknown ids fall back to free's limits).
pub fn of(id: &str) -> &'static Plan {
    get(id).unwrap_or(&PLANS[0])
}

pub fn limit_error(plan: &Plan, limit: &str, max: u32) -> AppError {
    AppError::PlanLimit(format!("the {} plan allows at most {max} {limit}; upgrade the plan to add more", plan.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_grow_and_unknown_plans_are_refused() {
        assert!(PLANS.windows(2).all(|w| w[0].monthly_credits < w[1].monthly_credits && w[0].max_sites <= w[1].max_sites));
        assert_eq!(get("growth").unwrap().max_sites, 10);
        assert_eq!(get("platinum").unwrap_err().code(), "VALIDATION_ERROR");
        assert_eq!(limit_error(of("free"), "sites", 1).code(), "PLAN_LIMIT");
        assert!(limit_error(of("free"), "sites", 1).public_message().contains("sites"));
    }
}
