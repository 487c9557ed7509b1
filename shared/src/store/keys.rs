//! Key builders and the table's access patterns, in one place.
//!
//! One DynamoDB table, generic key attributes `PK`/`SK`, two overloaded global
//! secondary indexes `GSI1` (`GSI1PK`/`GSI1SK`) and `GSI2` (`GSI2PK`/`GSI2SK`),
//! TTL attribute `ttl` (epoch seconds; expired items are filtered on read
//! because TTL deletion is lazy).
//!
//! Every tenant item's partition key starts with `ACCT#<account_id>`, and the
//! account id only ever comes from a verified token (or from a job item that
//! was itself written under a verified token). Site-scoped items live under
//! `ACCT#<a>#SITE#<s>`. Ids are ULIDs, so sort keys sort by creation time.
//!
//! | access pattern | index | PK | SK |
//! |---|---|---|---|
//! | account profile and credit balance | table | `ACCT#<a>` | `ACCOUNT` |
//! | job by id | table | `ACCT#<a>` | `JOB#<job>` |
//! | jobs of an account, newest first | table | `ACCT#<a>` | begins_with `JOB#` |
//! | jobs of an account by status | GSI1 | `ACCT#<a>#JOBSTATUS#<status>` | `<job>` |
//! | automation execution records of a rule, newest first | table | `ACCT#<a>` | begins_with `RUN#<rule>#` |
//! | automation executions of an account, newest first | GSI1 | `ACCT#<a>#RUNS` | `<run>` |
//! | automation rule by id; rules of an account | table | `ACCT#<a>` | `RULE#<rule>` (begins_with `RULE#`) |
//! | enabled event rules of an account by event type (sparse) | GSI1 | `ACCT#<a>#RULEEVT#<type>` | `<rule>` |
//! | rules the daily schedule reconcile checks (sparse: want a schedule, or `pending`) | GSI2 | `AUTOMATION#SCHEDULED` | `<a>#<rule>` |
//! | one run per rule at a time (lease, TTL) | table | `ACCT#<a>` | `RULELOCK#<rule>` |
//! | a schedule fire already handled (TTL 2 days) | table | `ACCT#<a>` | `RUNAT#<rule>#<YYYY-MM-DDTHH:MM>` |
//! | a site's staged pipeline | table | `ACCT#<a>#SITE#<s>` | `PIPELINE` |
//! | a site's items of one type (keywords, clusters, ...) | table | `ACCT#<a>#SITE#<s>` | begins_with `<TYPE>#` |
//! | user by id | table | `ACCT#<a>` | `USER#<u>` |
//! | users of an account | table | `ACCT#<a>` | begins_with `USER#` |
//! | login: user by email | table | `UNIQ#EMAIL#<email>` (guard holding `owner` = `<a>/<u>`) | `UNIQ` |
//! | refresh-token family (revocation flag) | table | `ACCT#<a>` | `RFAM#<family>` (TTL) |
//! | refresh token (single use) | table | `ACCT#<a>` | `RTOK#<jti>` (TTL) |
//! | audit log, newest first | table | `ACCT#<a>` | begins_with `AUDIT#` (ULID order) |
//! | credit ledger, newest first / by date range | table | `ACCT#<a>` | `TXN#<ulid>` (between two ULIDs) |
//! | credit movement idempotency guard | table | `ACCT#<a>` | `TXNKEY#<key>` (e.g. `JOB#<id>#reserve`) |
//! | credit usage per month and AI function (aggregate, added to in each ledger line's transaction), newest month first | table | `ACCT#<a>` | `USAGE#<YYYY-MM>#<function>` (begins_with `USAGE#`) |
//! | accounts (monthly grant sweep) | GSI1 | `ACCOUNTS` | `<a>` |
//! | running-job slot of an account (lease) | table | `ACCT#<a>` | `SLOT#<n>` |
//! | site/sector delete checkpoint (pending batch, cursor, counts; TTL; removed with the site/sector) | table | `ACCT#<a>` | `DELCKPT#<s>[#<sector>]` |
//! | open jobs due for the sweeper (sparse: queued/running only; 8 shards by job id) | GSI2 | `JOBS#OPEN#<shard>` | `<due epoch, 12 digits>#<a>#<job>` (query `< now`) |
//! | provider request counter per minute (global quota) | table | `RATE#<provider>` | `<minute>` (TTL) |
//! | site by id | table | `ACCT#<a>` | `SITE#<s>` |
//! | sites of an account | table | `ACCT#<a>` | begins_with `SITE#` |
//! | sector by id | table | `ACCT#<a>#SITE#<s>` | `SECTOR#<x>` |
//! | sectors of a site | table | `ACCT#<a>#SITE#<s>` | begins_with `SECTOR#` |
//! | idea by id | table | `ACCT#<a>#SITE#<s>` | `IDEA#<id>` |
//! | ideas of a cluster | GSI1 | `ACCT#<a>#SITE#<s>#CL#<c>#IDEA` | `<id>` |
//! | ideas of a sector | GSI2 | `ACCT#<a>#SITE#<s>#SEC#<x>#IDEA` | `<id>` |
//! | task by id | table | `ACCT#<a>#SITE#<s>` | `TASK#<id>` |
//! | tasks of a site by status | GSI1 | `ACCT#<a>#SITE#<s>#TASKSTATUS#<status>` | `<id>` |
//! | tasks of a sector | GSI2 | `ACCT#<a>#SITE#<s>#SEC#<x>#TASK` | `<id>` |
//! | the one task of an idea (guard) | table | `ACCT#<a>#SITE#<s>` | `UNIQ#IDEATASK#<idea>` |
//! | content by id | table | `ACCT#<a>#SITE#<s>` | `CONT#<id>` |
//! | content of a site | table | `ACCT#<a>#SITE#<s>` | begins_with `CONT#` |
//! | content of a site by status | GSI1 | `ACCT#<a>#SITE#<s>#CONTSTATUS#<status>` | `<id>` |
//! | content written for a task | GSI2 | `ACCT#<a>#SITE#<s>#TASK#<task>#CONT` | `<id>` |
//! | content slug (unique per site; guard) | table | `ACCT#<a>#SITE#<s>` | `UNIQ#SLUG#<slug>` |
//! | versions of a content item, by number | table | `ACCT#<a>#SITE#<s>` | begins_with `VER#<content>#` (`VER#<content>#<n, 8 digits>`) |
//! | image prompt by id | table | `ACCT#<a>#SITE#<s>` | `IMGP#<id>` |
//! | image prompts of a site | table | `ACCT#<a>#SITE#<s>` | begins_with `IMGP#` |
//! | image prompts of a content item (sets by creation, slots in order) | GSI1 | `ACCT#<a>#SITE#<s>#CONT#<c>#IMGP` | `<id time part>#<position, 2 digits>#<id>` |
//! | image (metadata; bytes in S3 at `accounts/<a>/sites/<s>/images/<id>.<ext>`) by id | table | `ACCT#<a>#SITE#<s>` | `IMG#<id>` |
//! | images of a site | table | `ACCT#<a>#SITE#<s>` | begins_with `IMG#` |
//! | images of a content item | GSI1 | `ACCT#<a>#SITE#<s>#CONT#<c>#IMG` | `<id time part>#<position, 2 digits>#<id>` |
//! | keywords of a cluster | GSI1 | `ACCT#<a>#SITE#<s>#CL#<c>#KW` | `<id>` |
//! | unclustered keywords of a sector (what auto-cluster reads) | GSI1 | `ACCT#<a>#SITE#<s>#SEC#<x>#KW#UNCL` | `<created_at>#<id>` |
//! | keywords of a sector, in creation order | GSI2 | `ACCT#<a>#SITE#<s>#SEC#<x>#KW` | `<created_at>#<id>` |
//! | cannibalization index: works of a sector by normalised primary keyword (written with the idea/task/content item) | table | `ACCT#<a>#SITE#<s>` | begins_with `CANN#<x>#KW#<sha256(keyword), 24 hex>#` (`…#<work id>`) |
//! | cannibalization index: works of a sector by title signature (a token subset; see `planner::cannibalization`) | table | `ACCT#<a>#SITE#<s>` | begins_with `CANN#<x>#TS#<sha256(tokens), 24 hex>#` (`…#<work id>`) |
//! | everything of a site (delete job: one prefix per phase, children first, 100 per page) | table | `ACCT#<a>#SITE#<s>` | begins_with `IMG#`, `IMGP#`, `VER#`, `UNIQ#`, `CONT#`, … |
//! | uniqueness guard (site scoped; swept with the site) | table | `ACCT#<a>#SITE#<s>` | `UNIQ#<kind>#<value>` |
//! | uniqueness guard (tenant scoped) | table | `ACCT#<a>#UNIQ#<kind>#<value>` | `UNIQ` |
//! | uniqueness guard (global, e.g. login email) | table | `UNIQ#<kind>#<value>` | `UNIQ` |
//! | request budget (token bucket, GCRA `tat`) per name, rate and subject (account, IP, email hash for sign-in attempts, `all`) | table | `RL#<name>#<capacity>/<period s>#<subject>` | `RL` (TTL) |
//! | email verification token of a user (hash of the secret) | table | `ACCT#<a>` | `EMAILVERIFY#<u>` (TTL) |
//! | outbox: mail sent by the local mail sender | table | `ACCT#<a>` | begins_with `OUTBOX#` (TTL) |
//! | failed sign-in for an unknown email (security log) | table | `SECLOG#LOGIN#<day>` | `<ulid>` (TTL) |
//! | integration (WordPress connection; credentials sealed) by id | table | `ACCT#<a>` | `INTEG#<id>` |
//! | integrations of an account (filter: site) | table | `ACCT#<a>` | begins_with `INTEG#` |
//! | the one active integration of a platform per site (guard; swept with the site) | table | `ACCT#<a>#SITE#<s>` | `UNIQ#INTEG#<platform>` |
//! | WordPress media id of an image (uploaded once per integration; swept with the site) | table | `ACCT#<a>#SITE#<s>` | `WPMEDIA#<integration>#<image>` |
//! | WordPress term id of a category/tag name (cache per integration; swept with the site) | table | `ACCT#<a>#SITE#<s>` | `WPTERM#<integration>#<taxonomy>#<lowercased name>` |
//! | sync log of an integration, newest first | table | `ACCT#<a>#INTEG#<id>` | begins_with `LOG#` (`LOG#<ulid>`) |
//! | posts an integration published (WordPress post id → content item; a sync finds deletions) | table | `ACCT#<a>#INTEG#<id>` | begins_with `WPPOST#` (`WPPOST#<post id>`) |
//! | scheduled publishes of an integration (one-time Scheduler schedules), newest first | table | `ACCT#<a>#INTEG#<id>` | begins_with `SPUB#` (`SPUB#<ulid>`) |
//!
//! Later modules add their rows here, next to their builders.

/// The account a request acts for. Constructed only from a verified principal
/// (or a job written under one), never from request bodies; every tenant key
/// builder takes one, so a key cannot be built without it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tenant(String);

impl Tenant {
    /// Use only with an account id taken from a verified token or a stored job.
    pub fn from_verified(account_id: impl Into<String>) -> Self {
        Self(account_id.into())
    }

    pub fn account_id(&self) -> &str {
        &self.0
    }

    /// `ACCT#<a>`: the account's own partition.
    pub fn pk(&self) -> String {
        format!("ACCT#{}", self.0)
    }

    /// `ACCT#<a>#SITE#<s>`: one site's partition.
    pub fn site_pk(&self, site_id: &str) -> String {
        format!("ACCT#{}#SITE#{}", self.0, site_id)
    }

    /// True when `pk` belongs to this tenant (used to check cursors).
    pub fn owns_pk(&self, pk: &str) -> bool {
        let own = self.pk();
        pk == own || pk.strip_prefix(&own).is_some_and(|rest| rest.starts_with('#'))
    }
}

/// A primary key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }
}

/// Which index a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    Table,
    Gsi1,
    Gsi2,
}

impl Index {
    pub fn name(self) -> Option<&'static str> {
        match self {
            Index::Table => None,
            Index::Gsi1 => Some("GSI1"),
            Index::Gsi2 => Some("GSI2"),
        }
    }

    pub fn pk_attr(self) -> &'static str {
        match self {
            Index::Table => "PK",
            Index::Gsi1 => "GSI1PK",
            Index::Gsi2 => "GSI2PK",
        }
    }

    pub fn sk_attr(self) -> &'static str {
        match self {
            Index::Table => "SK",
            Index::Gsi1 => "GSI1SK",
            Index::Gsi2 => "GSI2SK",
        }
    }
}

/// The account item.
pub fn account(t: &Tenant) -> Key {
    Key::new(t.pk(), "ACCOUNT")
}

/// A job item.
pub fn job(t: &Tenant, job_id: &str) -> Key {
    Key::new(t.pk(), format!("JOB#{job_id}"))
}

pub const JOB_PREFIX: &str = "JOB#";

/// GSI1 partition of jobs by status.
pub fn job_status_gsi(t: &Tenant, status: &str) -> String {
    format!("{}#JOBSTATUS#{}", t.pk(), status)
}

/// Shards of the open-jobs index, so job writes never pile on one index partition.
pub const OPEN_JOB_SHARDS: u32 = 8;

pub fn open_job_shard(shard: u32) -> String {
    format!("JOBS#OPEN#{shard}")
}

/// GSI2 keys of an open job due for the sweeper at `due` (epoch seconds).
pub fn open_job_gsi(job_id: &str, due: i64, account_id: &str) -> (String, String) {
    let shard = job_id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) % OPEN_JOB_SHARDS;
    (open_job_shard(shard), format!("{:012}#{account_id}#{job_id}", due.max(0)))
}

/// The sort key every open job due before `now` sorts below.
pub fn open_job_due_below(now: i64) -> String {
    format!("{:012}#", now.max(0))
}

/// An automation execution record.
pub fn automation_run(t: &Tenant, rule_id: &str, run_id: &str) -> Key {
    Key::new(t.pk(), format!("RUN#{rule_id}#{run_id}"))
}

pub fn user(t: &Tenant, user_id: &str) -> Key {
    Key::new(t.pk(), format!("USER#{user_id}"))
}
pub const USER_PREFIX: &str = "USER#";

pub fn refresh_family(t: &Tenant, family: &str) -> Key {
    Key::new(t.pk(), format!("RFAM#{family}"))
}

pub fn refresh_token(t: &Tenant, jti: &str) -> Key {
    Key::new(t.pk(), format!("RTOK#{jti}"))
}

pub fn audit(t: &Tenant, entry_id: &str) -> Key {
    Key::new(t.pk(), format!("AUDIT#{entry_id}"))
}
pub const AUDIT_PREFIX: &str = "AUDIT#";

pub fn credit_txn(t: &Tenant, txn_id: &str) -> Key {
    Key::new(t.pk(), format!("{CREDIT_TXN_PREFIX}{txn_id}"))
}
pub const CREDIT_TXN_PREFIX: &str = "TXN#";

pub fn credit_guard(t: &Tenant, idempotency_key: &str) -> Key {
    Key::new(t.pk(), format!("TXNKEY#{idempotency_key}"))
}

/// The usage aggregate of one AI function in one month (`YYYY-MM`).
pub fn credit_usage(t: &Tenant, month: &str, function: &str) -> Key {
    Key::new(t.pk(), format!("{CREDIT_USAGE_PREFIX}{month}#{function}"))
}
pub const CREDIT_USAGE_PREFIX: &str = "USAGE#";

pub fn job_slot(t: &Tenant, n: u32) -> Key {
    Key::new(t.pk(), format!("SLOT#{n}"))
}

/// Global: a provider's quota is shared by every tenant.
pub fn provider_rate(provider: &str, minute: i64) -> Key {
    Key::new(format!("RATE#{provider}"), minute.to_string())
}

/// GSI1 partition listing every account (for the monthly grant).
pub const ACCOUNTS_GSI: &str = "ACCOUNTS";

pub fn site(t: &Tenant, site_id: &str) -> Key {
    Key::new(t.pk(), format!("SITE#{site_id}"))
}
pub const SITE_PREFIX: &str = "SITE#";

pub fn sector(t: &Tenant, site_id: &str, sector_id: &str) -> Key {
    Key::new(t.site_pk(site_id), format!("SECTOR#{sector_id}"))
}
pub const SECTOR_PREFIX: &str = "SECTOR#";

/// A uniqueness guard inside a site's partition, so deleting the site sweeps it.
pub fn unique_in_site(t: &Tenant, site_id: &str, kind: &str, value: &str) -> Key {
    Key::new(t.site_pk(site_id), format!("UNIQ#{kind}#{value}"))
}

/// A uniqueness guard scoped to one tenant (e.g. a keyword text per sector).
pub fn unique_in_tenant(t: &Tenant, kind: &str, value: &str) -> Key {
    Key::new(format!("{}#UNIQ#{}#{}", t.pk(), kind, value), "UNIQ")
}

/// A global uniqueness guard (e.g. one user per login email). The only keys
/// that do not start with an account; they hold no tenant data beyond the
/// owning ids.
pub fn unique_global(kind: &str, value: &str) -> Key {
    Key::new(format!("UNIQ#{kind}#{value}"), "UNIQ")
}

/// Global: a token bucket (see `crate::ratelimit`). The rate is part of the
/// key, so a changed limit starts a fresh bucket instead of misreading one.
pub fn rate_bucket(name: &str, capacity: u32, period_secs: u32, subject: &str) -> Key {
    Key::new(format!("RL#{name}#{capacity}/{period_secs}#{subject}"), "RL")
}

pub fn email_verification(t: &Tenant, user_id: &str) -> Key {
    Key::new(t.pk(), format!("EMAILVERIFY#{user_id}"))
}

pub fn outbox(t: &Tenant, mail_id: &str) -> Key {
    Key::new(t.pk(), format!("{OUTBOX_PREFIX}{mail_id}"))
}
pub const OUTBOX_PREFIX: &str = "OUTBOX#";

/// Global: failed sign-ins for emails with no user have no account to log under.
pub fn login_security_log(day: &str, id: &str) -> Key {
    Key::new(format!("SECLOG#LOGIN#{day}"), id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_keys_start_with_the_account() {
        let t = Tenant::from_verified("A1");
        assert_eq!(account(&t), Key::new("ACCT#A1", "ACCOUNT"));
        assert_eq!(job(&t, "J").pk, "ACCT#A1");
        assert_eq!(t.site_pk("S"), "ACCT#A1#SITE#S");
        assert!(unique_in_tenant(&t, "KW", "x").pk.starts_with("ACCT#A1#"));
        assert!(job_status_gsi(&t, "queued").starts_with("ACCT#A1#"));
    }

    #[test]
    fn term_prefixes_narrow_to_a_taxonomy_when_given() {
        assert_eq!(wp_term_prefix("I1", Some("category")), "WPTERM#I1#category#");
        assert_eq!(wp_term_prefix("I1", None), "WPTERM#I1#");
        assert!(wp_term_prefix("I1", Some("tag")).starts_with(&wp_term_prefix("I1", None)));
    }

    #[test]
    fn ownership_of_a_partition_is_exact() {
        let t = Tenant::from_verified("A1");
        assert!(t.owns_pk("ACCT#A1"));
        assert!(t.owns_pk("ACCT#A1#SITE#S"));
        assert!(!t.owns_pk("ACCT#A12"), "a prefix of another account's id must not match");
        assert!(!t.owns_pk("ACCT#A12#SITE#S"));
        assert!(!t.owns_pk("UNIQ#EMAIL#x"));
    }
}

/// An integration (a site's WordPress connection).
pub fn integration(t: &Tenant, id: &str) -> Key {
    Key::new(t.pk(), format!("{INTEGRATION_PREFIX}{id}"))
}
pub const INTEGRATION_PREFIX: &str = "INTEG#";

/// The guard that keeps one active integration of a platform per site.
pub fn integration_guard(t: &Tenant, site_id: &str, platform: &str) -> Key {
    Key::new(t.site_pk(site_id), format!("UNIQ#INTEG#{platform}"))
}

/// The partition of an integration's sync log.
pub fn sync_log_pk(t: &Tenant, integration_id: &str) -> String {
    format!("{}#INTEG#{integration_id}", t.pk())
}

/// One sync log entry.
pub fn sync_log(t: &Tenant, integration_id: &str, id: &str) -> Key {
    Key::new(sync_log_pk(t, integration_id), format!("{SYNC_LOG_PREFIX}{id}"))
}
pub const SYNC_LOG_PREFIX: &str = "LOG#";

/// One scheduled publish of an integration (in the sync log's partition).
pub fn scheduled_publish(t: &Tenant, integration_id: &str, id: &str) -> Key {
    Key::new(sync_log_pk(t, integration_id), format!("{SCHEDULED_PUBLISH_PREFIX}{id}"))
}
pub const SCHEDULED_PUBLISH_PREFIX: &str = "SPUB#";

/// The content item a WordPress post of an integration stands for.
pub fn wp_post_link(t: &Tenant, integration_id: &str, post_id: u64) -> Key {
    Key::new(sync_log_pk(t, integration_id), format!("{WP_POST_LINK_PREFIX}{post_id}"))
}
pub const WP_POST_LINK_PREFIX: &str = "WPPOST#";

/// The sort-key prefix of an integration's cached terms (of one taxonomy when given).
pub fn wp_term_prefix(integration_id: &str, taxonomy: Option<&str>) -> String {
    match taxonomy {
        Some(t) => format!("WPTERM#{integration_id}#{t}#"),
        None => format!("WPTERM#{integration_id}#"),
    }
}

/// The cached WordPress term id of a category or tag name on an integration's site.
pub fn wp_term(t: &Tenant, site_id: &str, integration_id: &str, taxonomy: &str, name: &str) -> Key {
    Key::new(t.site_pk(site_id), format!("WPTERM#{integration_id}#{taxonomy}#{}", name.to_lowercase()))
}

/// The WordPress media item an image became on an integration's site.
pub fn wp_media(t: &Tenant, site_id: &str, integration_id: &str, image_id: &str) -> Key {
    Key::new(t.site_pk(site_id), format!("WPMEDIA#{integration_id}#{image_id}"))
}
