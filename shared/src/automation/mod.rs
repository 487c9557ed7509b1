//! Automation: rules with conditions and actions, their executions and their
//! EventBridge Scheduler schedules.
//!
//! - [`conditions`]: the condition engine (plain functions, table-tested);
//! - [`cron`]: unix cron → AWS `cron(…)`, and the matcher of the local scheduler;
//! - [`rules`]: the rule item, save-time validation, CRUD, the plan limit;
//! - [`run`]: one execution: select, estimate, cap, enqueue through the job
//!   framework ([`crate::ai::function::submit`]), record, auto-pause;
//! - [`schedule`]: one Scheduler schedule per enabled schedule rule, reconciled
//!   from the store (the source of truth) on every save.

pub mod conditions;
pub mod cron;
pub mod events;
pub mod pipeline;
pub mod rules;
pub mod run;
pub mod schedule;

pub use rules::{Action, Rule, RuleInput};
pub use run::Execution;
