//! The planner: keywords (and their import), clusters, ideas, tasks.

pub mod auto_cluster;
pub mod cannibalization;
pub mod cluster;
pub mod clusters;
pub mod ideas;
pub mod import;
pub mod keywords;
pub mod normalize;
pub mod quota;
pub mod tasks;
