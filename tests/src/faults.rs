//! Fault injection: the failures real AWS produces and the emulator never does.
//!
//! A [`Faults`] plan is an interceptor installed on the `AppState`'s DynamoDB
//! client ([`igny8::state::ClientHooks`]). For each call it looks at the
//! operation (the `x-amz-target` header) and the request body, and for the
//! first matching rule with tries left it either
//!
//! - answers with DynamoDB's own error *instead of* the call, which never
//!   reaches the emulator: a `TransactionCanceledException` whose
//!   cancellation reasons are `TransactionConflict` for one operation and
//!   `None` for the others (in order, as DynamoDB reports them), or a
//!   `ProvisionedThroughputExceededException`, or a batch call whose every
//!   request comes back unprocessed; or
//! - lets the call through and then loses its response (a 500
//!   `InternalServerError` after the write happened): the SDK retries the
//!   call, which on the emulator then meets the state the first try left.
//!
//! The diverted call is rewritten to the harmless `DescribeLimits`, so the
//! emulator stays untouched and the injected answer is what the SDK parses,
//! exactly as it would parse DynamoDB's.

use aws_sdk_dynamodb::config::interceptors::{BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents, SharedInterceptor};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What to do to a matching call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `TransactionCanceledException` with a `TransactionConflict` reason; nothing is written.
    TransactionConflict,
    /// `ProvisionedThroughputExceededException`; nothing is written.
    Throttle,
    /// The call is applied, then its response is lost (500 `InternalServerError`).
    LostResponse,
    /// `TransactionCanceledException` whose reason for operation `n` is
    /// `ConditionalCheckFailed` (`None` for the others); nothing is written.
    ConditionFailed(usize),
    /// `TransactionCanceledException` without cancellation reasons (as some
    /// emulators answer a failed condition); nothing is written.
    CanceledWithoutReasons,
    /// A `BatchWriteItem` or `BatchGetItem` answered 200 with every request
    /// handed back unprocessed (`UnprocessedItems` / `UnprocessedKeys`), as
    /// DynamoDB does when the table's partitions are throttled; nothing is
    /// written or read.
    Unprocessed,
}

/// One rule: the operation (e.g. `"TransactWriteItems"`), an optional
/// substring the request body must contain, the fault, and how many calls to
/// hit (`every`: hit one call in `every` of the matching ones).
#[derive(Debug)]
pub struct Rule {
    pub operation: String,
    pub body_contains: Vec<String>,
    pub fault: Fault,
    pub every: usize,
    pub limit: usize,
    /// Matching calls let through before the rule starts hitting.
    pub skip: usize,
    seen: AtomicUsize,
    hit: AtomicUsize,
}

impl Rule {
    pub fn new(operation: &str, fault: Fault) -> Self {
        Self { operation: operation.into(), body_contains: Vec::new(), fault, every: 1, limit: usize::MAX, skip: 0, seen: AtomicUsize::new(0), hit: AtomicUsize::new(0) }
    }
    /// Only calls whose JSON body contains `needle` (and every other one given).
    pub fn containing(mut self, needle: &str) -> Self {
        self.body_contains.push(needle.into());
        self
    }
    /// Hit one matching call in `n` (the 1st, the (n+1)th, …).
    pub fn every(mut self, n: usize) -> Self {
        self.every = n.max(1);
        self
    }
    /// Let the first `n` matching calls through (e.g. fail after N batches).
    pub fn after(mut self, n: usize) -> Self {
        self.skip = n;
        self
    }
    /// Hit at most `n` calls.
    pub fn at_most(mut self, n: usize) -> Self {
        self.limit = n;
        self
    }
    fn take(&self, operation: &str, body: &str) -> bool {
        if operation != self.operation || self.body_contains.iter().any(|n| !body.contains(n.as_str())) {
            return false;
        }
        let n = self.seen.fetch_add(1, Ordering::SeqCst);
        let Some(n) = n.checked_sub(self.skip) else { return false };
        if !n.is_multiple_of(self.every) {
            return false;
        }
        self.hit.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |h| (h < self.limit).then_some(h + 1)).is_ok()
    }
}

/// A fault plan shared by the interceptor and the test (which reads the counts).
#[derive(Debug, Default, Clone)]
pub struct Faults {
    rules: Arc<Mutex<Vec<Arc<Rule>>>>,
}

impl Faults {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn with(self, rule: Rule) -> Self {
        self.rules.lock().unwrap().push(Arc::new(rule));
        self
    }
    /// How many calls each rule hit, in the order the rules were added.
    pub fn hits(&self) -> Vec<usize> {
        self.rules.lock().unwrap().iter().map(|r| r.hit.load(Ordering::SeqCst)).collect()
    }
    /// Stops injecting (the state can then be used to check the outcome).
    pub fn clear(&self) {
        self.rules.lock().unwrap().clear();
    }
    /// The hooks to build an `AppState` with.
    pub fn hooks(&self) -> igny8::state::ClientHooks {
        igny8::state::ClientHooks { dynamodb: vec![SharedInterceptor::new(self.clone())], ..Default::default() }
    }
    /// An `AppState` on the test environment's stack whose DynamoDB calls go through this plan.
    pub async fn state(&self) -> Arc<igny8::AppState> {
        Arc::new(igny8::AppState::with_hooks(crate::env().config(), self.hooks()).await)
    }
}

/// The answer chosen for the current attempt, kept in the attempt's config bag.
#[derive(Debug, Clone)]
struct Injected {
    status: u16,
    body: String,
}
impl Storable for Injected {
    type Storer = StoreReplace<Self>;
}

fn error_body(fault: Fault, body: &Value) -> (u16, String) {
    match fault {
        Fault::TransactionConflict => {
            let n = body["TransactItems"].as_array().map_or(1, Vec::len).max(1);
            // DynamoDB names the operation that collided; the others are "None".
            let reasons: Vec<Value> = (0..n)
                .map(|i| if i == 0 { json!({"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}) } else { json!({"Code": "None"}) })
                .collect();
            let codes: Vec<&str> = (0..n).map(|i| if i == 0 { "TransactionConflict" } else { "None" }).collect();
            (
                400,
                json!({
                    "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                    "Message": format!("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]", codes.join(", ")),
                    "CancellationReasons": reasons,
                })
                .to_string(),
            )
        }
        Fault::ConditionFailed(failed) => {
            let n = body["TransactItems"].as_array().map_or(1, Vec::len).max(failed + 1);
            let codes: Vec<&str> = (0..n).map(|i| if i == failed { "ConditionalCheckFailed" } else { "None" }).collect();
            let reasons: Vec<Value> = codes
                .iter()
                .map(|c| if *c == "None" { json!({"Code": c}) } else { json!({"Code": c, "Message": "The conditional request failed"}) })
                .collect();
            (400, canceled(&codes, Some(reasons)))
        }
        Fault::CanceledWithoutReasons => (400, canceled(&[], None)),
        Fault::Unprocessed => {
            let requested = body["RequestItems"].clone();
            let answer = if requested.as_object().is_some_and(|m| m.values().any(|v| v.get("Keys").is_some())) {
                let empty: serde_json::Map<String, Value> = requested.as_object().into_iter().flatten().map(|(t, _)| (t.clone(), json!([]))).collect();
                json!({"Responses": empty, "UnprocessedKeys": requested})
            } else {
                json!({"UnprocessedItems": requested})
            };
            (200, answer.to_string())
        }
        Fault::Throttle => (
            400,
            json!({
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."
            })
            .to_string(),
        ),
        Fault::LostResponse => (
            500,
            json!({"__type": "com.amazon.coral.availability#InternalServerError", "message": "Internal server error"}).to_string(),
        ),
    }
}

fn canceled(codes: &[&str], reasons: Option<Vec<Value>>) -> String {
    let mut body = json!({
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "Message": format!("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]", codes.join(", ")),
    });
    if let Some(reasons) = reasons {
        body["CancellationReasons"] = Value::Array(reasons);
    }
    body.to_string()
}

impl Intercept for Faults {
    fn name(&self) -> &'static str {
        "igny8-test-faults"
    }

    fn modify_before_transmit(&self, ctx: &mut BeforeTransmitInterceptorContextMut<'_>, _rc: &RuntimeComponents, cfg: &mut ConfigBag) -> Result<(), BoxError> {
        let request = ctx.request();
        let target = request.headers().get("x-amz-target").unwrap_or_default().to_string();
        let operation = target.rsplit('.').next().unwrap_or_default().to_string();
        let text = request.body().bytes().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
        let rule = self.rules.lock().unwrap().iter().find(|r| r.take(&operation, &text)).cloned();
        let Some(rule) = rule else {
            cfg.interceptor_state().unset::<Injected>();
            return Ok(());
        };
        let body: Value = serde_json::from_str(&text).unwrap_or_default();
        let (status, answer) = error_body(rule.fault, &body);
        if rule.fault != Fault::LostResponse {
            // Divert the call: the emulator sees a harmless read instead.
            let req = ctx.request_mut();
            req.headers_mut().insert("x-amz-target", "DynamoDB_20120810.DescribeLimits");
            req.headers_mut().insert("content-length", "2");
            *req.body_mut() = SdkBody::from("{}");
        }
        cfg.interceptor_state().store_put(Injected { status, body: answer });
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        ctx: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(injected) = cfg.load::<Injected>().cloned() else { return Ok(()) };
        cfg.interceptor_state().unset::<Injected>();
        let resp = ctx.response_mut();
        *resp.status_mut() = aws_smithy_runtime_api::http::StatusCode::try_from(injected.status)?;
        resp.headers_mut().remove("x-amz-crc32");
        resp.headers_mut().insert("content-type", "application/x-amz-json-1.0");
        resp.headers_mut().insert("content-length", injected.body.len().to_string());
        *resp.body_mut() = SdkBody::from(injected.body);
        Ok(())
    }
}
