//! The emulator's `TransactWriteItems` (our `xtask/moto_server.py`, which
//! replaces moto's table-snapshotting transaction with check-all-conditions-
//! then-apply-all-writes under its DynamoDB lock) behaves as DynamoDB does:
//! all or nothing, and cancellation reasons per operation, in order
//! (`ConditionalCheckFailed` or `None`, with the item when the operation asked
//! for ALL_OLD). Talks to the emulator through the raw SDK client so the wire
//! answer itself is checked.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use igny8_e2e::env;
use std::collections::HashMap;

type Attrs = HashMap<String, AttributeValue>;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn key(pk: &str, sk: &str) -> Attrs {
    HashMap::from([("PK".to_string(), s(pk)), ("SK".to_string(), s(sk))])
}

fn item(pk: &str, sk: &str, n: i64) -> Attrs {
    let mut a = key(pk, sk);
    a.insert("n".into(), AttributeValue::N(n.to_string()));
    a
}

struct Ctx {
    client: aws_sdk_dynamodb::Client,
    table: String,
    pk: String,
}

impl Ctx {
    async fn new() -> Self {
        let state = env().state().await;
        Self { client: state.store.client().clone(), table: state.store.table_name().to_string(), pk: format!("EMUTX#{}", igny8::ids::new_id()) }
    }

    async fn put(&self, sk: &str, n: i64) {
        self.client.put_item().table_name(&self.table).set_item(Some(item(&self.pk, sk, n))).send().await.expect("put");
    }

    async fn get(&self, sk: &str) -> Option<Attrs> {
        self.client.get_item().table_name(&self.table).set_key(Some(key(&self.pk, sk))).consistent_read(true).send().await.expect("get").item
    }

    async fn n(&self, sk: &str) -> Option<String> {
        self.get(sk).await.and_then(|i| i.get("n").and_then(|v| v.as_n().ok().cloned()))
    }

    fn put_op(&self, sk: &str, n: i64, condition: Option<&str>) -> TransactWriteItem {
        let p = Put::builder().table_name(&self.table).set_item(Some(item(&self.pk, sk, n))).set_condition_expression(condition.map(str::to_string));
        TransactWriteItem::builder().put(p.build().unwrap()).build()
    }

    fn add_op(&self, sk: &str, by: i64) -> TransactWriteItem {
        let u = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(&self.pk, sk)))
            .update_expression("ADD n :by")
            .expression_attribute_values(":by", AttributeValue::N(by.to_string()));
        TransactWriteItem::builder().update(u.build().unwrap()).build()
    }

    fn delete_op(&self, sk: &str) -> TransactWriteItem {
        TransactWriteItem::builder().delete(Delete::builder().table_name(&self.table).set_key(Some(key(&self.pk, sk))).build().unwrap()).build()
    }

    /// A condition `n >= min` on an item; `all_old` asks for the item on failure.
    fn check_op(&self, sk: &str, min: i64, all_old: bool) -> TransactWriteItem {
        let mut c = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(&self.pk, sk)))
            .condition_expression("n >= :min")
            .expression_attribute_values(":min", AttributeValue::N(min.to_string()));
        if all_old {
            c = c.return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        }
        TransactWriteItem::builder().condition_check(c.build().unwrap()).build()
    }

    /// Runs a transaction; on cancellation returns the reasons as (code, item's `n`).
    async fn transact(&self, ops: Vec<TransactWriteItem>) -> Result<(), Vec<(String, Option<String>)>> {
        match self.client.transact_write_items().set_transact_items(Some(ops)).send().await {
            Ok(_) => Ok(()),
            Err(e) => match e.into_service_error() {
                TransactWriteItemsError::TransactionCanceledException(tc) => Err(tc
                    .cancellation_reasons()
                    .iter()
                    .map(|r| {
                        let n = r.item().and_then(|i| i.get("n")).and_then(|v| v.as_n().ok().cloned());
                        (r.code().unwrap_or("<none>").to_string(), n)
                    })
                    .collect()),
                other => panic!("expected TransactionCanceledException, got {other:?}"),
            },
        }
    }
}

#[tokio::test]
async fn a_transaction_applies_every_write_when_every_condition_holds() {
    let c = Ctx::new().await;
    c.put("counter", 5).await;
    c.put("old", 1).await;
    c.put("balance", 5).await;
    let ops = vec![
        c.put_op("new", 7, Some("attribute_not_exists(PK)")),
        c.add_op("counter", 3),
        c.delete_op("old"),
        c.check_op("balance", 5, false),
    ];
    c.transact(ops).await.expect("every condition holds");
    assert_eq!(c.n("new").await.as_deref(), Some("7"));
    assert_eq!(c.n("counter").await.as_deref(), Some("8"));
    assert!(c.get("old").await.is_none());
}

#[tokio::test]
async fn a_failed_condition_cancels_everything_and_reasons_come_per_item_in_order() {
    let c = Ctx::new().await;
    c.put("counter", 5).await;
    c.put("old", 1).await;
    c.put("taken", 9).await;
    c.put("balance", 6).await;
    // Operation 2 (create of an existing item) and operation 4 (n >= 100) fail.
    let ops = vec![
        c.put_op("new", 7, Some("attribute_not_exists(PK)")),
        c.add_op("counter", 3),
        c.put_op("taken", 1, Some("attribute_not_exists(PK)")),
        c.delete_op("old"),
        c.check_op("balance", 100, true),
    ];
    let reasons = c.transact(ops).await.expect_err("two conditions fail");
    assert_eq!(
        reasons,
        vec![
            ("None".to_string(), None),
            ("None".to_string(), None),
            ("ConditionalCheckFailed".to_string(), None),
            ("None".to_string(), None),
            // ALL_OLD: the item as it is
            ("ConditionalCheckFailed".to_string(), Some("6".to_string())),
        ],
        "DynamoDB reports one reason per operation, in order"
    );
    assert!(c.get("new").await.is_none(), "the put before the failed condition must not land");
    assert_eq!(c.n("counter").await.as_deref(), Some("5"), "the ADD must not land");
    assert_eq!(c.n("old").await.as_deref(), Some("1"), "the delete must not land");
    assert_eq!(c.n("taken").await.as_deref(), Some("9"));
}

#[tokio::test]
async fn a_write_that_fails_while_applying_undoes_the_writes_before_it() {
    let c = Ctx::new().await;
    c.put("counter", 5).await;
    // `text` holds a string: ADD on it is invalid, found only when applying.
    let mut text = key(&c.pk, "text");
    text.insert("n".into(), s("not a number"));
    c.client.put_item().table_name(&c.table).set_item(Some(text)).send().await.unwrap();
    c.put("old", 1).await;
    let ops = vec![c.put_op("new", 7, None), c.add_op("counter", 3), c.delete_op("old"), c.add_op("text", 1)];
    let result = c.client.transact_write_items().set_transact_items(Some(ops)).send().await;
    assert!(result.is_err(), "ADD on a string must fail the transaction");
    assert!(c.get("new").await.is_none(), "the put was undone");
    assert_eq!(c.n("counter").await.as_deref(), Some("5"), "the ADD was undone");
    assert_eq!(c.n("old").await.as_deref(), Some("1"), "the delete was undone");
}

#[tokio::test]
async fn two_operations_on_one_item_are_a_validation_error_and_change_nothing() {
    let c = Ctx::new().await;
    c.put("counter", 5).await;
    let ops = vec![c.add_op("counter", 1), c.check_op("counter", 0, false)];
    let err = c.client.transact_write_items().set_transact_items(Some(ops)).send().await.expect_err("same item twice");
    let code = aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&err).unwrap_or_default().to_string();
    assert_eq!(code, "ValidationException", "{err:?}");
    assert_eq!(c.n("counter").await.as_deref(), Some("5"));
}

#[tokio::test]
async fn concurrent_transactions_on_one_counter_never_lose_an_update() {
    let c = Ctx::new().await;
    c.put("counter", 0).await;
    let runs = (0..20).map(|i| {
        let ops = vec![c.add_op("counter", 1), c.put_op(&format!("row{i}"), i, Some("attribute_not_exists(PK)"))];
        c.transact(ops)
    });
    for r in futures::future::join_all(runs).await {
        r.expect("no conflicts on the emulator");
    }
    assert_eq!(c.n("counter").await.as_deref(), Some("20"));
}

/// The emulator keeps each queried partition in key order between writes (so
/// a walk over 100,000 keywords does not scan and sort the table per page):
/// sent pages of an index partition with a put, an in-place update of the
/// index sort key and a delete between the pages; came back: every later page
/// reflects the writes exactly as DynamoDB would.
#[tokio::test]
async fn index_pages_reflect_writes_made_between_them() {
    let c = Ctx::new().await;
    let gsi = format!("EMUIDX#{}", igny8::ids::new_id());
    let put = |sk: String, gsk: &'static str| {
        let mut a = item(&c.pk, &sk, 0);
        a.insert("GSI1PK".into(), s(&gsi));
        a.insert("GSI1SK".into(), s(gsk));
        c.client.put_item().table_name(&c.table).set_item(Some(a)).send()
    };
    for (sk, gsk) in [("a", "10"), ("b", "20"), ("c", "30"), ("d", "40")] {
        put(sk.to_string(), gsk).await.expect("put");
    }
    let page = |start: Option<Attrs>| {
        c.client
            .query()
            .table_name(&c.table)
            .index_name("GSI1")
            .key_condition_expression("GSI1PK = :p")
            .expression_attribute_values(":p", s(&gsi))
            .limit(2)
            .set_exclusive_start_key(start)
            .send()
    };
    let sks = |out: &aws_sdk_dynamodb::operation::query::QueryOutput| -> Vec<String> {
        out.items().iter().map(|i| i["SK"].as_s().unwrap().clone()).collect()
    };
    let first = page(None).await.expect("page 1");
    assert_eq!(sks(&first), ["a", "b"]);
    // Between the pages: a new item after the cursor, "c" moved to the end
    // by an in-place update of its index sort key, "d" deleted.
    put("e".into(), "25").await.expect("put e");
    c.client
        .update_item()
        .table_name(&c.table)
        .set_key(Some(key(&c.pk, "c")))
        .update_expression("SET GSI1SK = :v")
        .expression_attribute_values(":v", s("90"))
        .send()
        .await
        .expect("update c");
    c.client.delete_item().table_name(&c.table).set_key(Some(key(&c.pk, "d"))).send().await.expect("delete d");
    let second = page(first.last_evaluated_key().cloned()).await.expect("page 2");
    assert_eq!(sks(&second), ["e", "c"], "the put appears, the moved item is at its new place, the deleted one is gone");
    // The same page asked again with nothing written in between: the same answer.
    let again = page(first.last_evaluated_key().cloned()).await.expect("page 2 again");
    assert_eq!(sks(&again), ["e", "c"]);
    // An item moved to another index partition (its hash key changed) leaves
    // the first and appears in the second; a transaction's put lands there too.
    let other = format!("{gsi}-other");
    c.client
        .update_item()
        .table_name(&c.table)
        .set_key(Some(key(&c.pk, "b")))
        .update_expression("SET GSI1PK = :v")
        .expression_attribute_values(":v", s(&other))
        .send()
        .await
        .expect("move b");
    let mut f = item(&c.pk, "f", 0);
    f.insert("GSI1PK".into(), s(&other));
    f.insert("GSI1SK".into(), s("05"));
    c.client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().put(Put::builder().table_name(&c.table).set_item(Some(f)).build().unwrap()).build())
        .send()
        .await
        .expect("transaction put f");
    let all = |partition: String| {
        c.client.query().table_name(&c.table).index_name("GSI1").key_condition_expression("GSI1PK = :p").expression_attribute_values(":p", s(&partition)).send()
    };
    assert_eq!(sks(&all(gsi.clone()).await.expect("first partition")), ["a", "e", "c"]);
    assert_eq!(sks(&all(other).await.expect("second partition")), ["f", "b"]);
    // An item whose index key is removed leaves the index.
    c.client
        .update_item()
        .table_name(&c.table)
        .set_key(Some(key(&c.pk, "a")))
        .update_expression("REMOVE GSI1PK")
        .send()
        .await
        .expect("remove a's index key");
    assert_eq!(sks(&all(gsi.clone()).await.expect("first partition again")), ["e", "c"]);
    // A query of a new shape (a sort-key condition) reads the partition afresh and meets "a" there no more.
    let ranged = c
        .client
        .query()
        .table_name(&c.table)
        .index_name("GSI1")
        .key_condition_expression("GSI1PK = :p AND GSI1SK > :from")
        .expression_attribute_values(":p", s(&gsi))
        .expression_attribute_values(":from", s("00"))
        .send()
        .await
        .expect("ranged query");
    assert_eq!(sks(&ranged), ["e", "c"]);
}

/// Reads (GetItem, BatchGetItem, Query, Scan) are answered by the emulator as
/// DynamoDB JSON written in one go rather than through moto's per-attribute
/// serializer: every attribute type comes back exactly as it was written,
/// projections (nested paths included) and `Select=COUNT` keep their meaning,
/// and a key that is not there is simply absent.
#[tokio::test]
async fn reads_give_back_every_attribute_type_exactly_as_written() {
    use aws_sdk_dynamodb::primitives::Blob;
    use aws_sdk_dynamodb::types::{KeysAndAttributes, Select};
    let c = Ctx::new().await;
    let mut written = item(&c.pk, "all", 0);
    written.insert("n".into(), AttributeValue::N("12.50".into()));
    written.insert("big".into(), AttributeValue::N("123456789012345678901234567890".into()));
    written.insert("text".into(), s("ü€ \"quoted\" \\ line\nbreak"));
    written.insert("b".into(), AttributeValue::B(Blob::new(vec![0u8, 1, 255])));
    written.insert("bs".into(), AttributeValue::Bs(vec![Blob::new(b"x".to_vec()), Blob::new(b"y".to_vec())]));
    written.insert("ss".into(), AttributeValue::Ss(vec!["a".into(), "b".into()]));
    written.insert("ns".into(), AttributeValue::Ns(vec!["1".into(), "2.5".into()]));
    written.insert("yes".into(), AttributeValue::Bool(true));
    written.insert("no".into(), AttributeValue::Bool(false));
    written.insert("nothing".into(), AttributeValue::Null(true));
    written.insert(
        "l".into(),
        AttributeValue::L(vec![s("a"), AttributeValue::N("1".into()), AttributeValue::M(HashMap::from([("k".into(), AttributeValue::Bool(true))]))]),
    );
    written.insert(
        "m".into(),
        AttributeValue::M(HashMap::from([
            ("deep".into(), AttributeValue::L(vec![AttributeValue::B(Blob::new(vec![0xff]))])),
            ("s".into(), s("inner")),
        ])),
    );
    c.client.put_item().table_name(&c.table).set_item(Some(written.clone())).send().await.expect("put");
    c.put("other", 7).await;
    // Sets come back as sets: compare them order-free.
    let norm = |mut a: Attrs| {
        for v in a.values_mut() {
            match v {
                AttributeValue::Ss(x) | AttributeValue::Ns(x) => x.sort(),
                AttributeValue::Bs(x) => x.sort_by(|p, q| p.as_ref().cmp(q.as_ref())),
                _ => {}
            }
        }
        a
    };

    let got = c.get("all").await.expect("GetItem finds the item");
    assert_eq!(norm(got), norm(written.clone()), "GetItem");
    assert!(c.get("missing").await.is_none(), "GetItem of a missing key has no item");

    let batch = c
        .client
        .batch_get_item()
        .request_items(&c.table, KeysAndAttributes::builder().keys(key(&c.pk, "all")).keys(key(&c.pk, "missing")).build().unwrap())
        .send()
        .await
        .expect("batch get");
    let answered = &batch.responses().expect("responses")[&c.table];
    assert_eq!(answered.len(), 1, "only the present key answers: {answered:?}");
    assert_eq!(norm(answered[0].clone()), norm(written.clone()), "BatchGetItem");

    let query = c
        .client
        .query()
        .table_name(&c.table)
        .key_condition_expression("PK = :p")
        .expression_attribute_values(":p", s(&c.pk))
        .send()
        .await
        .expect("query");
    assert_eq!(query.count(), 2);
    assert_eq!(norm(query.items()[0].clone()), norm(written.clone()), "Query (\"all\" sorts before \"other\")");

    let projected = c
        .client
        .get_item()
        .table_name(&c.table)
        .set_key(Some(key(&c.pk, "all")))
        .projection_expression("m.deep, n, #t")
        .expression_attribute_names("#t", "text")
        .send()
        .await
        .expect("projected get")
        .item
        .expect("item");
    let expected = HashMap::from([
        ("n".to_string(), AttributeValue::N("12.50".into())),
        ("text".to_string(), written["text"].clone()),
        ("m".to_string(), AttributeValue::M(HashMap::from([("deep".into(), AttributeValue::L(vec![AttributeValue::B(Blob::new(vec![0xff]))]))]))),
    ]);
    assert_eq!(projected, expected, "a projection answers only the named paths");

    let counted = c
        .client
        .query()
        .table_name(&c.table)
        .key_condition_expression("PK = :p")
        .expression_attribute_values(":p", s(&c.pk))
        .select(Select::Count)
        .send()
        .await
        .expect("count");
    assert_eq!((counted.count(), counted.items().len()), (2, 0), "Select=COUNT counts without items");

    let scanned = c
        .client
        .scan()
        .table_name(&c.table)
        .filter_expression("PK = :p AND SK = :s")
        .expression_attribute_values(":p", s(&c.pk))
        .expression_attribute_values(":s", s("all"))
        .send()
        .await
        .expect("scan");
    let found: Vec<_> = scanned.items().iter().filter(|i| i["PK"] == s(&c.pk)).cloned().collect();
    assert_eq!(found.into_iter().map(norm).collect::<Vec<_>>(), vec![norm(written)], "Scan");
}

/// Writes skip moto's per-attribute request parsing and its re-measuring of
/// the item on every attribute (`xtask/moto_server.py`): an item with every
/// attribute type written by `BatchWriteItem` (next to one written by
/// `PutItem`) reads back exactly, and an item over DynamoDB's 400 KB limit is
/// refused with a `ValidationException` by both calls and not stored, while
/// one just under it is.
#[tokio::test]
async fn writes_keep_every_attribute_type_and_the_item_size_limit() {
    use aws_sdk_dynamodb::primitives::Blob;
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    let c = Ctx::new().await;
    let mut written = item(&c.pk, "batched", 3);
    written.insert("n".into(), AttributeValue::N("-0.125".into()));
    written.insert("text".into(), s("ü€ \"quoted\""));
    written.insert("b".into(), AttributeValue::B(Blob::new(vec![0u8, 128, 255])));
    written.insert("bs".into(), AttributeValue::Bs(vec![Blob::new(b"p".to_vec())]));
    written.insert("ss".into(), AttributeValue::Ss(vec!["only".into()]));
    written.insert("ns".into(), AttributeValue::Ns(vec!["7".into()]));
    written.insert("yes".into(), AttributeValue::Bool(true));
    written.insert("nothing".into(), AttributeValue::Null(true));
    written.insert(
        "m".into(),
        AttributeValue::M(HashMap::from([(
            "l".into(),
            AttributeValue::L(vec![AttributeValue::B(Blob::new(vec![1])), AttributeValue::M(HashMap::from([("n".into(), AttributeValue::N("2".into()))]))]),
        )])),
    );
    let batch = |items: Vec<Attrs>| {
        let requests: Vec<WriteRequest> = items
            .into_iter()
            .map(|i| WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(i)).build().unwrap()).build())
            .collect();
        c.client.batch_write_item().request_items(&c.table, requests).send()
    };
    let mut plain = written.clone();
    plain.insert("SK".into(), s("put"));
    batch(vec![written.clone()]).await.expect("batch write");
    c.client.put_item().table_name(&c.table).set_item(Some(plain.clone())).send().await.expect("put");
    assert_eq!(c.get("batched").await, Some(written), "BatchWriteItem keeps every attribute");
    assert_eq!(c.get("put").await, Some(plain), "PutItem keeps every attribute");

    // 400 KB of text is over the limit (moto allows up to 405,000 bytes, as
    // DynamoDB does in practice); 390 KB is under it.
    let sized = |sk: &str, bytes: usize| {
        let mut i = item(&c.pk, sk, 0);
        i.insert("body".into(), s(&"x".repeat(bytes)));
        i
    };
    let too_big = c.client.put_item().table_name(&c.table).set_item(Some(sized("big-put", 406_000))).send().await;
    let code = too_big.expect_err("an oversized PutItem is refused").into_service_error();
    assert_eq!(code.meta().code(), Some("ValidationException"), "{code:?}");
    let too_big = batch(vec![sized("big-batch", 406_000)]).await;
    let code = too_big.expect_err("an oversized item fails its BatchWriteItem").into_service_error();
    assert_eq!(code.meta().code(), Some("ValidationException"), "{code:?}");
    assert!(c.get("big-put").await.is_none(), "the oversized PutItem stored nothing");
    assert!(c.get("big-batch").await.is_none(), "the oversized batch item is not stored");
    c.client.put_item().table_name(&c.table).set_item(Some(sized("fits", 390_000))).send().await.expect("390 KB fits");
    assert!(c.get("fits").await.is_some());
}
