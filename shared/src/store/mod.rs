//! The single-table store: the one module that talks to DynamoDB.
//!
//! Domain structs stay free of storage concerns: an [`Item`] says which keys it
//! lives under, the store adds `PK`/`SK`/GSI/`ttl`/`entity` attributes on write
//! and ignores them on read. Mutable items carry a `version`; updates are
//! conditional on it (optimistic locking, a stale write is a 409 `CONFLICT`).
//! Access patterns are documented in [`keys`].

pub mod cursor;
pub mod keys;
pub mod metrics;

use crate::error::{AppError, AppResult};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, DeleteRequest, KeysAndAttributes, Put, PutRequest, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update, WriteRequest,
};
use futures::StreamExt;
use keys::{Index, Key, Tenant};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

pub type Attrs = HashMap<String, AttributeValue>;

/// Secondary-index keys and TTL of an item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemKeys {
    pub gsi1: Option<(String, String)>,
    pub gsi2: Option<(String, String)>,
    /// Epoch seconds after which the item is treated as gone.
    pub ttl: Option<i64>,
}

/// A domain struct stored in the table.
pub trait Item: Serialize + DeserializeOwned + Send + Sync {
    /// Stored as the `entity` attribute, for humans reading the table.
    const ENTITY: &'static str;
    fn key(&self) -> Key;
    fn index_keys(&self) -> ItemKeys {
        ItemKeys::default()
    }
}

/// An item updated under optimistic locking.
pub trait Versioned: Item {
    fn version(&self) -> u64;
    fn set_version(&mut self, version: u64);
}

/// Implements [`Versioned`] for items whose `version: u64` field is the lock.
#[macro_export]
macro_rules! versioned {
    ($($t:ty),+ $(,)?) => {
        $(impl $crate::store::Versioned for $t {
            fn version(&self) -> u64 {
                self.version
            }
            fn set_version(&mut self, version: u64) {
                self.version = version;
            }
        })+
    };
}

/// A sort-key condition for queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkCondition {
    Any,
    BeginsWith(String),
    Between(String, String),
}

/// One page of a list: the same shape everywhere in the API.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub results: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A query of one partition, tenant-bound.
#[derive(Debug, Clone)]
pub struct Query {
    pub tenant: Tenant,
    pub index: Index,
    pub pk: String,
    pub sk: SkCondition,
    pub limit: i32,
    pub cursor: Option<String>,
    pub newest_first: bool,
    /// Extra filter conditions (ANDed), with their names and values. Filters
    /// apply after the key condition, so a page may hold fewer than `limit`.
    pub filters: Vec<String>,
    pub filter_names: HashMap<String, String>,
    pub filter_values: Attrs,
    /// Attributes to return (all when empty): service reads that need a few
    /// fields of big items say which.
    pub projection: Vec<String>,
}

impl Query {
    /// Adds a filter condition, e.g. `filter("#st = :st", &[("#st", "status")], [(":st", S("new"))])`.
    pub fn filter(mut self, condition: &str, names: &[(&str, &str)], values: Vec<(&str, AttributeValue)>) -> Self {
        self.filters.push(format!("({condition})"));
        for (k, v) in names {
            self.filter_names.insert((*k).to_string(), (*v).to_string());
        }
        for (k, v) in values {
            self.filter_values.insert(k.to_string(), v);
        }
        self
    }

    /// What a cursor is bound to besides the partition: the index and the
    /// sort-key condition (one partition holds several lists).
    pub fn list_id(&self) -> String {
        let sk = match &self.sk {
            SkCondition::Any => String::new(),
            SkCondition::BeginsWith(p) => format!("^{p}"),
            SkCondition::Between(a, b) => format!("[{a},{b}]"),
        };
        format!("{}|{sk}|{}", self.index.name().unwrap_or("T"), if self.newest_first { "desc" } else { "asc" })
    }

    pub fn new(tenant: &Tenant, index: Index, pk: impl Into<String>) -> Self {
        Self {
            tenant: tenant.clone(),
            index,
            pk: pk.into(),
            sk: SkCondition::Any,
            limit: 25,
            cursor: None,
            newest_first: false,
            filters: Vec::new(),
            filter_names: HashMap::new(),
            filter_values: HashMap::new(),
            projection: Vec::new(),
        }
    }
    /// Returns only these attributes of each item.
    pub fn project(mut self, fields: &[&str]) -> Self {
        self.projection = fields.iter().map(|f| (*f).to_string()).collect();
        self
    }
    pub fn sk(mut self, sk: SkCondition) -> Self {
        self.sk = sk;
        self
    }
    pub fn limit(mut self, limit: i32) -> Self {
        self.limit = limit;
        self
    }
    pub fn cursor(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }
    pub fn newest_first(mut self, yes: bool) -> Self {
        self.newest_first = yes;
        self
    }
}

/// Why a transaction was cancelled: the indexes of the operations whose
/// condition failed, or another error.
#[derive(Debug)]
pub enum TxError {
    ConditionFailed(Vec<usize>),
    Other(AppError),
}

impl From<TxError> for AppError {
    fn from(e: TxError) -> Self {
        match e {
            TxError::ConditionFailed(ops) => AppError::Conflict(format!(
                "the change conflicts with the current state (operation {ops:?} failed its condition); reload and retry"
            )),
            TxError::Other(e) => e,
        }
    }
}

/// Status of the table, for the health check.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TableHealth {
    pub reachable: bool,
    pub status: Option<String>,
}

#[derive(Clone)]
pub struct Store {
    client: Client,
    table: String,
    cursor_key: Vec<u8>,
}

const MAX_BATCH: usize = 25;
/// Tries of a transaction cancelled by contention (conflict, throttling).
pub const TX_ATTEMPTS: u32 = 10;
const MAX_BATCH_GET: usize = 100;
/// Items per page of service reads ([`Store::query_all`]).
pub const SERVICE_PAGE: i32 = 1_000;
const BATCH_PARALLELISM: usize = 4;
const BATCH_ATTEMPTS: u32 = 8;

fn sdk_err<E: std::error::Error + Send + Sync + 'static, R: std::fmt::Debug>(op: &str, e: SdkError<E, R>) -> AppError {
    AppError::Internal(format!("dynamodb {op}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(&e)))
}

fn is_condition_failure<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    e.as_service_error().and_then(|s| s.code()) == Some("ConditionalCheckFailedException")
}

/// Why a `TransactWriteItems` call failed, as far as retrying is concerned.
#[derive(Debug, PartialEq, Eq)]
enum TxFailure {
    /// Conditions failed (indexes of the operations): the caller decides.
    Conditions(Vec<usize>),
    /// Contention or throttling (the reason codes): worth another try as is.
    Contention(String),
    /// Anything else.
    Other,
}

/// Cancellation reasons that mean "try again", not "your condition is false".
const CONTENTION_REASONS: [&str; 3] = ["TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"];
/// Error codes of the whole call that mean the same.
const CONTENTION_ERRORS: [&str; 5] = [
    "TransactionInProgressException",
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
];

fn classify_tx_failure<R>(e: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>) -> TxFailure {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError as E;
    let Some(service) = e.as_service_error() else { return TxFailure::Other };
    if let E::TransactionCanceledException(tc) = service {
        let codes: Vec<&str> = tc.cancellation_reasons().iter().map(|r| r.code().unwrap_or("None")).collect();
        return classify_reasons(&codes);
    }
    match service.code() {
        Some(code) if CONTENTION_ERRORS.contains(&code) => TxFailure::Contention(code.to_string()),
        _ => TxFailure::Other,
    }
}

/// Decides from the per-operation reason codes, in the order DynamoDB reports
/// them: a failed condition wins (retrying would fail it again); otherwise a
/// conflict or throttle is retried. moto sometimes reports no reasons at all
/// for a failed condition.
fn classify_reasons(codes: &[&str]) -> TxFailure {
    let failed: Vec<usize> = codes.iter().enumerate().filter(|(_, c)| **c == "ConditionalCheckFailed").map(|(i, _)| i).collect();
    if !failed.is_empty() || codes.is_empty() {
        return TxFailure::Conditions(failed);
    }
    let contended: Vec<&str> = codes.iter().copied().filter(|c| CONTENTION_REASONS.contains(c)).collect();
    if contended.is_empty() { TxFailure::Other } else { TxFailure::Contention(contended.join(",")) }
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// Serializes an item with its storage attributes.
pub fn to_attrs<T: Item>(item: &T) -> AppResult<Attrs> {
    let mut attrs: Attrs = serde_dynamo::to_item(item)?;
    let key = item.key();
    attrs.insert("PK".into(), s(key.pk));
    attrs.insert("SK".into(), s(key.sk));
    attrs.insert("entity".into(), s(T::ENTITY));
    let ik = item.index_keys();
    if let Some((pk, sk)) = ik.gsi1 {
        attrs.insert("GSI1PK".into(), s(pk));
        attrs.insert("GSI1SK".into(), s(sk));
    }
    if let Some((pk, sk)) = ik.gsi2 {
        attrs.insert("GSI2PK".into(), s(pk));
        attrs.insert("GSI2SK".into(), s(sk));
    }
    if let Some(ttl) = ik.ttl {
        attrs.insert("ttl".into(), AttributeValue::N(ttl.to_string()));
    }
    Ok(attrs)
}

fn expired(attrs: &Attrs, now: i64) -> bool {
    matches!(attrs.get("ttl"), Some(AttributeValue::N(n)) if n.parse::<i64>().is_ok_and(|t| t <= now))
}

pub fn from_attrs<T: DeserializeOwned>(attrs: Attrs) -> AppResult<T> {
    Ok(serde_dynamo::from_item(attrs)?)
}

/// `#p0, #p1, …` for the given attributes (names added to `names`), or `None`.
fn projection_expression(fields: &[String], names: &mut HashMap<String, String>) -> Option<String> {
    if fields.is_empty() {
        return None;
    }
    let refs: Vec<String> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            names.insert(format!("#p{i}"), f.clone());
            format!("#p{i}")
        })
        .collect();
    Some(refs.join(", "))
}

fn key_attrs(key: &Key) -> Attrs {
    HashMap::from([("PK".to_string(), s(&key.pk)), ("SK".to_string(), s(&key.sk))])
}

impl Store {
    pub fn new(client: Client, table: String, cursor_key: Vec<u8>) -> Self {
        Self { client, table, cursor_key }
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Whether the table answers `DescribeTable`.
    pub async fn health(&self) -> TableHealth {
        match self.client.describe_table().table_name(&self.table).send().await {
            Ok(out) => TableHealth {
                reachable: true,
                status: out.table().and_then(|t| t.table_status()).map(|s| s.as_str().to_string()),
            },
            Err(e) => {
                tracing::warn!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(&e), "table not reachable");
                TableHealth { reachable: false, status: None }
            }
        }
    }

    /// Switches on TTL on the `ttl` attribute (the template does it in AWS;
    /// the emulator needs it done explicitly).
    pub async fn enable_ttl(&self) -> AppResult<()> {
        let spec = aws_sdk_dynamodb::types::TimeToLiveSpecification::builder()
            .attribute_name("ttl")
            .enabled(true)
            .build()
            .map_err(AppError::internal)?;
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(spec)
            .send()
            .await
            .map_err(|e| sdk_err("UpdateTimeToLive", e))?;
        Ok(())
    }

    /// Reads one item; an expired (TTL) item reads as absent.
    pub async fn get<T: DeserializeOwned>(&self, key: &Key) -> AppResult<Option<T>> {
        metrics::count(metrics::Op::Get, 1);
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_err("GetItem", e))?;
        match out.item {
            Some(attrs) if !expired(&attrs, crate::ids::now_epoch()) => Ok(Some(from_attrs(attrs)?)),
            _ => Ok(None),
        }
    }

    /// Writes an item unconditionally.
    pub async fn put<T: Item>(&self, item: &T) -> AppResult<()> {
        metrics::count(metrics::Op::Write, 1);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_attrs(item)?))
            .send()
            .await
            .map_err(|e| sdk_err("PutItem", e))?;
        Ok(())
    }

    /// Creates an item; 409 `CONFLICT` if one with the same key exists.
    pub async fn create<T: Item>(&self, item: &T) -> AppResult<()> {
        metrics::count(metrics::Op::Write, 1);
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_attrs(item)?))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(AppError::Conflict(format!("{} already exists", T::ENTITY))),
            Err(e) => Err(sdk_err("PutItem", e)),
        }
    }

    /// Replaces a versioned item if its stored version is still the one the
    /// caller read (`item.version()`); bumps the version. A stale write is a
    /// 409 `CONFLICT`, a missing item a 404.
    pub async fn update_versioned<T: Versioned>(&self, item: &mut T) -> AppResult<()> {
        metrics::count(metrics::Op::Write, 1);
        let expected = item.version();
        item.set_version(expected + 1);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_attrs(item)?))
            .condition_expression("attribute_exists(PK) AND #v = :expected")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":expected", AttributeValue::N(expected.to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => {
                item.set_version(expected);
                let exists = self.get::<serde_json::Value>(&item.key()).await?.is_some();
                if exists {
                    Err(AppError::Conflict(format!(
                        "{} was changed since version {expected}; reload it and apply your change again",
                        T::ENTITY
                    )))
                } else {
                    Err(AppError::not_found(T::ENTITY))
                }
            }
            Err(e) => {
                item.set_version(expected);
                Err(sdk_err("PutItem", e))
            }
        }
    }

    /// Deletes an item; returns whether it existed.
    pub async fn delete(&self, key: &Key) -> AppResult<bool> {
        metrics::count(metrics::Op::Write, 1);
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk_err("DeleteItem", e))?;
        Ok(out.attributes.is_some())
    }

    /// Deletes an item if it is still at `version`: a stale delete is a 409
    /// `CONFLICT`, a missing item a 404.
    pub async fn delete_versioned(&self, key: &Key, version: u64, entity: &str) -> AppResult<()> {
        metrics::count(metrics::Op::Write, 1);
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .condition_expression("attribute_exists(PK) AND #v = :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", AttributeValue::N(version.to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => {
                let exists = e.as_service_error().is_some_and(|s| match s {
                    aws_sdk_dynamodb::operation::delete_item::DeleteItemError::ConditionalCheckFailedException(c) => c.item().is_some(),
                    _ => false,
                });
                if exists {
                    Err(AppError::Conflict(format!("{entity} was changed since version {version}; reload it and retry")))
                } else {
                    Err(AppError::not_found(entity))
                }
            }
            Err(e) => Err(sdk_err("DeleteItem", e)),
        }
    }

    /// Runs a low-level update expression (counters, status moves) with an
    /// optional condition. Returns the new item, or `None` when the condition
    /// failed.
    pub async fn update_raw(
        &self,
        key: &Key,
        update_expression: &str,
        condition: Option<&str>,
        names: &[(&str, &str)],
        values: Attrs,
    ) -> AppResult<Option<Attrs>> {
        metrics::count(metrics::Op::Write, 1);
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .update_expression(update_expression)
            .set_condition_expression(condition.map(str::to_string))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew);
        for (k, v) in names {
            req = req.expression_attribute_names(*k, *v);
        }
        if !values.is_empty() {
            req = req.set_expression_attribute_values(Some(values));
        }
        match req.send().await {
            Ok(out) => Ok(out.attributes),
            Err(e) if is_condition_failure(&e) => Ok(None),
            Err(e) => Err(sdk_err("UpdateItem", e)),
        }
    }

    /// Takes a lease on `key` for `holder` until `until` (epoch seconds; also
    /// the item's TTL): true when taken — the lease was absent, expired or
    /// already `holder`'s. One writer at a time (e.g. one run per automation rule).
    pub async fn take_lease(&self, key: &Key, entity: &str, holder: &str, until: i64, now: i64) -> AppResult<bool> {
        let values = HashMap::from([
            (":h".to_string(), s(holder)),
            (":u".to_string(), AttributeValue::N(until.to_string())),
            (":now".to_string(), AttributeValue::N(now.to_string())),
            (":e".to_string(), s(entity)),
        ]);
        let got = self
            .update_raw(
                key,
                "SET holder = :h, lease_until = :u, #ttl = :u, entity = :e",
                Some("attribute_not_exists(PK) OR lease_until < :now OR holder = :h"),
                &[("#ttl", "ttl")],
                values,
            )
            .await?;
        Ok(got.is_some())
    }

    /// Ends `holder`'s lease on `key` (another holder's lease is left alone).
    pub async fn release_lease(&self, key: &Key, holder: &str) -> AppResult<()> {
        metrics::count(metrics::Op::Write, 1);
        match self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .condition_expression("holder = :h")
            .expression_attribute_values(":h", s(holder))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(sdk_err("DeleteItem", e)),
        }
    }

    /// Writes a marker item that lives until `ttl` (epoch seconds) unless a
    /// live one is there: true when this call wrote it (e.g. "this rule fired
    /// for this minute"), false when it was already marked.
    pub async fn mark_once(&self, key: &Key, entity: &str, ttl: i64, now: i64) -> AppResult<bool> {
        metrics::count(metrics::Op::Write, 1);
        let mut item = key_attrs(key);
        item.insert("entity".into(), s(entity));
        item.insert("ttl".into(), AttributeValue::N(ttl.to_string()));
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK) OR #ttl < :now")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_err("PutItem", e)),
        }
    }

    /// Reads one page of a partition. The cursor is opaque, signed and bound
    /// to the tenant and the partition; anything else is a 400.
    pub async fn query<T: DeserializeOwned>(&self, q: &Query) -> AppResult<Page<T>> {
        self.query_page(q, q.limit.clamp(1, 100)).await
    }

    /// One page of up to `limit` items (service reads take up to
    /// [`SERVICE_PAGE`] per call; DynamoDB also ends a page at 1 MB).
    async fn query_page<T: DeserializeOwned>(&self, q: &Query, limit: i32) -> AppResult<Page<T>> {
        if !q.tenant.owns_pk(&q.pk) {
            return Err(AppError::internal(format!("query of partition {} outside tenant", q.pk)));
        }
        let pk_attr = q.index.pk_attr();
        let sk_attr = q.index.sk_attr();
        let mut cond = "#pk = :pk".to_string();
        let mut values: Attrs = HashMap::from([(":pk".to_string(), s(&q.pk))]);
        let mut names = HashMap::from([("#pk".to_string(), pk_attr.to_string())]);
        match &q.sk {
            SkCondition::Any => {}
            SkCondition::BeginsWith(p) => {
                cond.push_str(" AND begins_with(#sk, :sk)");
                values.insert(":sk".into(), s(p));
                names.insert("#sk".into(), sk_attr.into());
            }
            SkCondition::Between(a, b) => {
                cond.push_str(" AND #sk BETWEEN :a AND :b");
                values.insert(":a".into(), s(a));
                values.insert(":b".into(), s(b));
                names.insert("#sk".into(), sk_attr.into());
            }
        }
        let list = q.list_id();
        let start_key = match &q.cursor {
            Some(c) => Some(
                cursor::decode(&self.cursor_key, &q.tenant, &q.pk, &list, c)?
                    .into_iter()
                    .map(|(k, v)| (k, s(v)))
                    .collect::<Attrs>(),
            ),
            None => None,
        };
        names.insert("#ttl".into(), "ttl".into());
        values.insert(":now".into(), AttributeValue::N(crate::ids::now_epoch().to_string()));
        let mut filter = "(attribute_not_exists(#ttl) OR #ttl > :now)".to_string();
        for f in &q.filters {
            filter.push_str(" AND ");
            filter.push_str(f);
        }
        names.extend(q.filter_names.clone());
        values.extend(q.filter_values.clone());
        let projection = projection_expression(&q.projection, &mut names);
        let out = self
            .client
            .query()
            .set_projection_expression(projection)
            .table_name(&self.table)
            .set_index_name(q.index.name().map(str::to_string))
            .key_condition_expression(cond)
            .filter_expression(filter)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(!q.newest_first)
            .limit(limit)
            .set_exclusive_start_key(start_key)
            .send()
            .await
            .map_err(|e| sdk_err("Query", e))?;
        metrics::count(metrics::Op::QueryPage, 1);
        metrics::count(metrics::Op::QueryItem, out.scanned_count.max(0) as u64);
        let results = out.items.unwrap_or_default().into_iter().map(from_attrs).collect::<AppResult<Vec<T>>>()?;
        let next_cursor = out.last_evaluated_key.filter(|k| !k.is_empty()).map(|k| {
            let plain: BTreeMap<String, String> = k
                .into_iter()
                .filter_map(|(name, v)| match v {
                    AttributeValue::S(v) => Some((name, v)),
                    _ => None,
                })
                .collect();
            cursor::encode(&self.cursor_key, &q.tenant, &q.pk, &list, plain)
        });
        Ok(Page { results, next_cursor })
    }

    /// Platform-level sweep of one index partition that holds no tenant data
    /// of its own (e.g. the list of accounts for the monthly grant). Never used
    /// for API lists: it is not bound to a tenant.
    pub async fn query_platform<T: DeserializeOwned>(&self, index: Index, pk: &str, start: Option<Attrs>) -> AppResult<(Vec<T>, Option<Attrs>)> {
        self.platform_page(index, pk, None, start).await
    }

    /// [`Store::query_platform`] limited to sort keys below `sk_below` (e.g.
    /// the open jobs due before now).
    pub async fn query_platform_below<T: DeserializeOwned>(
        &self,
        index: Index,
        pk: &str,
        sk_below: &str,
        start: Option<Attrs>,
    ) -> AppResult<(Vec<T>, Option<Attrs>)> {
        self.platform_page(index, pk, Some(sk_below), start).await
    }

    async fn platform_page<T: DeserializeOwned>(&self, index: Index, pk: &str, sk_below: Option<&str>, start: Option<Attrs>) -> AppResult<(Vec<T>, Option<Attrs>)> {
        let mut req = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.name().map(str::to_string))
            .expression_attribute_names("#pk", index.pk_attr())
            .expression_attribute_values(":pk", s(pk))
            .limit(100)
            .set_exclusive_start_key(start);
        req = match sk_below {
            None => req.key_condition_expression("#pk = :pk"),
            Some(below) => req
                .key_condition_expression("#pk = :pk AND #sk < :below")
                .expression_attribute_names("#sk", index.sk_attr())
                .expression_attribute_values(":below", s(below)),
        };
        let out = req.send().await.map_err(|e| sdk_err("Query", e))?;
        let items = out.items.unwrap_or_default().into_iter().map(from_attrs).collect::<AppResult<Vec<T>>>()?;
        Ok((items, out.last_evaluated_key.filter(|k| !k.is_empty())))
    }

    /// Reads every item of a partition (bounded by `max_items`), following
    /// pages internally. For service code, not for API lists.
    pub async fn query_all<T: DeserializeOwned>(&self, q: &Query, max_items: usize) -> AppResult<Vec<T>> {
        let mut q = q.clone();
        let mut all = Vec::new();
        loop {
            let want = max_items.saturating_sub(all.len()).clamp(1, SERVICE_PAGE as usize) as i32;
            let page = self.query_page::<T>(&q, want).await?;
            all.extend(page.results);
            match page.next_cursor {
                Some(c) if all.len() < max_items => q.cursor = Some(c),
                _ => break,
            }
        }
        all.truncate(max_items);
        Ok(all)
    }

    /// Runs up to 100 operations atomically. A failed condition reports which
    /// operations failed, so callers can say why (e.g. "email taken").
    ///
    /// Real DynamoDB also cancels a transaction that merely collides with
    /// another one on the same item (`TransactionConflict`) or is throttled;
    /// the emulator never does. Those cancellations are retried here with
    /// jittered backoff, resending the same items under the same client
    /// request token (so a retry of a transaction that did land is answered
    /// from DynamoDB's idempotency window, not applied twice). When the item
    /// stays contended past [`TX_ATTEMPTS`], the caller gets a 429 with
    /// `Retry-After` — never a 500.
    pub async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), TxError> {
        let token = crate::ids::new_id();
        let mut contention = String::new();
        for attempt in 0..TX_ATTEMPTS {
            metrics::count(metrics::Op::TransactItem, items.len() as u64);
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .client_request_token(&token)
                .send()
                .await;
            let e = match result {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            match classify_tx_failure(&e) {
                TxFailure::Conditions(failed) => return Err(TxError::ConditionFailed(failed)),
                TxFailure::Contention(why) => {
                    tracing::debug!(attempt, %why, "transaction contended; retrying");
                    contention = why;
                    tokio::time::sleep(backoff(attempt)).await;
                }
                TxFailure::Other => return Err(TxError::Other(sdk_err("TransactWriteItems", e))),
            }
        }
        tracing::warn!(%contention, attempts = TX_ATTEMPTS, "transaction still contended; giving up");
        Err(TxError::Other(AppError::RateLimited {
            message: "the data is being changed by other requests right now; retry in a moment".into(),
            retry_after_secs: 1,
        }))
    }

    /// A transaction step: create an item (fails if it exists).
    pub fn tx_create<T: Item>(&self, item: &T) -> AppResult<TransactWriteItem> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_attrs(item)?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(AppError::internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A transaction step: write an item unconditionally.
    pub fn tx_put<T: Item>(&self, item: &T) -> AppResult<TransactWriteItem> {
        let put = Put::builder().table_name(&self.table).set_item(Some(to_attrs(item)?)).build().map_err(AppError::internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A transaction step: replace a versioned item if unchanged since read.
    pub fn tx_update_versioned<T: Versioned>(&self, item: &mut T) -> AppResult<TransactWriteItem> {
        let expected = item.version();
        item.set_version(expected + 1);
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_attrs(item)?))
            .condition_expression("attribute_exists(PK) AND #v = :expected")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":expected", AttributeValue::N(expected.to_string()))
            .build()
            .map_err(AppError::internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A transaction step: claim a uniqueness guard (fails if taken).
    pub fn tx_guard(&self, guard: &Key, owner: &str) -> AppResult<TransactWriteItem> {
        let mut item = key_attrs(guard);
        item.insert("entity".into(), s("UNIQUE"));
        item.insert("owner".into(), s(owner));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(AppError::internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A transaction step: delete an item.
    pub fn tx_delete(&self, key: &Key) -> AppResult<TransactWriteItem> {
        let del = Delete::builder().table_name(&self.table).set_key(Some(key_attrs(key))).build().map_err(AppError::internal)?;
        Ok(TransactWriteItem::builder().delete(del).build())
    }

    /// A transaction step: delete an item that must exist (a second delete
    /// of it fails its condition, so what goes with it is done once).
    pub fn tx_delete_existing(&self, key: &Key) -> AppResult<TransactWriteItem> {
        let del = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(AppError::internal)?;
        Ok(TransactWriteItem::builder().delete(del).build())
    }

    /// A transaction step: delete an item if it is still at `version`.
    pub fn tx_delete_versioned(&self, key: &Key, version: u64) -> AppResult<TransactWriteItem> {
        let del = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", AttributeValue::N(version.to_string()))
            .build()
            .map_err(AppError::internal)?;
        Ok(TransactWriteItem::builder().delete(del).build())
    }

    /// A transaction step: an update expression with an optional condition.
    pub fn tx_update(
        &self,
        key: &Key,
        update_expression: &str,
        condition: Option<&str>,
        names: &[(&str, &str)],
        values: Attrs,
    ) -> AppResult<TransactWriteItem> {
        let mut b = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .update_expression(update_expression)
            .set_condition_expression(condition.map(str::to_string));
        for (k, v) in names {
            b = b.expression_attribute_names(*k, *v);
        }
        if !values.is_empty() {
            b = b.set_expression_attribute_values(Some(values));
        }
        Ok(TransactWriteItem::builder().update(b.build().map_err(AppError::internal)?).build())
    }

    /// A transaction step: adds to numeric attributes of an item (created
    /// when absent, counters starting at zero) and sets plain string
    /// attributes beside them (e.g. what an aggregate item is about).
    pub fn tx_add(&self, key: &Key, set: &[(&str, &str)], add: &[(&str, f64)]) -> AppResult<TransactWriteItem> {
        let mut names: Vec<(String, String)> = Vec::new();
        let mut values: Attrs = HashMap::new();
        let mut sets = Vec::new();
        for (i, (name, value)) in set.iter().enumerate() {
            sets.push(format!("#s{i} = :s{i}"));
            names.push((format!("#s{i}"), (*name).to_string()));
            values.insert(format!(":s{i}"), s(*value));
        }
        let mut adds = Vec::new();
        for (i, (name, value)) in add.iter().enumerate() {
            adds.push(format!("#a{i} :a{i}"));
            names.push((format!("#a{i}"), (*name).to_string()));
            values.insert(format!(":a{i}"), AttributeValue::N(value.to_string()));
        }
        let mut expr = String::new();
        if !sets.is_empty() {
            expr.push_str(&format!("SET {}", sets.join(", ")));
        }
        if !adds.is_empty() {
            expr.push_str(&format!(" ADD {}", adds.join(", ")));
        }
        let name_refs: Vec<(&str, &str)> = names.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        self.tx_update(key, expr.trim(), None, &name_refs, values)
    }

    /// Writes many items: chunks of 25, up to 4 chunks in flight, unprocessed
    /// items retried with exponential backoff and jitter.
    pub async fn batch_put<T: Item>(&self, items: &[T]) -> AppResult<usize> {
        let requests = items
            .iter()
            .map(|i| {
                Ok(WriteRequest::builder()
                    .put_request(PutRequest::builder().set_item(Some(to_attrs(i)?)).build().map_err(AppError::internal)?)
                    .build())
            })
            .collect::<AppResult<Vec<_>>>()?;
        self.batch_write(requests).await
    }

    /// Deletes many items, with the same batching and retries as [`Store::batch_put`].
    pub async fn batch_delete(&self, keys: &[Key]) -> AppResult<usize> {
        let requests = keys
            .iter()
            .map(|k| {
                Ok(WriteRequest::builder()
                    .delete_request(DeleteRequest::builder().set_key(Some(key_attrs(k))).build().map_err(AppError::internal)?)
                    .build())
            })
            .collect::<AppResult<Vec<_>>>()?;
        self.batch_write(requests).await
    }

    /// Reads many items by key (strongly consistent): BatchGetItem with 100
    /// keys per call, up to 4 calls in flight, unprocessed keys retried with
    /// backoff. Absent and expired items are left out; order is not kept.
    /// Repeated keys are read once.
    pub async fn batch_get<T: DeserializeOwned>(&self, keys: &[Key]) -> AppResult<Vec<T>> {
        self.batch_get_fields(keys, &[]).await
    }

    /// [`Store::batch_get`] returning only the given attributes (all when empty).
    pub async fn batch_get_fields<T: DeserializeOwned>(&self, keys: &[Key], fields: &[&str]) -> AppResult<Vec<T>> {
        let fields: Vec<String> = fields.iter().map(|f| (*f).to_string()).collect();
        let mut seen = std::collections::HashSet::new();
        let unique: Vec<&Key> = keys.iter().filter(|k| seen.insert((k.pk.as_str(), k.sk.as_str()))).collect();
        let chunks: Vec<Vec<Attrs>> = unique.chunks(MAX_BATCH_GET).map(|c| c.iter().map(|k| key_attrs(k)).collect()).collect();
        let results: Vec<AppResult<Vec<Attrs>>> = futures::stream::iter(chunks)
            .map(|chunk| self.get_chunk(chunk, &fields))
            .buffer_unordered(BATCH_PARALLELISM)
            .collect()
            .await;
        let now = crate::ids::now_epoch();
        let mut out = Vec::with_capacity(unique.len());
        for items in results {
            for attrs in items? {
                if !expired(&attrs, now) {
                    out.push(from_attrs(attrs)?);
                }
            }
        }
        Ok(out)
    }

    async fn get_chunk(&self, mut keys: Vec<Attrs>, fields: &[String]) -> AppResult<Vec<Attrs>> {
        metrics::count(metrics::Op::BatchGetItem, keys.len() as u64);
        let mut found = Vec::with_capacity(keys.len());
        let mut names = HashMap::new();
        let projection = projection_expression(fields, &mut names);
        let names = (!names.is_empty()).then_some(names);
        for attempt in 0..BATCH_ATTEMPTS {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .set_projection_expression(projection.clone())
                .set_expression_attribute_names(names.clone())
                .build()
                .map_err(AppError::internal)?;
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(|e| sdk_err("BatchGetItem", e))?;
            found.extend(out.responses.and_then(|mut m| m.remove(&self.table)).unwrap_or_default());
            keys = out.unprocessed_keys.and_then(|mut m| m.remove(&self.table)).map(|k| k.keys).unwrap_or_default();
            if keys.is_empty() {
                return Ok(found);
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
        Err(AppError::internal(format!("{} keys still unprocessed after {BATCH_ATTEMPTS} attempts", keys.len())))
    }

    async fn batch_write(&self, requests: Vec<WriteRequest>) -> AppResult<usize> {
        let total = requests.len();
        let chunks: Vec<Vec<WriteRequest>> = requests.chunks(MAX_BATCH).map(<[WriteRequest]>::to_vec).collect();
        let results: Vec<AppResult<()>> = futures::stream::iter(chunks)
            .map(|chunk| self.write_chunk(chunk))
            .buffer_unordered(BATCH_PARALLELISM)
            .collect()
            .await;
        results.into_iter().collect::<AppResult<Vec<()>>>()?;
        Ok(total)
    }

    async fn write_chunk(&self, mut chunk: Vec<WriteRequest>) -> AppResult<()> {
        metrics::count(metrics::Op::BatchWriteItem, chunk.len() as u64);
        for attempt in 0..BATCH_ATTEMPTS {
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, chunk)
                .send()
                .await
                .map_err(|e| sdk_err("BatchWriteItem", e))?;
            chunk = out.unprocessed_items.and_then(|mut m| m.remove(&self.table)).unwrap_or_default();
            if chunk.is_empty() {
                return Ok(());
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
        Err(AppError::internal(format!("{} items still unprocessed after {BATCH_ATTEMPTS} attempts", chunk.len())))
    }

    /// Takes one token from the token bucket at `key` (the GCRA form of a
    /// bucket: the item holds `tat`, the theoretical arrival time in epoch
    /// milliseconds). The bucket holds `capacity` tokens and refills one every
    /// `interval_ms`. One conditional update when the bucket is in use, two
    /// when it was idle; never a read-modify-write race (a lost race on an idle
    /// bucket tries again, at most 5 times). The item expires (TTL) a minute
    /// after the bucket would be full again.
    pub async fn bucket_take(&self, key: &Key, capacity: u32, interval_ms: i64, now_ms: i64) -> AppResult<BucketTake> {
        self.bucket_take_attempt(key, capacity, interval_ms, now_ms, 0).await
    }

    async fn bucket_take_attempt(&self, key: &Key, capacity: u32, interval_ms: i64, now_ms: i64, attempt: u32) -> AppResult<BucketTake> {
        let capacity = i64::from(capacity.max(1));
        let interval_ms = interval_ms.max(1);
        // Busy bucket: tat in [now, now + (capacity - 1) * interval] → tat += interval.
        let lim = now_ms + (capacity - 1) * interval_ms;
        let busy = self
            .bucket_update(
                key,
                "SET tat = tat + :i, #ttl = :ttl",
                "tat BETWEEN :now AND :lim",
                HashMap::from([
                    (":i".to_string(), AttributeValue::N(interval_ms.to_string())),
                    (":now".to_string(), AttributeValue::N(now_ms.to_string())),
                    (":lim".to_string(), AttributeValue::N(lim.to_string())),
                    (":ttl".to_string(), AttributeValue::N(((lim + interval_ms) / 1000 + 60).to_string())),
                ]),
            )
            .await?;
        let old_tat = match busy {
            Ok(()) => return Ok(BucketTake::Taken),
            Err(old) => old,
        };
        match old_tat {
            Some(tat) if tat > lim => return Ok(BucketTake::Empty { retry_after_ms: tat - lim }),
            // In range after all: another request moved `tat` between our
            // condition and our read of it (the read is not atomic with the
            // update when the old item is not returned). Contention, not an
            // empty bucket.
            Some(tat) if tat >= now_ms => return self.bucket_contended(key, capacity, interval_ms, now_ms, attempt).await,
            _ => {}
        }
        // Idle (or new) bucket: tat < now → tat = now + interval.
        let idle = self
            .bucket_update(
                key,
                "SET tat = :next, #ttl = :ttl",
                "attribute_not_exists(tat) OR tat < :now",
                HashMap::from([
                    (":next".to_string(), AttributeValue::N((now_ms + interval_ms).to_string())),
                    (":now".to_string(), AttributeValue::N(now_ms.to_string())),
                    (":ttl".to_string(), AttributeValue::N(((now_ms + interval_ms) / 1000 + 60).to_string())),
                ]),
            )
            .await?;
        match idle {
            Ok(()) => Ok(BucketTake::Taken),
            Err(Some(tat)) if tat > lim => Ok(BucketTake::Empty { retry_after_ms: tat - lim }),
            // Someone else took from the idle bucket meanwhile: it is busy now, try again.
            Err(_) => self.bucket_contended(key, capacity, interval_ms, now_ms, attempt).await,
        }
    }

    /// A take that lost a race with another take of the same bucket: try
    /// again after a short jittered pause. The bucket was never seen empty,
    /// so after `BUCKET_ATTEMPTS` lost races the request is let through
    /// (contention must never read as "rate limited": only a `tat` beyond
    /// the bucket's capacity does).
    async fn bucket_contended(&self, key: &Key, capacity: i64, interval_ms: i64, now_ms: i64, attempt: u32) -> AppResult<BucketTake> {
        const BUCKET_ATTEMPTS: u32 = 8;
        if attempt + 1 >= BUCKET_ATTEMPTS {
            tracing::warn!(pk = %key.pk, "rate bucket contended on every attempt; letting the request through");
            return Ok(BucketTake::Taken);
        }
        tokio::time::sleep(backoff(attempt).min(Duration::from_millis(200))).await;
        Box::pin(self.bucket_take_attempt(key, capacity as u32, interval_ms, now_ms, attempt + 1)).await
    }

    /// One conditional bucket update; on a failed condition, the stored `tat`.
    async fn bucket_update(&self, key: &Key, update: &str, condition: &str, values: Attrs) -> AppResult<Result<(), Option<i64>>> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .update_expression(update)
            .condition_expression(condition)
            .expression_attribute_names("#ttl", "ttl")
            .set_expression_attribute_values(Some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Ok(())),
            Err(e) if is_condition_failure(&e) => {
                let old = match e.as_service_error() {
                    Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c)) => {
                        c.item().and_then(|i| i.get("tat")).and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<i64>().ok())
                    }
                    _ => None,
                };
                let old = match old {
                    Some(t) => Some(t),
                    // Without the old item in the error, read it.
                    None => self.get::<serde_json::Value>(key).await?.and_then(|v| v["tat"].as_i64()),
                };
                Ok(Err(old))
            }
            Err(e) => Err(sdk_err("UpdateItem", e)),
        }
    }
}

/// Outcome of [`Store::bucket_take`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketTake {
    Taken,
    /// No token left; one is back in `retry_after_ms`.
    Empty { retry_after_ms: i64 },
}

/// Exponential backoff with full jitter: up to 25 ms * 2^attempt, capped at 2 s.
pub fn backoff(attempt: u32) -> Duration {
    let cap = (25u64 << attempt.min(10)).min(2_000);
    Duration::from_millis(rand::random_range(cap / 2..=cap))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
    struct Thing {
        id: String,
        name: String,
        version: u64,
    }

    impl Item for Thing {
        const ENTITY: &'static str = "Thing";
        fn key(&self) -> Key {
            Key::new("ACCT#A", format!("THING#{}", self.id))
        }
        fn index_keys(&self) -> ItemKeys {
            ItemKeys { gsi1: Some(("G".into(), self.name.clone())), gsi2: None, ttl: Some(5) }
        }
    }

    #[test]
    fn items_get_storage_attributes_and_read_back_without_them() {
        let t = Thing { id: "1".into(), name: "n".into(), version: 3 };
        let attrs = to_attrs(&t).unwrap();
        assert_eq!(attrs["PK"], s("ACCT#A"));
        assert_eq!(attrs["SK"], s("THING#1"));
        assert_eq!(attrs["GSI1SK"], s("n"));
        assert_eq!(attrs["entity"], s("Thing"));
        assert!(!attrs.contains_key("GSI2PK"));
        assert!(expired(&attrs, 5) && !expired(&attrs, 4));
        let back: Thing = from_attrs(attrs).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn cancellation_reasons_decide_between_condition_and_retry() {
        assert_eq!(classify_reasons(&["None", "ConditionalCheckFailed"]), TxFailure::Conditions(vec![1]));
        assert_eq!(classify_reasons(&[]), TxFailure::Conditions(vec![]));
        // A failed condition wins over a conflict on another item: retrying cannot help.
        assert_eq!(classify_reasons(&["TransactionConflict", "ConditionalCheckFailed"]), TxFailure::Conditions(vec![1]));
        assert_eq!(classify_reasons(&["None", "TransactionConflict", "None"]), TxFailure::Contention("TransactionConflict".into()));
        assert_eq!(classify_reasons(&["ThrottlingError", "None"]), TxFailure::Contention("ThrottlingError".into()));
        assert_eq!(classify_reasons(&["ValidationError", "None"]), TxFailure::Other);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) <= Duration::from_millis(25));
        assert!(backoff(3) >= Duration::from_millis(100));
        assert!(backoff(30) <= Duration::from_secs(2));
    }
}
