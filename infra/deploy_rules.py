"""What a working, production-ready stack needs from infra/template.yaml.

Each rule reads the SAM template (and the translated CloudFormation where SAM
adds resources or policies) and returns the problems it finds, one string each.
`lint_template.py` runs them all, then runs them again on broken copies of the
template (`MUTATIONS`) to prove each rule can fail.

Rules, by item (issue 18: deployability; issue 10: template and deployment truth):
  iam        3, 10/13 each function's policy grants exactly the calls in its
                    crate's functions/<crate>/AWS_CALLS.md, on its own resources
  env        3      Globals set only variables the code reads
  alarmkey   4      the alarm topic's key lets CloudWatch publish
  billing    5      the monthly schedule: per-stack name, DLQ, on-failure destination
  dlqalarm   6      a dead-letter queue drained by a function alarms on messages received
  alarms     7      API 5xx rate, event functions' errors/throttles, queue age, table throttles
  logs       8      a log group with retention per function; API access logs with request id
  throttle   9      stage throttling, tighter on auth; retry-after exposed
  data       10     table deletion protection; import blobs expire; delete markers cleaned
  sizing     12     auth memory, worker batch <= parallel jobs, no name derived from the
                    stack name can outgrow its limit
  secrets    10/14  provider keys from Secrets Manager, required for openai
  dlqarn     10/15  the worker is told its dead-letter queue's ARN
  cors       10/16  one configured origin, never "*" with credentials
  web        16     the app from a private bucket (OAC) behind CloudFront; /api/* to the
                    HTTP API uncached with all headers but Host, cookies and query; SPA
                    fallback on the app's behaviour only
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# Managed policies SAM attaches by itself: CloudWatch Logs for every function,
# and the SQS poller for functions with an SQS event source (the event source
# mapping receives/deletes with the function's role). Nothing else is allowed.
SAM_MANAGED = {
    "AWSLambdaBasicExecutionRole": "all",
    "AWSLambdaSQSQueueExecutionRole": "sqs-consumers",
}


# ----------------------------------------------------------------- helpers

def _resources(t: dict) -> dict:
    return t.get("Resources") or {}


def _functions(sam: dict) -> dict:
    return {k: v for k, v in _resources(sam).items() if v.get("Type") == "AWS::Serverless::Function"}


def _props(res: dict) -> dict:
    return res.get("Properties") or {}


def _is_ref(v, name: str) -> bool:
    return isinstance(v, dict) and v.get("Ref") == name


def _getatt(v):
    if isinstance(v, dict) and "Fn::GetAtt" in v:
        g = v["Fn::GetAtt"]
        return g.split(".", 1) if isinstance(g, str) else list(g)
    return None


def _mentions(v, needle: str) -> bool:
    return needle in repr(v)


def crate_of(fn_res: dict) -> str:
    return ((fn_res.get("Metadata") or {}).get("BuildProperties") or {}).get("Binary", "")


def resource_symbol(v) -> str:
    """A policy Resource as the AWS_CALLS.md notation: `X` or `X/rest`."""
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        if "Ref" in v:
            return v["Ref"]
        g = _getatt(v)
        if g and g[1] == "Arn":
            return g[0]
        if "Fn::Sub" in v and isinstance(v["Fn::Sub"], str):
            m = re.fullmatch(r"\$\{(\w+)\.Arn\}(/.*)?", v["Fn::Sub"])
            if m:
                return m.group(1) + (m.group(2) or "")
            # Schedules of a schedule group: `<Group>/schedules/*`.
            m = re.fullmatch(r"arn:\$\{AWS::Partition\}:scheduler:\$\{AWS::Region\}:\$\{AWS::AccountId\}:schedule/\$\{(\w+)\}/\*", v["Fn::Sub"])
            if m:
                return m.group(1) + "/schedules/*"
    return repr(v)


def _statements(doc_statements) -> list:
    out = []
    for st in doc_statements or []:
        if isinstance(st, dict) and "Fn::If" in st:
            _, yes, no = st["Fn::If"]
            for branch in (yes, no):
                if isinstance(branch, dict) and "Effect" in branch:
                    out.append(branch)
        elif isinstance(st, dict):
            out.append(st)
    return out


def granted_pairs(role: dict) -> tuple[set, list, list]:
    """(action, resource) pairs a role allows, its managed policy ARNs, problems."""
    pairs, problems = set(), []
    props = _props(role)
    for pol in props.get("Policies") or []:
        for st in _statements((pol.get("PolicyDocument") or {}).get("Statement")):
            if st.get("Effect") != "Allow":
                continue
            actions = st.get("Action")
            actions = actions if isinstance(actions, list) else [actions]
            resources = st.get("Resource")
            resources = resources if isinstance(resources, list) else [resources]
            for a in actions:
                if not isinstance(a, str) or "*" in a:
                    problems.append(f"wildcard action {a!r}")
                for r in resources:
                    sym = resource_symbol(r)
                    if sym == "*":
                        problems.append(f"{a} on every resource (\"*\")")
                    if a == "s3:ListBucket" and not (st.get("Condition") or {}).get("StringLike", {}).get("s3:prefix"):
                        problems.append("s3:ListBucket without an s3:prefix condition")
                    pairs.add((a, sym))
    managed = [m if isinstance(m, str) else repr(m) for m in props.get("ManagedPolicyArns") or []]
    return pairs, managed, problems


def read_calls_table(crate: str) -> set | None:
    path = REPO_ROOT / "functions" / crate / "AWS_CALLS.md"
    if not path.is_file():
        return None
    rows = set()
    for line in path.read_text().splitlines():
        m = re.match(r"\|\s*`([a-z0-9-]+:[A-Za-z0-9*]+)`\s*\|\s*`([^`]+)`\s*\|", line)
        if m:
            rows.add((m.group(1), m.group(2)))
    return rows


# ----------------------------------------------------------------- rules

def rule_iam(sam: dict, cfn: dict) -> list:
    problems = []
    cres = _resources(cfn)
    for fid, fn in _functions(sam).items():
        crate = crate_of(fn)
        table = read_calls_table(crate)
        if table is None:
            problems.append(f"{fid}: functions/{crate}/AWS_CALLS.md is missing")
            continue
        role = cres.get(f"{fid}Role")
        if role is None:
            problems.append(f"{fid}: no {fid}Role in the translated template (an explicit Role is not checked)")
            continue
        pairs, managed, bad = granted_pairs(role)
        problems += [f"{fid}: {b}" for b in bad]
        for a, r in sorted(table - pairs):
            problems.append(f"{fid}: its code calls {a} on {r} (AWS_CALLS.md) but the policy does not grant it")
        for a, r in sorted(pairs - table):
            problems.append(f"{fid}: the policy grants {a} on {r}, which functions/{crate}/AWS_CALLS.md does not list")
        sqs_consumer = any((e or {}).get("Type") == "SQS" for e in (_props(fn).get("Events") or {}).values())
        for m in managed:
            name = m.rsplit("/", 1)[-1]
            scope = SAM_MANAGED.get(name)
            if scope is None or (scope == "sqs-consumers" and not sqs_consumer):
                problems.append(f"{fid}: managed policy {m} is not allowed")
    return problems


def _code_env_vars() -> set:
    names = set()
    for p in (REPO_ROOT / "shared" / "src").rglob("*.rs"):
        names |= set(re.findall(r'get\("([A-Z0-9_]+)"\)', p.read_text()))
        names |= set(re.findall(r'env::var\("([A-Z0-9_]+)"\)', p.read_text()))
        if "EnvFilter::try_from_default_env" in p.read_text():
            names.add("RUST_LOG")  # tracing's EnvFilter reads it
    return names


def rule_env(sam: dict, cfn: dict) -> list:
    read = _code_env_vars()
    problems = []
    sources = [("Globals", ((sam.get("Globals") or {}).get("Function") or {}))]
    sources += [(fid, _props(fn)) for fid, fn in _functions(sam).items()]
    for where, props in sources:
        for var in ((props.get("Environment") or {}).get("Variables") or {}):
            if var not in read:
                problems.append(f"{where}: environment variable {var} is read by no code in shared/src")
    return problems


def rule_alarmkey(sam: dict, cfn: dict) -> list:
    res = _resources(sam)
    problems = []
    for tid, topic in res.items():
        if topic.get("Type") != "AWS::SNS::Topic":
            continue
        key = _props(topic).get("KmsMasterKeyId")
        if key is None:
            continue
        if isinstance(key, str):
            problems.append(f"{tid}: encrypted with {key!r}; CloudWatch cannot publish to a topic under an AWS managed key")
            continue
        kid = key.get("Ref") if isinstance(key, dict) else None
        kres = res.get(kid or "")
        stmts = ((_props(kres or {}).get("KeyPolicy") or {}).get("Statement")) or []
        ok = any(
            st.get("Effect") == "Allow"
            and "cloudwatch.amazonaws.com" in repr(st.get("Principal"))
            and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(st.get("Action") if isinstance(st.get("Action"), list) else [st.get("Action")])
            for st in stmts
        )
        if not ok:
            problems.append(f"{tid}: its key {kid} does not let cloudwatch.amazonaws.com Decrypt and GenerateDataKey*")
    return problems


def rule_billing(sam: dict, cfn: dict) -> list:
    problems = []
    found = False
    for fid, fn in _functions(sam).items():
        for eid, ev in (_props(fn).get("Events") or {}).items():
            if (ev or {}).get("Type") not in ("ScheduleV2", "Schedule"):
                continue
            found = True
            p = ev.get("Properties") or {}
            name = p.get("Name")
            if name is None or isinstance(name, str):
                problems.append(f"{fid}/{eid}: the schedule needs a name unique per stack (derived from AWS::StackId), got {name!r}")
            if not p.get("DeadLetterConfig"):
                problems.append(f"{fid}/{eid}: the schedule has no DeadLetterConfig")
            on_failure = (((_props(fn).get("EventInvokeConfig") or {}).get("DestinationConfig") or {}).get("OnFailure"))
            if not on_failure:
                problems.append(f"{fid}: scheduled function without an on-failure destination (EventInvokeConfig)")
    if not found:
        problems.append("no scheduled function (the monthly billing grant)")
    return problems


def _alarms(sam: dict) -> list:
    return [(aid, _props(a)) for aid, a in _resources(sam).items() if a.get("Type") == "AWS::CloudWatch::Alarm"]


def _dim(alarm: dict, name: str):
    for d in alarm.get("Dimensions") or []:
        if d.get("Name") == name:
            return d.get("Value")
    return None


def _consumed_queues(sam: dict) -> dict:
    out = {}
    for fid, fn in _functions(sam).items():
        for ev in (_props(fn).get("Events") or {}).values():
            if (ev or {}).get("Type") == "SQS":
                g = _getatt((ev.get("Properties") or {}).get("Queue"))
                if g:
                    out[g[0]] = fid
    return out


def rule_dlqalarm(sam: dict, cfn: dict) -> list:
    consumed = _consumed_queues(sam)
    problems = []
    for aid, a in _alarms(sam):
        g = _getatt(_dim(a, "QueueName"))
        if g and g[0] in consumed and a.get("MetricName") == "ApproximateNumberOfMessagesVisible" and "Dead" in g[0]:
            problems.append(f"{aid}: {consumed[g[0]]} drains {g[0]}, so ApproximateNumberOfMessagesVisible never fires; alarm on NumberOfMessagesReceived")
    return problems


def rule_alarms(sam: dict, cfn: dict) -> list:
    alarms = _alarms(sam)
    problems = []

    def has(pred) -> bool:
        return any(pred(a) and a.get("AlarmActions") for _, a in alarms)

    if not has(lambda a: a.get("Namespace") == "AWS/ApiGateway" and a.get("MetricName") == "5xx" and _is_ref(_dim(a, "ApiId"), "HttpApi") and a.get("Statistic") == "Average"):
        problems.append("no alarm on the HTTP API's 5xx rate (AWS/ApiGateway 5xx, Average, ApiId=HttpApi)")
    for fid, fn in _functions(sam).items():
        events = (_props(fn).get("Events") or {}).values()
        if any((e or {}).get("Type") == "HttpApi" for e in events):
            continue
        for metric in ("Errors", "Throttles"):
            if not has(lambda a, m=metric, f=fid: a.get("Namespace") == "AWS/Lambda" and a.get("MetricName") == m and _is_ref(_dim(a, "FunctionName"), f)):
                problems.append(f"no {metric} alarm for {fid}")
    for qid in _consumed_queues(sam):
        if "Dead" in qid:
            continue
        if not has(lambda a, q=qid: a.get("MetricName") == "ApproximateAgeOfOldestMessage" and (_getatt(_dim(a, "QueueName")) or [None])[0] == q):
            problems.append(f"no ApproximateAgeOfOldestMessage alarm for {qid}")
    for metric in ("ReadThrottleEvents", "WriteThrottleEvents"):
        if not has(lambda a, m=metric: a.get("Namespace") == "AWS/DynamoDB" and a.get("MetricName") == m and _is_ref(_dim(a, "TableName"), "Table")):
            problems.append(f"no DynamoDB {metric} alarm on Table")
    return problems


def rule_logs(sam: dict, cfn: dict) -> list:
    res = _resources(sam)
    problems = []
    params = sam.get("Parameters") or {}
    if str((params.get("LogRetentionDays") or {}).get("Default")) != "30":
        problems.append("parameter LogRetentionDays must exist with default 30")

    def retention_ok(gid) -> bool:
        g = res.get(gid or "")
        return bool(g) and g.get("Type") == "AWS::Logs::LogGroup" and _is_ref(_props(g).get("RetentionInDays"), "LogRetentionDays")

    for fid, fn in _functions(sam).items():
        lg = (_props(fn).get("LoggingConfig") or {}).get("LogGroup")
        if not retention_ok(lg.get("Ref") if isinstance(lg, dict) else None):
            problems.append(f"{fid}: LoggingConfig.LogGroup must name a log group of this stack with RetentionInDays: !Ref LogRetentionDays")
    for aid, api in res.items():
        if api.get("Type") != "AWS::Serverless::HttpApi":
            continue
        als = _props(api).get("AccessLogSettings") or {}
        g = _getatt(als.get("DestinationArn"))
        if not g or not retention_ok(g[0]):
            problems.append(f"{aid}: access logs must go to a log group of this stack with retention")
        if "$context.requestId" not in str(als.get("Format")):
            problems.append(f"{aid}: the access log format must carry $context.requestId")
    return problems


def _num_default(sam: dict, v):
    if _is_ref(v, v.get("Ref") if isinstance(v, dict) else ""):
        return (sam.get("Parameters") or {}).get(v["Ref"], {}).get("Default")
    return v


def rule_throttle(sam: dict, cfn: dict) -> list:
    problems = []
    for aid, api in _resources(sam).items():
        if api.get("Type") != "AWS::Serverless::HttpApi":
            continue
        p = _props(api)
        d = p.get("DefaultRouteSettings") or {}
        rate, burst = _num_default(sam, d.get("ThrottlingRateLimit")), _num_default(sam, d.get("ThrottlingBurstLimit"))
        if rate is None or burst is None:
            problems.append(f"{aid}: DefaultRouteSettings needs ThrottlingRateLimit and ThrottlingBurstLimit")
        auth = [v for k, v in (p.get("RouteSettings") or {}).items() if "/api/v1/auth/" in k]
        if not auth:
            problems.append(f"{aid}: no RouteSettings for the auth routes")
        for s in auth:
            ar, ab = _num_default(sam, s.get("ThrottlingRateLimit")), _num_default(sam, s.get("ThrottlingBurstLimit"))
            if ar is None or rate is None or float(ar) >= float(rate) or float(ab) >= float(burst):
                problems.append(f"{aid}: the auth routes' throttling ({ar}/{ab}) must be tighter than the default ({rate}/{burst})")
        exposed = [h.lower() for h in (p.get("CorsConfiguration") or {}).get("ExposeHeaders") or []]
        if "retry-after" not in exposed:
            problems.append(f"{aid}: CORS ExposeHeaders must include retry-after")
    return problems


def rule_data(sam: dict, cfn: dict) -> list:
    problems = []
    res = _resources(sam)
    blobs = (REPO_ROOT / "shared" / "src" / "blobs.rs").read_text()
    m = re.search(r'IMPORT_TAG:\s*\(&str,\s*&str\)\s*=\s*\("([^"]+)",\s*"([^"]+)"\)', blobs)
    tag = (m.group(1), m.group(2)) if m else None
    if tag is None:
        problems.append("shared/src/blobs.rs: no IMPORT_TAG (the tag import blobs carry for their lifecycle rule)")
    # The buckets the functions keep data in (named in their environment);
    # the web app's bucket holds only the build, replaced by each upload.
    data_buckets = {
        v["Ref"]
        for env in [((sam.get("Globals") or {}).get("Function") or {}).get("Environment") or {}]
        + [_props(f).get("Environment") or {} for f in _functions(sam).values()]
        for v in (env.get("Variables") or {}).values()
        if isinstance(v, dict) and "Ref" in v
    }
    for rid, r in res.items():
        if r.get("Type") == "AWS::DynamoDB::Table" and _props(r).get("DeletionProtectionEnabled") is not True:
            problems.append(f"{rid}: DeletionProtectionEnabled must be true")
        if r.get("Type") == "AWS::S3::Bucket" and rid in data_buckets:
            rules = ((_props(r).get("LifecycleConfiguration") or {}).get("Rules")) or []
            enabled = [x for x in rules if x.get("Status") == "Enabled"]
            expiring = [
                x for x in enabled
                if any((f.get("Key"), f.get("Value")) == tag for f in x.get("TagFilters") or []) and x.get("ExpirationInDays")
            ]
            if not expiring:
                problems.append(f"{rid}: no lifecycle rule expiring objects tagged {tag} (abandoned import blobs)")
            if not any(x.get("ExpiredObjectDeleteMarker") is True for x in enabled):
                problems.append(f"{rid}: no lifecycle rule removing expired delete markers")
    return problems


NAME_LIMITS = {
    ("AWS::Lambda::Function", "FunctionName"): 64,
    ("AWS::Serverless::Function", "FunctionName"): 64,
    ("AWS::Scheduler::ScheduleGroup", "Name"): 64,
    ("AWS::Scheduler::Schedule", "Name"): 64,
    ("AWS::IAM::Role", "RoleName"): 64,
    ("AWS::SQS::Queue", "QueueName"): 80,
    ("AWS::KMS::Alias", "AliasName"): 256,
    ("AWS::Logs::LogGroup", "LogGroupName"): 512,
    ("AWS::SNS::Topic", "TopicName"): 256,
    ("AWS::DynamoDB::Table", "TableName"): 255,
    ("AWS::S3::Bucket", "BucketName"): 63,
}
_WORST = {"AWS::StackName": "s" * 128, "AWS::StackId": "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/" + "s" * 128 + "/" + "u" * 36,
          "AWS::Region": "ap-southeast-2", "AWS::AccountId": "123456789012", "AWS::Partition": "aws-us-gov"}


def worst_case(v) -> str:
    """The longest value an intrinsic can take with the longest stack name."""
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        if "Ref" in v:
            return _WORST.get(v["Ref"], "r" * 64)
        if "Fn::Sub" in v:
            s = v["Fn::Sub"] if isinstance(v["Fn::Sub"], str) else v["Fn::Sub"][0]
            return re.sub(r"\$\{([^}]+)\}", lambda m: _WORST.get(m.group(1), "r" * 64), s)
        if "Fn::Join" in v:
            sep, parts = v["Fn::Join"]
            return sep.join(worst_case(p) for p in parts)
        if "Fn::Select" in v:
            i, lst = v["Fn::Select"]
            if isinstance(lst, dict) and "Fn::Split" in lst:
                sep, src = lst["Fn::Split"]
                parts = worst_case(src).split(sep)
                return parts[int(i)] if int(i) < len(parts) else ""
            return "r" * 64
    return "r" * 64


def rule_sizing(sam: dict, cfn: dict) -> list:
    problems = []
    fns = _functions(sam)
    auth = fns.get("AuthFunction")
    if auth is None or int(_props(auth).get("MemorySize") or 0) < 1769:
        problems.append("AuthFunction: MemorySize below 1769 MB (one vCPU) makes each Argon2id hash several times slower than measured")
    src = (REPO_ROOT / "functions" / "ai-worker" / "src" / "lib.rs").read_text()
    m = re.search(r"pub const PARALLEL_JOBS: usize = (\d+);", src)
    parallel = int(m.group(1)) if m else None
    if parallel is None:
        problems.append("functions/ai-worker/src/lib.rs: no PARALLEL_JOBS constant")
    for fid, fn in fns.items():
        for eid, ev in (_props(fn).get("Events") or {}).items():
            if (ev or {}).get("Type") == "SQS" and crate_of(fn) == "ai-worker" and parallel is not None:
                batch = (ev.get("Properties") or {}).get("BatchSize", 10)
                if int(batch) > parallel:
                    problems.append(f"{fid}/{eid}: BatchSize {batch} > PARALLEL_JOBS {parallel}: a full batch would not fit the timeout of one job")
    for t in (sam, cfn):
        for rid, r in _resources(t).items():
            for (rtype, prop), limit in NAME_LIMITS.items():
                if r.get("Type") == rtype and prop in _props(r):
                    n = len(worst_case(_props(r)[prop]))
                    if n > limit:
                        problems.append(f"{rid}.{prop}: up to {n} characters with a 128-character stack name (limit {limit})")
    return problems


def rule_secrets(sam: dict, cfn: dict) -> list:
    problems = []
    params = sam.get("Parameters") or {}
    if "ProviderSecretArn" not in params:
        problems.append("no ProviderSecretArn parameter")
    if any("apikey" in k.lower() for k in params):
        problems.append("provider keys must not be template parameters (they would land in plain environment variables)")
    for where, props in [("Globals", (sam.get("Globals") or {}).get("Function") or {})] + [(f, _props(r)) for f, r in _functions(sam).items()]:
        env = (props.get("Environment") or {}).get("Variables") or {}
        for var in env:
            if var.endswith("_API_KEY"):
                problems.append(f"{where}: {var} as a plain environment variable")
    rules = sam.get("Rules") or {}
    ok = any(
        _mentions(r.get("RuleCondition"), "openai") and _mentions(r.get("Assertions"), "ProviderSecretArn")
        for r in rules.values()
    )
    if not ok:
        problems.append("no Rule refusing AiProvider=openai without ProviderSecretArn")
    worker = _functions(sam).get("AiWorkerFunction") or {}
    env = ((_props(worker).get("Environment") or {}).get("Variables")) or {}
    if not _mentions(env.get("PROVIDER_SECRET_ARN"), "ProviderSecretArn"):
        problems.append("AiWorkerFunction: PROVIDER_SECRET_ARN must carry the ProviderSecretArn parameter")
    return problems


def rule_dlqarn(sam: dict, cfn: dict) -> list:
    worker = _functions(sam).get("AiWorkerFunction") or {}
    env = ((_props(worker).get("Environment") or {}).get("Variables")) or {}
    g = _getatt(env.get("AI_JOBS_DLQ_ARN"))
    dlq = [q for q in _consumed_queues(sam) if "Dead" in q]
    if not g or g[1] != "Arn" or g[0] not in dlq:
        return [f"AiWorkerFunction: AI_JOBS_DLQ_ARN must be the GetAtt Arn of the dead-letter queue it consumes ({dlq}), got {env.get('AI_JOBS_DLQ_ARN')!r}"]
    return []


def rule_cors(sam: dict, cfn: dict) -> list:
    problems = []
    params = sam.get("Parameters") or {}
    for aid, api in _resources(sam).items():
        if api.get("Type") != "AWS::Serverless::HttpApi":
            continue
        cors = _props(api).get("CorsConfiguration") or {}
        origins = cors.get("AllowOrigins") or []
        for o in origins:
            if o == "*" or (isinstance(o, str) and "*" in o):
                problems.append(f"{aid}: AllowOrigins contains {o!r}")
            if isinstance(o, dict) and "Ref" in o:
                p = params.get(o["Ref"]) or {}
                if "*" in str(p.get("Default", "")):
                    problems.append(f"{aid}: parameter {o['Ref']} defaults to {p.get('Default')!r}")
                pattern = p.get("AllowedPattern")
                if not pattern or re.fullmatch(pattern, "*"):
                    problems.append(f"{aid}: parameter {o['Ref']} must have an AllowedPattern that refuses '*'")
                elif not re.fullmatch(pattern, "https://app.example.com"):
                    problems.append(f"{aid}: parameter {o['Ref']}'s AllowedPattern refuses a plain origin")
            elif not isinstance(o, str):
                problems.append(f"{aid}: AllowOrigins entry {o!r} is neither a parameter nor a literal")
        if not origins or not all(isinstance(o, dict) and "Ref" in o for o in origins):
            problems.append(f"{aid}: the allowed origin must be a template parameter")
    return problems


# Managed CloudFront policies (their ids are the same in every account).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def rule_web(sam: dict, cfn: dict) -> list:
    """The web app behind CloudFront: a private bucket read through origin
    access control only; /api/* to the HTTP API, uncached, with every viewer
    header but Host, cookie and query string; the SPA fallback only on the
    app's behaviour (an error-page rewrite would turn API 404s into HTML)."""
    res = _resources(sam)
    dists = {k: v for k, v in res.items() if v.get("Type") == "AWS::CloudFront::Distribution"}
    if not dists:
        return ["no AWS::CloudFront::Distribution serves the web app"]
    problems = []
    for did, d in dists.items():
        conf = _props(d).get("DistributionConfig") or {}
        origins = {o.get("Id"): o for o in conf.get("Origins") or []}
        if conf.get("CustomErrorResponses"):
            problems.append(f"{did}: CustomErrorResponses apply to /api/* too (API 404s would become index.html); use a viewer-request function on the app's behaviour")
        api = [b for b in conf.get("CacheBehaviors") or [] if b.get("PathPattern") == "/api/*"]
        if len(api) != 1:
            problems.append(f"{did}: no single /api/* behaviour")
        for b in api:
            target = origins.get(b.get("TargetOriginId")) or {}
            if not _mentions(target.get("DomainName"), "HttpApi"):
                problems.append(f"{did}: /api/* does not go to the HTTP API")
            if b.get("CachePolicyId") != CACHING_DISABLED:
                problems.append(f"{did}: /api/* must use the CachingDisabled policy")
            if b.get("OriginRequestPolicyId") != ALL_VIEWER_EXCEPT_HOST:
                problems.append(f"{did}: /api/* must forward all viewer headers but Host, cookies and query strings (AllViewerExceptHostHeader)")
            if set(b.get("AllowedMethods") or []) != {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}:
                problems.append(f"{did}: /api/* must allow every method")
            if b.get("FunctionAssociations") or b.get("LambdaFunctionAssociations"):
                problems.append(f"{did}: /api/* must not be rewritten by a function")
        default = conf.get("DefaultCacheBehavior") or {}
        if not default.get("FunctionAssociations"):
            problems.append(f"{did}: the app's behaviour has no SPA route fallback")
        web = origins.get(default.get("TargetOriginId")) or {}
        bucket = _getatt(web.get("DomainName"))
        if not bucket or not web.get("OriginAccessControlId"):
            problems.append(f"{did}: the app must come from a bucket through an origin access control")
            continue
        bprops = _props(res.get(bucket[0]) or {})
        block = bprops.get("PublicAccessBlockConfiguration") or {}
        if not all(block.get(k) is True for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")):
            problems.append(f"{bucket[0]}: the web bucket must block all public access")
        policies = [p for p in res.values() if p.get("Type") == "AWS::S3::BucketPolicy" and _is_ref(_props(p).get("Bucket"), bucket[0])]
        grants = [
            st for p in policies for st in _statements((_props(p).get("PolicyDocument") or {}).get("Statement"))
            if st.get("Effect") == "Allow"
        ]
        if not grants or not all(
            isinstance(st.get("Principal"), dict) and st["Principal"].get("Service") == "cloudfront.amazonaws.com" and _mentions(st.get("Condition"), did)
            for st in grants
        ):
            problems.append(f"{bucket[0]}: only the distribution {did} (AWS:SourceArn) may read the bucket")
    return problems


RULES = [
    ("iam", "issue 18 #3, issue 10 #13", rule_iam),
    ("env", "issue 18 #3", rule_env),
    ("alarmkey", "issue 18 #4", rule_alarmkey),
    ("billing", "issue 18 #5", rule_billing),
    ("dlqalarm", "issue 18 #6", rule_dlqalarm),
    ("alarms", "issue 18 #7", rule_alarms),
    ("logs", "issue 18 #8", rule_logs),
    ("throttle", "issue 18 #9", rule_throttle),
    ("data", "issue 18 #10", rule_data),
    ("sizing", "issue 18 #12", rule_sizing),
    ("secrets", "issue 10 #14", rule_secrets),
    ("dlqarn", "issue 10 #15", rule_dlqarn),
    ("cors", "issue 10 #16", rule_cors),
    ("web", "issue 16", rule_web),
]


def run_rules(sam: dict, cfn: dict) -> dict:
    return {name: fn(sam, cfn) for name, _, fn in RULES}


# ------------------------------------------------------- mutations (self-test)
# Each breaks one property of the template; the named rule must then fail.

def _fn(sam, fid):
    return sam["Resources"][fid]["Properties"]


def _del(d, k):
    d.pop(k, None)


def _drop_statement(fid, action):
    def m(sam):
        p = _fn(sam, fid)
        for pol in p["Policies"]:
            pol["Statement"] = [s for s in pol["Statement"] if s.get("Action") != action]
    return m


def _add_statement(fid, st):
    def m(sam):
        _fn(sam, fid)["Policies"][0]["Statement"].append(st)
    return m


MUTATIONS = [
    ("iam", "worker loses sqs:ChangeMessageVisibility", _drop_statement("AiWorkerFunction", "sqs:ChangeMessageVisibility")),
    ("iam", "sites loses s3:DeleteObject", _drop_statement("SitesFunction", "s3:DeleteObject")),
    ("iam", "runner gets s3:PutObject it never calls", _add_statement("AutomationRunnerFunction", {"Effect": "Allow", "Action": "s3:PutObject", "Resource": {"Fn::Sub": "${AssetsBucket.Arn}/accounts/*"}})),
    ("iam", "health gets dynamodb:* on *", _add_statement("HealthFunction", {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"})),
    ("iam", "a SAM policy template (S3CrudPolicy)", lambda s: _fn(s, "WriterFunction")["Policies"].append({"S3CrudPolicy": {"BucketName": {"Ref": "AssetsBucket"}}})),
    ("env", "an unused Globals variable", lambda s: s["Globals"]["Function"]["Environment"]["Variables"].update({"KMS_KEY_ID": {"Ref": "SecretsKey"}})),
    ("alarmkey", "topic under alias/aws/sns", lambda s: _fn(s, "AlarmTopic").update({"KmsMasterKeyId": "alias/aws/sns"})),
    ("billing", "fixed schedule name", lambda s: _fn(s, "BillingFunction")["Events"]["MonthlyGrant"]["Properties"].update({"Name": "monthly-grant"})),
    ("billing", "no schedule DLQ", lambda s: _del(_fn(s, "BillingFunction")["Events"]["MonthlyGrant"]["Properties"], "DeadLetterConfig")),
    ("billing", "no on-failure destination", lambda s: _del(_fn(s, "BillingFunction"), "EventInvokeConfig")),
    ("dlqalarm", "AI DLQ alarm on visible messages", lambda s: _fn(s, "AiJobsDeadLetterAlarm").update({"MetricName": "ApproximateNumberOfMessagesVisible"})),
    ("alarms", "no API 5xx alarm", lambda s: _del(s["Resources"], "Api5xxRateAlarm")),
    ("alarms", "no worker throttles alarm", lambda s: _del(s["Resources"], "AiWorkerThrottlesAlarm")),
    ("alarms", "no queue age alarm", lambda s: _del(s["Resources"], "AiJobsQueueAgeAlarm")),
    ("alarms", "no table write throttle alarm", lambda s: _del(s["Resources"], "TableWriteThrottleAlarm")),
    ("logs", "a function without its log group", lambda s: _del(_fn(s, "WriterFunction"), "LoggingConfig")),
    ("logs", "a log group without retention", lambda s: _del(_fn(s, "PlannerLogGroup"), "RetentionInDays")),
    ("logs", "access logs without the request id", lambda s: _fn(s, "HttpApi")["AccessLogSettings"].update({"Format": "$context.status"})),
    ("throttle", "no stage throttling", lambda s: _del(_fn(s, "HttpApi"), "DefaultRouteSettings")),
    ("throttle", "auth as loose as the rest", lambda s: _fn(s, "HttpApi").update({"RouteSettings": {}})),
    ("throttle", "retry-after not exposed", lambda s: _fn(s, "HttpApi")["CorsConfiguration"].update({"ExposeHeaders": ["x-request-id"]})),
    ("data", "no deletion protection", lambda s: _del(_fn(s, "Table"), "DeletionProtectionEnabled")),
    ("data", "import blobs never expire", lambda s: _fn(s, "AssetsBucket")["LifecycleConfiguration"].update({"Rules": [r for r in _fn(s, "AssetsBucket")["LifecycleConfiguration"]["Rules"] if not r.get("TagFilters")]})),
    ("sizing", "auth at 256 MB", lambda s: _fn(s, "AuthFunction").update({"MemorySize": 256})),
    ("sizing", "worker batch of 10", lambda s: _fn(s, "AiWorkerFunction")["Events"]["AiJobs"]["Properties"].update({"BatchSize": 10})),
    ("sizing", "a function name derived from the stack name", lambda s: _fn(s, "AutomationRunnerFunction").update({"FunctionName": {"Fn::Sub": "${AWS::StackName}-automation-runner"}})),
    ("secrets", "no openai rule", lambda s: s.update({"Rules": {}})),
    ("secrets", "an API key in plain env", lambda s: _fn(s, "AiWorkerFunction")["Environment"]["Variables"].update({"OPENAI_API_KEY": "sk"})),
    ("dlqarn", "worker not told its DLQ ARN", lambda s: _del(_fn(s, "AiWorkerFunction")["Environment"]["Variables"], "AI_JOBS_DLQ_ARN")),
    ("cors", "origin * by default", lambda s: s["Parameters"]["CorsAllowOrigin"].update({"Default": "*", "AllowedPattern": ".*"})),
    ("cors", "literal * origin", lambda s: _fn(s, "HttpApi")["CorsConfiguration"].update({"AllowOrigins": ["*"]})),
    ("web", "API 404s rewritten to index.html", lambda s: _fn(s, "WebDistribution")["DistributionConfig"].update({"CustomErrorResponses": [{"ErrorCode": 404, "ResponseCode": 200, "ResponsePagePath": "/index.html"}]})),
    ("web", "/api/* cached", lambda s: _fn(s, "WebDistribution")["DistributionConfig"]["CacheBehaviors"][0].update({"CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"})),
    ("web", "/api/* without cookies and headers", lambda s: _del(_fn(s, "WebDistribution")["DistributionConfig"]["CacheBehaviors"][0], "OriginRequestPolicyId")),
    ("web", "a public web bucket", lambda s: _fn(s, "WebBucket")["PublicAccessBlockConfiguration"].update({"RestrictPublicBuckets": False})),
    ("web", "anyone may read the web bucket", lambda s: _fn(s, "WebBucketPolicy")["PolicyDocument"]["Statement"][0].update({"Principal": "*"})),
]


def mutated(sam: dict, mutate) -> dict:
    s = copy.deepcopy(sam)
    mutate(s)
    return s
