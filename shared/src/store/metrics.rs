//! Counts of the DynamoDB calls this process made, by kind, for the cost
//! model (`cargo xtask bench --scale` reads them around each operation).
//! Plain relaxed atomics: a few nanoseconds per call.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// GetItem (strongly consistent).
    Get,
    /// PutItem, UpdateItem or DeleteItem (one item).
    Write,
    /// Items in TransactWriteItems calls (twice the write capacity each).
    TransactItem,
    /// Keys asked for in BatchGetItem calls (strongly consistent).
    BatchGetItem,
    /// Put/delete requests in BatchWriteItem calls.
    BatchWriteItem,
    /// Query calls (pages).
    QueryPage,
    /// Items a query read (before filters: what DynamoDB charges for).
    QueryItem,
}

const OPS: [Op; 7] = [Op::Get, Op::Write, Op::TransactItem, Op::BatchGetItem, Op::BatchWriteItem, Op::QueryPage, Op::QueryItem];

static COUNTS: [AtomicU64; 7] = [const { AtomicU64::new(0) }; 7];

fn slot(op: Op) -> usize {
    OPS.iter().position(|o| *o == op).unwrap_or(0)
}

pub fn count(op: Op, n: u64) {
    COUNTS[slot(op)].fetch_add(n, Ordering::Relaxed);
}

/// The counts so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub gets: u64,
    pub writes: u64,
    pub transact_items: u64,
    pub batch_get_items: u64,
    pub batch_write_items: u64,
    pub query_pages: u64,
    pub query_items: u64,
}

pub fn snapshot() -> Snapshot {
    let c = |op| COUNTS[slot(op)].load(Ordering::Relaxed);
    Snapshot {
        gets: c(Op::Get),
        writes: c(Op::Write),
        transact_items: c(Op::TransactItem),
        batch_get_items: c(Op::BatchGetItem),
        batch_write_items: c(Op::BatchWriteItem),
        query_pages: c(Op::QueryPage),
        query_items: c(Op::QueryItem),
    }
}

impl Snapshot {
    /// The calls made between `earlier` and `self`.
    pub fn since(&self, earlier: &Snapshot) -> Snapshot {
        Snapshot {
            gets: self.gets - earlier.gets,
            writes: self.writes - earlier.writes,
            transact_items: self.transact_items - earlier.transact_items,
            batch_get_items: self.batch_get_items - earlier.batch_get_items,
            batch_write_items: self.batch_write_items - earlier.batch_write_items,
            query_pages: self.query_pages - earlier.query_pages,
            query_items: self.query_items - earlier.query_items,
        }
    }

    /// Write request units on DynamoDB on-demand, for items up to 1 KB:
    /// one per item written, two per transactional item.
    pub fn write_units(&self) -> f64 {
        (self.writes + self.batch_write_items + 2 * self.transact_items) as f64
    }

    /// Read request units, for items up to 4 KB read strongly consistent
    /// (one each) and query pages of `item_bytes`-sized items read eventually
    /// consistent (half a unit per 4 KB, at least half a unit per page).
    pub fn read_units(&self, item_bytes: f64) -> f64 {
        let query = (self.query_items as f64 * item_bytes / 4096.0 * 0.5).max(self.query_pages as f64 * 0.5);
        (self.gets + self.batch_get_items) as f64 + query
    }
}
