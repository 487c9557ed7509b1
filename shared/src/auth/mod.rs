//! Authentication and authorization: passwords, tokens, the principal and the
//! role guards every function uses the same way.

pub mod guard;
pub mod password;
pub mod session;
pub mod token;

pub use guard::{Principal, Role};
