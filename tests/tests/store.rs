//! The single-table store against the emulator.

use igny8::AppError;
use igny8::store::keys::{self, Index, Key, Tenant};
use igny8::store::{Item, ItemKeys, Query, SkCondition, TxError, Versioned};
use igny8_e2e::env;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Note {
    account_id: String,
    id: String,
    text: String,
    #[serde(default)]
    expires: Option<i64>,
    version: u64,
}

impl Item for Note {
    const ENTITY: &'static str = "Note";
    fn key(&self) -> Key {
        Key::new(Tenant::from_verified(&self.account_id).pk(), format!("NOTE#{}", self.id))
    }
    fn index_keys(&self) -> ItemKeys {
        let t = Tenant::from_verified(&self.account_id);
        ItemKeys { gsi1: Some((format!("{}#NOTETEXT", t.pk()), self.text.clone())), gsi2: None, ttl: self.expires }
    }
}

impl Versioned for Note {
    fn version(&self) -> u64 {
        self.version
    }
    fn set_version(&mut self, v: u64) {
        self.version = v;
    }
}

fn note(t: &Tenant, text: &str) -> Note {
    Note { account_id: t.account_id().into(), id: igny8::ids::new_id(), text: text.into(), expires: None, version: 1 }
}

fn tenant() -> Tenant {
    Tenant::from_verified(igny8::ids::new_id())
}

#[tokio::test]
async fn create_get_and_duplicate_create_is_a_conflict() {
    let s = env().state().await;
    let t = tenant();
    let n = note(&t, "hello");
    s.store.create(&n).await.unwrap();
    assert_eq!(s.store.get::<Note>(&n.key()).await.unwrap(), Some(n.clone()));
    let err = s.store.create(&n).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
    assert_eq!(s.store.get::<Note>(&Key::new(t.pk(), "NOTE#missing")).await.unwrap(), None);
}

#[tokio::test]
async fn versioned_update_rejects_a_stale_version_with_409_and_a_missing_item_with_404() {
    let s = env().state().await;
    let t = tenant();
    let n = note(&t, "v1");
    s.store.create(&n).await.unwrap();
    let mut first = n.clone();
    let mut second = n.clone();
    first.text = "edited by first".into();
    s.store.update_versioned(&mut first).await.unwrap();
    assert_eq!(first.version, 2);
    second.text = "edited by second, from a stale read".into();
    let err = s.store.update_versioned(&mut second).await.unwrap_err();
    assert_eq!(err.code(), "CONFLICT", "{err:?}");
    assert_eq!(second.version, 1, "a failed update leaves the caller's version alone");
    let stored: Note = s.store.get(&n.key()).await.unwrap().unwrap();
    assert_eq!(stored.text, "edited by first", "the stale write must not land");
    let mut ghost = note(&t, "never stored");
    assert_eq!(s.store.update_versioned(&mut ghost).await.unwrap_err().code(), "NOT_FOUND");
}

#[tokio::test]
async fn pagination_walks_every_item_once_and_cursors_are_bound_to_the_tenant() {
    let s = env().state().await;
    let t = tenant();
    let notes: Vec<Note> = (0..7).map(|i| note(&t, &format!("n{i}"))).collect();
    s.store.batch_put(&notes).await.unwrap();
    let q = Query::new(&t, Index::Table, t.pk()).sk(SkCondition::BeginsWith("NOTE#".into())).limit(3);
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut first_cursor = None;
    loop {
        let page = s.store.query::<Note>(&q.clone().cursor(cursor.clone())).await.unwrap();
        seen.extend(page.results.into_iter().map(|n| n.text));
        if first_cursor.is_none() {
            first_cursor = page.next_cursor.clone();
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    // Sort keys order the list: by id (ULIDs minted in one millisecond are not monotonic).
    let mut expected = notes.clone();
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(seen, expected.into_iter().map(|n| n.text).collect::<Vec<_>>(), "every item once, in key order");
    let cursor = first_cursor.expect("a 7-item list in pages of 3 has a next cursor");

    // Another tenant replaying the cursor on its own list: 400, never A's page.
    let other = tenant();
    s.store.batch_put(&[note(&other, "b0")]).await.unwrap();
    let q_other = Query::new(&other, Index::Table, other.pk()).sk(SkCondition::BeginsWith("NOTE#".into()));
    let err = s.store.query::<Note>(&q_other.cursor(Some(cursor.clone()))).await.unwrap_err();
    assert_eq!(err.code(), "VALIDATION_ERROR", "{err:?}");
    // A tampered cursor: 400.
    let mut tampered = cursor.clone();
    tampered.insert(3, 'x');
    let err = s.store.query::<Note>(&q.clone().cursor(Some(tampered))).await.unwrap_err();
    assert_eq!(err.code(), "VALIDATION_ERROR", "{err:?}");
}

#[tokio::test]
async fn gsi_queries_read_the_index() {
    let s = env().state().await;
    let t = tenant();
    s.store.batch_put(&[note(&t, "banana"), note(&t, "apple"), note(&t, "cherry")]).await.unwrap();
    let q = Query::new(&t, Index::Gsi1, format!("{}#NOTETEXT", t.pk()));
    let texts: Vec<String> = s.store.query::<Note>(&q).await.unwrap().results.into_iter().map(|n| n.text).collect();
    assert_eq!(texts, ["apple", "banana", "cherry"]);
}

#[tokio::test]
async fn transactions_with_uniqueness_guards_are_all_or_nothing() {
    let s = env().state().await;
    let t = tenant();
    let guard = keys::unique_in_tenant(&t, "NOTETEXT", "same text");
    let a = note(&t, "same text");
    s.store.transact(vec![s.store.tx_create(&a).unwrap(), s.store.tx_guard(&guard, &a.id).unwrap()]).await.unwrap();
    let b = note(&t, "same text");
    let err = s.store.transact(vec![s.store.tx_create(&b).unwrap(), s.store.tx_guard(&guard, &b.id).unwrap()]).await.unwrap_err();
    match err {
        TxError::ConditionFailed(ops) => assert!(ops.is_empty() || ops == vec![1], "the guard (op 1) failed, got {ops:?}"),
        TxError::Other(e) => panic!("expected a condition failure, got {e:?}"),
    }
    assert_eq!(s.store.get::<Note>(&b.key()).await.unwrap(), None, "nothing of the failed transaction may land");
    // The same guard in another tenant is independent.
    let other = tenant();
    let c = note(&other, "same text");
    let g2 = keys::unique_in_tenant(&other, "NOTETEXT", "same text");
    s.store.transact(vec![s.store.tx_create(&c).unwrap(), s.store.tx_guard(&g2, &c.id).unwrap()]).await.unwrap();
}

#[tokio::test]
async fn batch_writes_beyond_one_request_land_and_delete() {
    let s = env().state().await;
    let t = tenant();
    let notes: Vec<Note> = (0..130).map(|i| note(&t, &format!("bulk {i:03}"))).collect();
    assert_eq!(s.store.batch_put(&notes).await.unwrap(), 130);
    let q = Query::new(&t, Index::Table, t.pk()).sk(SkCondition::BeginsWith("NOTE#".into()));
    assert_eq!(s.store.query_all::<Note>(&q, 1000).await.unwrap().len(), 130);
    let keys: Vec<Key> = notes.iter().map(Item::key).collect();
    assert_eq!(s.store.batch_delete(&keys).await.unwrap(), 130);
    assert!(s.store.query_all::<Note>(&q, 1000).await.unwrap().is_empty());
}

/// DynamoDB may answer a batch call with some or all of its requests handed
/// back unprocessed (throttled partitions); the emulator never does. Injected:
/// the first two `BatchWriteItem` and the first two `BatchGetItem` calls come
/// back wholly unprocessed, and every note still lands and is read (the store
/// retries what is handed back). When a batch stays unprocessed through every
/// attempt, the call is an error, never a silent partial write reported as done.
#[tokio::test]
async fn unprocessed_batch_requests_are_retried_until_they_land_or_the_call_fails() {
    use igny8_e2e::faults::{Fault, Faults, Rule};
    let t = tenant();
    let faults = Faults::new()
        .with(Rule::new("BatchWriteItem", Fault::Unprocessed).containing(t.account_id()).at_most(2))
        .with(Rule::new("BatchGetItem", Fault::Unprocessed).containing(t.account_id()).at_most(2));
    let s = faults.state().await;
    let notes: Vec<Note> = (0..30).map(|i| note(&t, &format!("retried {i:02}"))).collect();
    assert_eq!(s.store.batch_put(&notes).await.unwrap(), 30, "30 notes put while 2 batches came back unprocessed");
    let keys: Vec<Key> = notes.iter().map(Item::key).collect();
    let read: Vec<Note> = s.store.batch_get(&keys).await.unwrap();
    assert_eq!(faults.hits(), vec![2, 2], "both faults were injected twice");
    let mut texts: Vec<String> = read.into_iter().map(|n| n.text).collect();
    texts.sort();
    assert_eq!(texts, (0..30).map(|i| format!("retried {i:02}")).collect::<Vec<_>>(), "every note landed and was read back");

    let stuck = Faults::new().with(Rule::new("BatchWriteItem", Fault::Unprocessed).containing(t.account_id()));
    let s = stuck.state().await;
    let err = s.store.batch_put(&[note(&t, "never lands")]).await.expect_err("a batch unprocessed on every attempt fails");
    assert_eq!(err.code(), "INTERNAL_ERROR", "{err:?}");
    assert_eq!(stuck.hits(), vec![8], "tried as many times as the store allows");
}

#[tokio::test]
async fn expired_items_read_as_absent_even_before_ttl_deletes_them() {
    let s = env().state().await;
    let t = tenant();
    let mut old = note(&t, "expired");
    old.expires = Some(igny8::ids::now_epoch() - 10);
    let mut fresh = note(&t, "fresh");
    fresh.expires = Some(igny8::ids::now_epoch() + 3600);
    s.store.batch_put(&[old.clone(), fresh.clone()]).await.unwrap();
    assert_eq!(s.store.get::<Note>(&old.key()).await.unwrap(), None);
    assert_eq!(s.store.get::<Note>(&fresh.key()).await.unwrap(), Some(fresh.clone()));
    let q = Query::new(&t, Index::Table, t.pk()).sk(SkCondition::BeginsWith("NOTE#".into()));
    let texts: Vec<String> = s.store.query::<Note>(&q).await.unwrap().results.into_iter().map(|n| n.text).collect();
    assert_eq!(texts, ["fresh"]);
}

/// Sent: 48 concurrent takes from one bucket of 1 000 000 per hour (a
/// 3.6 ms refill interval, so the bucket is mostly "idle" between takes and
/// concurrent takes race on it), each with its own clock reading, as
/// concurrent sign-ups from one address do. Came back before the fix: some
/// takes that lost the race read the winner's `tat` and answered `Empty`
/// (a 429 "try again in 1 seconds" with a budget nowhere near used).
/// Expected: every take is `Taken`; a bucket of 3 per hour still refuses the
/// fourth take.
#[tokio::test]
async fn concurrent_takes_of_a_roomy_bucket_are_never_refused_and_a_small_one_still_is() {
    use igny8::store::BucketTake;
    let s = env().state().await;
    let now = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let roomy = Key::new(format!("RL#test-roomy#{}", now()), "RL");
    let takes = (0..48).map(|_| {
        let (s, roomy) = (s.clone(), roomy.clone());
        tokio::spawn(async move { s.store.bucket_take(&roomy, 1_000_000, 3, now()).await.unwrap() })
    });
    let outcomes: Vec<BucketTake> = futures::future::join_all(takes).await.into_iter().map(Result::unwrap).collect();
    let refused = outcomes.iter().filter(|o| **o != BucketTake::Taken).count();
    assert_eq!(refused, 0, "a roomy bucket refused {refused} of 48 concurrent takes: {outcomes:?}");

    let small = Key::new(format!("RL#test-small#{}", now()), "RL");
    let t = now();
    for i in 0..3 {
        assert_eq!(s.store.bucket_take(&small, 3, 1_200_000, t).await.unwrap(), BucketTake::Taken, "take {i} of 3");
    }
    assert!(matches!(s.store.bucket_take(&small, 3, 1_200_000, t).await.unwrap(), BucketTake::Empty { retry_after_ms } if retry_after_ms > 0));
}
