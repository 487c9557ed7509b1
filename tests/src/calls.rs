//! Counting the DynamoDB calls an `AppState` makes, per test.
//!
//! The store's own counters (`igny8::store::metrics`) are process-wide, and
//! the tests of one binary run in parallel; a [`Calls`] recorder is an SDK
//! interceptor installed on one `AppState`'s DynamoDB client, so it sees that
//! state's calls and nothing else. For every call it keeps the operation,
//! the request as sent (JSON), and the items the answer held (`Count` of a
//! `Query`, the item of a `GetItem`, the items of a `BatchGetItem`).

use aws_sdk_dynamodb::config::interceptors::{AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents, SharedInterceptor};
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use serde_json::Value;
use std::sync::{Arc, Mutex};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One DynamoDB call.
#[derive(Debug, Clone)]
pub struct Call {
    /// e.g. `"Query"`, `"GetItem"`, `"BatchGetItem"`.
    pub operation: String,
    pub request: Value,
    /// Items the answer returned (0 for writes).
    pub items: usize,
}

impl Call {
    pub fn is_read(&self) -> bool {
        matches!(self.operation.as_str(), "GetItem" | "BatchGetItem" | "Query" | "Scan" | "TransactGetItems")
    }
}

/// A recorder shared by the interceptor and the test.
#[derive(Debug, Default, Clone)]
pub struct Calls {
    calls: Arc<Mutex<Vec<Call>>>,
}

#[derive(Debug, Clone)]
struct Pending(String, Value);
impl Storable for Pending {
    type Storer = StoreReplace<Self>;
}

impl Calls {
    pub fn new() -> Self {
        Self::default()
    }
    /// The calls so far, in the order they were answered.
    pub fn all(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
    /// Forgets the calls so far.
    pub fn reset(&self) {
        self.calls.lock().unwrap().clear();
    }
    /// The read calls so far.
    pub fn reads(&self) -> Vec<Call> {
        self.all().into_iter().filter(Call::is_read).collect()
    }
    /// The hooks to build an `AppState` with.
    pub fn hooks(&self) -> igny8::state::ClientHooks {
        igny8::state::ClientHooks { dynamodb: vec![SharedInterceptor::new(self.clone())], ..Default::default() }
    }
    /// An `AppState` on the test environment's stack whose DynamoDB calls are recorded here.
    pub async fn state(&self) -> Arc<igny8::AppState> {
        Arc::new(igny8::AppState::with_hooks(crate::env().config(), self.hooks()).await)
    }
}

fn returned_items(operation: &str, answer: &Value) -> usize {
    match operation {
        "Query" | "Scan" => answer["Count"].as_u64().unwrap_or(0) as usize,
        "GetItem" => usize::from(answer.get("Item").is_some_and(|i| !i.is_null())),
        "BatchGetItem" => answer["Responses"].as_object().map_or(0, |m| m.values().filter_map(Value::as_array).map(Vec::len).sum()),
        _ => 0,
    }
}

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "igny8-test-calls"
    }

    fn read_before_transmit(&self, ctx: &BeforeTransmitInterceptorContextRef<'_>, _rc: &RuntimeComponents, cfg: &mut ConfigBag) -> Result<(), BoxError> {
        let request = ctx.request();
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let operation = target.rsplit('.').next().unwrap_or_default().to_string();
        let body = request.body().bytes().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null);
        cfg.interceptor_state().store_put(Pending(operation, body));
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        ctx: &AfterDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Pending(operation, request)) = cfg.load::<Pending>().cloned() else { return Ok(()) };
        let answer: Value = ctx.response().body().bytes().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null);
        let items = returned_items(&operation, &answer);
        self.calls.lock().unwrap().push(Call { operation, request, items });
        Ok(())
    }
}
